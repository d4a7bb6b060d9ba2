"""The definition's ``assessment:`` section: its schema, its checks, and its formulas.

An assessment (考核) is written as data: indicators built from measures the event log gives
(campaigns.measures) and scores people enter, combined by sum, ratio and weighted mean, each
optionally normalised across a peer group, into a total whose weights a few lines hold
(Kunming's 4321: daily work 40, annual assessment 30, democratic evaluation 20, standing
committee 10).  ``compile_formulas`` turns it into engine.core.scoring's formula trees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.core.errors import Problem
from engine.core.schema import KEY, TEXT
from engine.core.scoring import NORMALISATIONS, order

from .i18n import _
from .measure_names import PERSONAL, TITLES as MEASURES

PERIOD_KINDS = ("month", "quarter", "half-year", "year")
NAME = {"type": "string", "minLength": 1, "maxLength": 64}
WEIGHT = {"type": "number", "exclusiveMinimum": 0}
VETO = {"type": "object", "additionalProperties": False, "minProperties": 1,
        "description": "一票否决: a unit whose value is below/above this scores 0 in total; only "
                       "with assessment.allow_veto: true (the 减负 rule forbids it in assessments)",
        "properties": {"below": {"type": "number"}, "above": {"type": "number"}}}
_SHAPE = {
    "veto": VETO,
    "normalise": {"enum": list(NORMALISATIONS),
                  "description": "map the values across the peer group to 0–100 (docs/definitions.md)"},
    "better": {"enum": ["higher", "lower"], "description": "which way is better (default higher)"},
}
INDICATOR = {
    "type": "object", "additionalProperties": False, "required": ["key", "title"],
    "properties": {
        "key": KEY, "title": TEXT, "description": {"type": "string"},
        "measure": {**NAME, "description": "a measure from the event log: "
                    + ", ".join(MEASURES)},
        "sum": {"type": "array", "minItems": 1, "items": NAME,
                "description": "the sum of measures, scores or indicators named"},
        "ratio": {"type": "array", "minItems": 2, "maxItems": 2, "items": NAME,
                  "description": "[numerator, denominator]: measures, scores or indicators"},
        "weighted": {"type": "object", "minProperties": 1, "additionalProperties": WEIGHT,
                     "description": "name: weight — the weighted mean of what is named"},
        "default": {"type": "number",
                    "description": "the value where there is none (a ratio over nothing)"},
        **_SHAPE,
    },
    "oneOf": [{"required": [op]} for op in ("measure", "sum", "ratio", "weighted")],
}
SCORE = {
    "type": "object", "additionalProperties": False, "required": ["key", "title"],
    "properties": {
        "key": KEY, "title": TEXT, "description": {"type": "string"},
        "range": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"},
                  "description": "[lowest, highest] a score may be (default [0, 100])"},
        "by": {"type": "array", "minItems": 1, "uniqueItems": True, "items": KEY,
               "description": "the roles that may enter it (default: roles of side office)"},
        "combine": {"enum": ["latest", "mean"],
                    "description": "several raters: the latest entry (default) or the mean of "
                                   "each rater's latest"},
        **_SHAPE,
    },
}
GROUP = {
    "type": "object", "additionalProperties": False, "required": ["key", "title", "kinds"],
    "properties": {"key": KEY, "title": TEXT,
                   "kinds": {"type": "array", "minItems": 1, "uniqueItems": True,
                             "items": {"type": "string", "minLength": 1},
                             "description": "the unit kinds ranked together"}},
}
PERSON_GROUP = {
    "type": "object", "additionalProperties": False, "required": ["key", "title"],
    "description": "people ranked together: those matching every filter given (a person is "
                   "ranked in the first group that takes them)",
    "properties": {
        "key": KEY, "title": TEXT,
        "roles": {"type": "array", "minItems": 1, "uniqueItems": True, "items": KEY,
                  "description": "people holding one of these roles"},
        "kinds": {"type": "array", "minItems": 1, "uniqueItems": True,
                  "items": {"type": "string", "minLength": 1},
                  "description": "people of units of these kinds"},
        "posts": {"type": "array", "minItems": 1, "uniqueItems": True, "items": TEXT,
                  "description": "people whose post (title) is one of these"},
        "per": {"enum": ["unit", "post"],
                "description": "rank each unit's people apart (a township rates its posts), "
                               "or each post's across units"},
    },
}
SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["total"],
    "description": "the assessment (考核): indicators from the event log, scores people enter, "
                   "weights, peer groups and ranking",
    "properties": {
        "title": TEXT,
        "allow_veto": {"type": "boolean",
                       "description": "let indicators and scores carry a veto (一票否决); "
                                      "validate warns on each (考核不得设置“一票否决”事项)"},
        "periods": {"type": "array", "minItems": 1, "uniqueItems": True,
                    "items": {"enum": list(PERIOD_KINDS)},
                    "description": "the periods results are given for (default: quarter, year)"},
        "groups": {"type": "array", "minItems": 1, "items": GROUP,
                   "description": "peer groups ranked separately (default: one group of the "
                                  "campaign's rectifying kinds)"},
        "indicators": {"type": "array", "items": INDICATOR},
        "scores": {"type": "array", "items": SCORE},
        "bottom": {
            "type": "object", "additionalProperties": False, "required": ["steps"],
            "description": "the bottom rule (末位): who is proposed for a warning, and how "
                           "consecutive periods in the bottom escalate",
            "properties": {
                "last": {"type": "integer", "minimum": 1,
                         "description": "the last N ranked of each peer group"},
                "below": {"type": "number",
                          "description": "or a total below this"},
                "steps": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "additionalProperties": False, "required": ["key", "title"],
                    "properties": {"key": KEY, "title": TEXT,
                                   "outcome": {**KEY, "description": "an accountability "
                                               "outcome a confirmation records for the unit"},
                                   "notice": {**TEXT, "description": "the words of the notice "
                                              "a confirmation issues (default: who ranked in "
                                              "the bottom of which group, and the step)"}}},
                    "description": "one a consecutive period in the bottom, e.g. 警示 then "
                                   "待岗培训; the last repeats"},
                "by": {"type": "array", "minItems": 1, "uniqueItems": True, "items": KEY,
                       "description": "the roles that confirm a proposal (default: side office)"},
            },
        },
        "total": {
            "type": "object", "additionalProperties": False, "required": ["weights"],
            "properties": {"title": TEXT,
                           "weights": {"type": "object", "minProperties": 1,
                                       "additionalProperties": WEIGHT,
                                       "description": "indicator or score: weight"}},
        },
    },
}
SCHEMA["properties"]["people"] = {  # type: ignore[index]
    "type": "object", "additionalProperties": False, "required": ["total"],
    "description": "the assessment of people (干部履职评议): persons of the site ranked in "
                   "peer groups by their own indicators and scores, on the same periods",
    "properties": {
        "title": TEXT,
        "items_of": {"enum": ["person", "leader"],
                     "description": "whose items a person's measures count: those they are "
                                    "responsible person of (责任人, default) or leader of (责任领导)"},
        "groups": {"type": "array", "minItems": 1, "items": PERSON_GROUP,
                   "description": "peer groups of people (default: everyone in a unit of the "
                                  "rectifying kinds, ranked per unit)"},
        **{k: SCHEMA["properties"][k]  # type: ignore[index]
           for k in ("indicators", "scores", "bottom", "total")},
    },
}
OPS = ("measure", "sum", "ratio", "weighted")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _entries(raw: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    got = raw.get(name)
    return [e for e in got if isinstance(e, Mapping)] if isinstance(got, list) else []


def check(raw: Mapping[str, Any], ctx: Any) -> Iterable[Problem]:
    """Unique keys, every name resolvable, no cycle, ranges that make sense, roles known; the
    same of the people's set, whose indicators name only measures a person has."""
    if not isinstance(raw, Mapping):
        return ()
    base = ("assessment",)
    _check_set(raw, ctx, base, raw.get("allow_veto") is True, tuple(MEASURES))
    people = raw.get("people")
    if isinstance(people, Mapping):
        _check_set(people, ctx, (*base, "people"), raw.get("allow_veto") is True,
                   PERSONAL)
        roles = ctx.data.get("roles")
        for i, g in enumerate(_entries(people, "groups")):
            for j, role in enumerate(_list(g.get("roles"))):
                if isinstance(roles, Mapping) and isinstance(role, str) and role not in roles:
                    ctx.add("unknown-role", _("role '{role}' is not defined").format(role=role),
                            (*base, "people", "groups", i, "roles", j),
                            _("roles: {names}").format(names=", ".join(map(str, roles))))
    return ()


def _check_set(raw: Mapping[str, Any], ctx: Any, base: tuple[str, ...], allow_veto: bool,
               measures: Sequence[str]) -> None:
    """The checks of one set (the units' or the people's) at ``base``."""
    indicators, scores = _entries(raw, "indicators"), _entries(raw, "scores")
    before = len(ctx.problems)
    seen: dict[str, tuple[str, int]] = {}
    for section, entries in (("indicators", indicators), ("scores", scores)):
        for i, e in enumerate(entries):
            key = e.get("key")
            if not isinstance(key, str):
                continue
            if key == TOTAL or key in MEASURES:
                ctx.add("reserved-key", _("assessment key '{key}' is reserved").format(key=key),
                        (*base, section, i, "key"),
                        _("'total' and the measures' names cannot be keys"))
            if key in seen:
                ctx.add("duplicate-key", _("assessment key '{key}' is used twice").format(key=key),
                        (*base, section, i, "key"),
                        _("indicators and scores share one set of keys"))
            seen[key] = (section, i)
    known = sorted({*seen, *measures})
    hint = _("known: {names}").format(names=", ".join(known))
    for i, e in enumerate(indicators):
        for op in OPS:
            arg = e.get(op)
            names = ([arg] if op == "measure" else list(arg) if isinstance(arg, (list, dict))
                     else [])
            for n in names:
                if not isinstance(n, str):
                    continue
                if n in MEASURES and n not in measures and (op == "measure" or n not in seen):
                    ctx.add("unit-measure", _("measure '{name}' is counted for units only, not "
                                              "for a person").format(name=n),
                            (*base, "indicators", i, op),
                            _("a person's indicators may name: {names}; or enter it as a "
                              "score").format(names=", ".join(measures)))
                elif op == "measure" and n not in MEASURES:
                    ctx.add("unknown-measure", _("unknown measure '{name}'").format(name=n),
                            (*base, "indicators", i, op),
                            _("measures: {names}").format(names=", ".join(measures)))
                elif op != "measure" and n not in seen and n not in MEASURES:
                    ctx.add("unknown-name", _("'{name}' names no measure, score or "
                                              "indicator").format(name=n),
                            (*base, "indicators", i, op), hint)
    for i, e in enumerate(scores):
        rng = e.get("range")
        if isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, (int, float)) for x in rng) \
                and rng[0] >= rng[1]:
            ctx.add("bad-range", _("score range {range} is empty").format(range=rng),
                    (*base, "scores", i, "range"), _("write [lowest, highest], e.g. [0, 100]"))
        roles = ctx.data.get("roles")
        for j, role in enumerate(_list(e.get("by"))):
            if isinstance(roles, Mapping) and isinstance(role, str) and role not in roles:
                ctx.add("unknown-role", _("role '{role}' is not defined").format(role=role),
                        (*base, "scores", i, "by", j),
                        _("roles: {names}").format(names=", ".join(map(str, roles))))
    total = raw.get("total")
    weights = total.get("weights") if isinstance(total, Mapping) else None
    for name in weights or ():
        if isinstance(weights, Mapping) and name not in seen:
            ctx.add("unknown-name", _("total weight '{name}' names no indicator or score").format(
                name=name), (*base, "total", "weights", name),
                _("known: {names}").format(names=", ".join(sorted(seen))))
    for section, entries in (("indicators", indicators), ("scores", scores)):
        for i, e in enumerate(entries):
            if "veto" in e and not allow_veto:
                ctx.add("veto-not-allowed", _("'{key}' carries a one-vote veto (一票否决), which "
                                              "this assessment does not allow").format(
                                                  key=e.get("key")),
                        (*base, section, i, "veto"),
                        _("remove it: assessments may not set one-vote vetoes (减负); only where "
                          "a rule requires one, write allow_veto: true"))
    bottom = raw.get("bottom")
    if isinstance(bottom, Mapping) and "last" not in bottom and "below" not in bottom:
        ctx.add("empty-bottom", _("the bottom rule names neither 'last' nor 'below'"),
                (*base, "bottom"), _("write last: N (the last N ranked) and/or below: "
                                            "SCORE"))
    acc = ctx.data.get("accountability")
    known_outcomes = {o.get("key") for o in (acc.get("outcomes") or [])
                      if isinstance(o, Mapping)} if isinstance(acc, Mapping) else set()
    for i, step in enumerate(_entries(bottom, "steps") if isinstance(bottom, Mapping) else []):
        outcome = step.get("outcome")
        if isinstance(outcome, str) and outcome not in known_outcomes:
            ctx.add("unknown-outcome", _("bottom step outcome '{outcome}' is not an "
                                         "accountability outcome").format(outcome=outcome),
                    (*base, "bottom", "steps", i, "outcome"),
                    _("outcomes: {names}").format(names=", ".join(
                        sorted(map(str, known_outcomes))) or _("none (no accountability section)")))
    groups = _entries(raw, "groups") if len(base) == 1 else []  # people's may overlap
    kinds: dict[str, int] = {}
    for i, g in enumerate(groups):
        for kind in _list(g.get("kinds")):
            if isinstance(kind, str) and kind in kinds:
                ctx.add("duplicate-kind", _("unit kind '{kind}' is in two peer groups").format(
                    kind=kind), (*base, "groups", i, "kinds"),
                    _("a unit is ranked in one group only"))
            kinds[str(kind)] = i
    if len(ctx.problems) == before:  # names all resolve: look for a circle
        try:
            order(compile_formulas(raw))
        except ValueError as exc:
            ctx.add("cycle", _("assessment indicators refer to each other in a circle: "
                               "{path}").format(path=str(exc)), (*base, "indicators"),
                    _("an indicator may use only indicators that do not use it"))


# --- formulas -------------------------------------------------------------------------------------


TOTAL = "total"


def _name(name: str, keys: Mapping[str, str]) -> dict[str, Any]:
    """A name in an indicator as a formula node: indicator, score, else measure."""
    kind = keys.get(name)
    if kind == "indicator":
        return {"ref": name}
    if kind == "score":
        return {"ref": name}
    return {"input": "measure:" + name}


def compile_formulas(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The section as named formula trees (engine.core.scoring), the total last."""
    keys = {str(e["key"]): "indicator" for e in _entries(raw, "indicators")}
    keys.update({str(e["key"]): "score" for e in _entries(raw, "scores")})
    out: dict[str, dict[str, Any]] = {}
    for e in _entries(raw, "scores"):
        out[str(e["key"])] = {"input": "score:" + str(e["key"]), **_shape(e)}
    for e in _entries(raw, "indicators"):
        if "measure" in e:
            node: dict[str, Any] = {"input": "measure:" + str(e["measure"])}
        elif "sum" in e:
            node = {"sum": [_name(n, keys) for n in e["sum"]]}
        elif "ratio" in e:
            node = {"ratio": [_name(n, keys) for n in e["ratio"]]}
        else:
            node = {"weighted": [[_name(n, keys), float(w)] for n, w in e["weighted"].items()]}
        out[str(e["key"])] = {**node, **_shape(e)}
    weights = (raw.get("total") or {}).get("weights") or {}
    out[TOTAL] = {"weighted": [[_name(n, keys), float(w)] for n, w in weights.items()]}
    return out


def vetoes(raw: Mapping[str, Any]) -> dict[str, Mapping[str, float]]:
    """The vetoes the section sets, by indicator or score key."""
    return {str(e["key"]): e["veto"] for name in ("indicators", "scores")
            for e in _entries(raw, name) if "veto" in e}


def veto_warnings(sections: Mapping[str, Any]) -> list[str]:
    """One line a veto: the 减负 rule says an assessment sets none."""
    raw = sections.get("assessment") or {}
    return [_("assessment '{key}' sets a one-vote veto (一票否决): assessments may not set "
              "one-vote vetoes (考核不得设置“一票否决”事项, 减负)").format(key=key)
            for key in vetoes(raw)]


def _shape(e: Mapping[str, Any]) -> dict[str, Any]:
    return {k: e[k] for k in ("normalise", "better", "default") if k in e}


@dataclass(frozen=True)
class Column:
    """One column of a result: an indicator, a score, or the total."""

    key: str
    title: str
    kind: str  # indicator, score, total


def columns(raw: Mapping[str, Any]) -> list[Column]:
    """The result's columns in the definition's order: scores, indicators, then the total."""
    out = [Column(str(e["key"]), str(e["title"]), "indicator") for e in _entries(raw, "indicators")]
    out += [Column(str(e["key"]), str(e["title"]), "score") for e in _entries(raw, "scores")]
    title = (raw.get("total") or {}).get("title") or "综合得分"
    return [*out, Column(TOTAL, str(title), "total")]
