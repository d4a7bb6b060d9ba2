"""The rectification vocabulary, registered with the engine as any third-party plugin would be."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from engine.core.errors import Problem
from engine.core.plugins import GuardDef, Plugin, Section
from engine.core.schema import DURATION, KEY, TEXT

from . import assessment_spec, commitment_spec, duties, filing_spec, guards, reporting_upgrade
from .duties import DEFAULT_RECTIFYING_KINDS
from .i18n import _
from .inspections import settings as inspection_settings
from .lifecycle import STANDARD, STANDARD_ESCALATION

STANDARD_SOURCES: dict[str, str] = {
    "self-inspection": "自查",
    "superior-review": "上级点评",
    "department-feedback": "职能部门反馈",
    "public-report": "群众反映举报",
    "inspection": "督查检查",
    "media": "媒体曝光",
}

ITEM_FIELDS = ("code", "seq", "unit", "title", "description", "category", "source", "reporter",
               "reporter_contact", "found_on", "measures", "target", "deadline", "department",
               "leader", "person", "state", "progress", "closed_on", "original_deadline")
CONFIDENTIAL_FIELDS = ("reporter", "reporter_contact")
# The fields a definition may mark confidential: an item's content.  The rest (code, unit,
# category, source, dates, state) is what supervision counts and chases by.
MAY_HIDE = ("title", "description", "measures", "target", "department", "leader", "person",
            "progress", "reporter", "reporter_contact")

_DATE = (dt.date, type(None))  # a date, or cleared
# The columns of ITEMS and RECTIFICATIONS that a definition's actions may set (validate checks
# every action against them; a test keeps them in step with campaigns.tables).
ACTION_FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "item": {"closed_on": _DATE, "reopen_count": int, "typical": bool},
    "rectification": {"deadline": _DATE, "original_deadline": _DATE, "level_base": _DATE,
                      "level": (str, type(None)), "returns": int, "submitted_on": _DATE,
                      "completed_on": _DATE, "measures": (str, type(None)),
                      "target": (str, type(None)), "department": (str, type(None)),
                      "requested_deadline": _DATE},
    "mechanism": {"issued_on": _DATE, "in_force_on": _DATE, "reviewed_on": _DATE,
                  "document_number": (str, type(None))},
    "commitment": {"published_on": _DATE, "reviewed_on": _DATE},
}
# What 'rectify item advance' may supply to a trigger: --deadline
SUPPLIED = {"deadline": dt.date}

CAMPAIGN_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "title", "code_prefix"],
    "description": "what the campaign is: its identity, goal, scope, owners and reporting",
    "properties": {
        "key": KEY,
        "title": TEXT,
        "goal": {"type": "string"},
        "scope": {"type": "string"},
        "basis": {"type": "string", "description": "the document the campaign follows"},
        "lead_unit": TEXT,
        "partner_units": {"type": "array", "items": TEXT},
        "code_prefix": {"type": "string", "pattern": r"^[A-Z][A-Z0-9]{1,9}$",
                        "description": "item codes are PREFIX-YEAR-NNNN, e.g. WGBW-2015-0042"},
        "rectifying_kinds": {
            "type": "array", "minItems": 1, "uniqueItems": True,
            "items": {"type": "string", "minLength": 1},
            "description": "kinds of unit that rectify their own items and so may not judge them "
                           f"(default: {', '.join(DEFAULT_RECTIFYING_KINDS)})",
        },
        "reporting": {
            "type": "object", "additionalProperties": False,
            "description": "deprecated: read as a filings item (campaigns.reporting_upgrade); "
                           "write filings instead",
            "properties": {
                "cadence": {"enum": ["daily", "weekly", "monthly", "quarterly", "yearly"]},
                "due": {"enum": ["period_end", "period_start"]},
                "to": TEXT,
            },
        },
    },
}
SYNONYMS = {"type": "array", "uniqueItems": True, "items": TEXT,
            "description": "other words ledgers use for it (matched on import)"}
CATEGORIES_SCHEMA = {
    "type": "array", "minItems": 1,
    "description": "the problem categories (治理重点) of this campaign",
    "items": {"type": "object", "additionalProperties": False, "required": ["key", "title"],
              "properties": {"key": KEY, "title": TEXT, "description": {"type": "string"},
                             "synonyms": SYNONYMS}},
}
SOURCES_SCHEMA = {
    "type": "array", "minItems": 1,
    "description": f"where problems come from: standard ones ({', '.join(STANDARD_SOURCES)}) "
                   "by key, or {key, title} for the campaign's own",
    "items": {"oneOf": [
        KEY,
        {"type": "object", "additionalProperties": False, "required": ["key", "title"],
         "properties": {"key": KEY, "title": TEXT, "synonyms": SYNONYMS}},
    ]},
}
IMPORT_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "description": "how spreadsheet columns map to item fields",
    "properties": {"columns": {"type": "object", "additionalProperties": {"enum": list(ITEM_FIELDS)}},
                   "header_row": {"type": "integer", "minimum": 1}},
}
NOTICES_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "description": "the 督办通知书 the office issues: who signs, how they are numbered, the reply",
    "properties": {
        "issuer": {**TEXT, "description": "the issuing office (default: campaign.lead_unit)"},
        "issuer_short": {**TEXT, "description": "its short name in document numbers (机关代字)"},
        "number": {"type": "string", "minLength": 1,
                   "description": "document number pattern: {issuer_short}, {year}, {seq}, e.g. "
                                  "'{issuer_short}督〔{year}〕{seq}号'"},
        "reply_within": {**DURATION, "description": "the unit replies within this, counted from "
                                                    "the day of issue (e.g. 5 working days)"},
    },
}

OUTCOME = {"type": "object", "additionalProperties": False, "required": ["key", "title"],
           "properties": {"key": KEY, "title": TEXT, "description": {"type": "string"}}}
ACCOUNTABILITY_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["outcomes"],
    "description": "the accountability register (问责): the outcomes a case may have and whether "
                   "the names of those held accountable are published",
    "properties": {
        "outcomes": {"type": "array", "minItems": 1, "items": OUTCOME,
                     "description": "e.g. 谈话提醒, 诫勉, 通报批评, 组织处理, 纪律处分"},
        "publish": {"enum": ["public", "confidential"],
                    "description": "public: names appear in every output; confidential (the "
                                   "default): only to a viewer whose role may see confidential "
                                   "fields, every other output gives counts alone"},
        "rung": {**KEY, "description": "the escalation level whose notices a case answers "
                                       "(default: the level keyed 'accountability', if any)"},
    },
}
MECHANISMS_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "description": "the long-term mechanisms register (长效机制): the kinds of institution built",
    "properties": {
        "kinds": {"type": "array", "minItems": 1, "items": OUTCOME,
                  "description": "default: rule 规定, system 制度, process 流程"},
        "register": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["key", "title", "kind"],
            "properties": {"key": KEY, "title": TEXT, "kind": KEY,
                           "categories": {"type": "array", "items": KEY},
                           "description": {"type": "string"}}},
            "description": "the institutions the campaign is to build (e.g. seed 002's 六个方面 "
                           "制度), recorded with 'rectify mechanism add --from KEY'"},
    },
}
DEFAULT_MECHANISM_KINDS = {"rule": "规定", "system": "制度", "process": "流程"}

RETENTION_RULE = r"^\s*(\d+)\s+(year|month|day)s?\s+after\s+conclusion\s*$"
RETENTION_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "description": "how long personal details are kept (campaigns.retention)",
    "properties": {"reporters": {
        "type": "string", "pattern": RETENTION_RULE,
        "description": "reporters' identities and contacts are purged this long after the "
                       "campaign concludes, e.g. '2 years after conclusion'"}},
}


def _check_notices(raw: Mapping[str, Any], ctx: Any) -> Iterable[Problem]:
    from engine.core.errors import InvalidInput
    from engine.core.spec import Duration

    from .numbering import parse_pattern

    if isinstance(raw.get("number"), str):
        try:
            pattern = parse_pattern(raw["number"])
        except InvalidInput as exc:
            ctx.add("bad-number-pattern", exc.message, ("notices", "number"), exc.hint)
        else:
            if "issuer_short" in pattern.names and not raw.get("issuer_short"):
                ctx.add("missing-issuer-short", _("notices.number uses {issuer_short} but "
                                                  "notices.issuer_short is not given"), ("notices",),
                        _("add issuer_short: the office's short name, e.g. 县组"))
    within = raw.get("reply_within")
    if isinstance(within, str) and Duration.parse(within).days <= 0:
        ctx.add("bad-reply-within", _("notices.reply_within '{within}' is not after the day of issue").format(
            within=within),
                ("notices", "reply_within"), _("write a positive duration, e.g. 5 working days"))
    return ()


def _check_accountability(raw: Mapping[str, Any], ctx: Any) -> Iterable[Problem]:
    outcomes = raw.get("outcomes")
    if isinstance(outcomes, list):
        _check_unique("accountability.outcomes")(outcomes, ctx)
    rung = raw.get("rung")
    ladder = ctx.data.get("escalation")
    levels = [lv.get("key") for lv in (ladder.get("levels") or [])
              if isinstance(lv, dict)] if isinstance(ladder, dict) else []
    if isinstance(rung, str) and rung not in levels:
        ctx.add("unknown-rung", f"accountability.rung '{rung}' is not an escalation level",
                ("accountability", "rung"), f"levels: {', '.join(map(str, levels)) or 'none'}")
    return ()


def _check_mechanisms(raw: Mapping[str, Any], ctx: Any) -> Iterable[Problem]:
    """Unique kinds; each institution of the register of a known kind, answering known
    categories, listed once."""
    _check_unique("mechanisms.kinds")(raw.get("kinds") or [], ctx)
    kinds = [k.get("key") for k in raw.get("kinds") or ()] or list(DEFAULT_MECHANISM_KINDS)
    cats = ctx.data.get("categories")
    known = [c if isinstance(c, str) else c.get("key") if isinstance(c, dict) else None
             for c in (cats if isinstance(cats, list) else [])]  # a broken list is reported there
    seen: set[str] = set()
    for i, entry in enumerate(raw.get("register") or ()):
        where = ("mechanisms", "register", i)
        if entry["key"] in seen:
            ctx.add("duplicate-key", f"mechanisms.register '{entry['key']}' listed twice",
                    (*where, "key"))
        seen.add(entry["key"])
        if entry["kind"] not in kinds:
            ctx.add("unknown-kind", f"mechanism '{entry['key']}' has unknown kind "
                    f"'{entry['kind']}'", (*where, "kind"), f"kinds: {', '.join(kinds)}")
        for j, cat in enumerate(entry.get("categories") or ()):
            if known and cat not in known:
                ctx.add("unknown-category", f"mechanism '{entry['key']}' answers unknown "
                        f"category '{cat}'", (*where, "categories", j),
                        f"categories: {', '.join(map(str, known))}")
    return ()


def _check_campaign(raw: Mapping[str, Any], ctx: Any) -> Iterable[Problem]:
    confidential = ctx.data.get("confidential")
    for i, name in enumerate(confidential if isinstance(confidential, list) else []):
        if isinstance(name, str) and name not in CONFIDENTIAL_FIELDS and name not in ITEM_FIELDS:
            ctx.add("unknown-field", _("confidential field '{name}' is not an item field").format(name=name),
                    ("confidential", i), _("item fields: {names}").format(names=', '.join(ITEM_FIELDS)))
        elif isinstance(name, str) and name not in MAY_HIDE:
            ctx.add("not-confidential", _("'{name}' cannot be confidential: reports, notices and the clock "
                                          "count and chase items by it").format(
                                              name=name), ("confidential", i),
                    _("fields that may be confidential: {names}").format(names=', '.join(MAY_HIDE)))
    machines = ctx.data.get("machines")
    if isinstance(machines, dict) and not {"item", "rectification"} <= set(machines):
        ctx.add("missing-machine", _("a campaign needs machines 'item' and 'rectification'"),
                ("machines",), _("write 'lifecycle: standard' to start from the standard ones"))
    return ()


def _check_unique(section: str) -> Any:
    def check(raw: list[Any], ctx: Any) -> Iterable[Problem]:
        seen: set[str] = set()
        words = {e.get("title"): e["key"] for e in raw if isinstance(e, dict)}
        for i, entry in enumerate(raw):
            key = entry if isinstance(entry, str) else entry["key"]
            if key in seen:
                ctx.add("duplicate-key", _("{section} '{key}' listed twice").format(
                    section=section, key=key), (*section.split("."), i))
            seen.add(key)
            for j, word in enumerate(entry.get("synonyms") or () if isinstance(entry, dict) else ()):
                if not isinstance(word, str):
                    continue
                owner = words.get(word)
                if owner is not None and owner != key:
                    ctx.add("duplicate-synonym", f"{section} synonym '{word}' also names "
                            f"'{owner}'", (section, i, "synonyms", j),
                            "a word may name one key only")
                words.setdefault(word, key)
            if section == "sources" and isinstance(entry, str) and key not in STANDARD_SOURCES:
                ctx.add("unknown-source", _("unknown standard source '{key}'").format(key=key), (section, i),
                        _("standard: {names}; or write {{key: {key}, title: ...}}}} for the campaign's "
                          "own").format(names=', '.join(STANDARD_SOURCES), key=key))
        return ()
    return check


def _build_sources(raw: list[Any]) -> dict[str, str]:
    from .choices import build_choices

    return build_choices(raw, {(e if isinstance(e, str) else e["key"]):
                               (STANDARD_SOURCES.get(e, e) if isinstance(e, str) else e["title"])
                               for e in raw})


def _build_categories(raw: list[Any]) -> dict[str, str]:
    from .choices import build_choices

    return build_choices(raw, {c["key"]: c["title"] for c in raw})


def _identify(data: Mapping[str, Any]) -> tuple[str, str]:
    meta = data.get("campaign") or {}
    return meta.get("key", ""), meta.get("title", "")


PLUGIN = Plugin(
    name="campaigns",
    sections=(
        Section("campaign", CAMPAIGN_SCHEMA, required=True, check=_check_campaign),
        Section("categories", CATEGORIES_SCHEMA, required=True, check=_check_unique("categories"),
                build=_build_categories),
        Section("sources", SOURCES_SCHEMA, check=_check_unique("sources"), build=_build_sources),
        Section("import", IMPORT_SCHEMA),
        Section("notices", NOTICES_SCHEMA, check=_check_notices),
        Section("retention", RETENTION_SCHEMA),
        Section("accountability", ACCOUNTABILITY_SCHEMA, check=_check_accountability),
        Section("mechanisms", MECHANISMS_SCHEMA, check=_check_mechanisms),
        Section("commitments", commitment_spec.SCHEMA, check=commitment_spec.check,
                build=commitment_spec.build),
        Section("inspections", inspection_settings.SCHEMA, check=inspection_settings.check),
        Section("filings", filing_spec.FILINGS_SCHEMA, check=filing_spec.check,
                build=filing_spec.build),
        Section("assessment", assessment_spec.SCHEMA, check=assessment_spec.check),
    ),
    presets={"standard": STANDARD},
    escalation_defaults={"standard": STANDARD_ESCALATION},
    identify=_identify,
    fields=ACTION_FIELDS,
    params=SUPPLIED,
    sides=duties.SIDES,
    role_side=duties.default_side,
    duties=duties.DUTIES,
    upgrade=reporting_upgrade.upgrade,
)

GUARDS = [
    GuardDef("actor_not_in_unit", guards.actor_not_in_unit,
             "the actor is not in the unit that rectifies the item, nor under it",
             title="整改单位以外的人员方可操作"),
    GuardDef("actor_in_unit", guards.actor_in_unit,
             "the actor is in the unit that rectifies the item, or under it",
             title="整改单位人员方可操作"),
    GuardDef("actor_in_unit_if_rectifying", guards.actor_in_unit_if_rectifying,
             "an actor without a judging role for it is in the unit that rectifies the item",
             title="整改单位人员或监督方方可操作"),
    GuardDef("actor_not_responsible", guards.actor_not_responsible,
             "the actor is neither the item's 责任人 nor its 责任领导",
             title="责任领导、责任人不得自行验收"),
    GuardDef("actor_not_submitter", guards.actor_not_submitter,
             "the actor did not submit the item for closing", title="申请销号人不得自行验收"),
    GuardDef("rectification_done", guards.rectification_done,
             "the item's rectification is in a done state", title="整改已完成"),
    GuardDef("item_confirmed", guards.item_confirmed, "the item has been confirmed",
             title="问题已核实属实"),
    GuardDef("mechanism_document_given", guards.mechanism_document_given,
             "the mechanism has a document number and a date it is in force from",
             title="已填写文号和施行日期"),
    GuardDef("commitment_due_reached", guards.commitment_due_reached,
             "the commitment's completion date has come", title="已到承诺完成时限"),
    GuardDef("mechanisms_in_force", guards.mechanisms_in_force,
             "every category with confirmed items has a long-term mechanism in force",
             title="各类问题均已建立长效机制"),
    GuardDef("all_items_closed_or_long_term", guards.all_items_closed_or_long_term,
             "every item is finished or its rectification is long-term",
             title="问题均已办结或转为长期整改"),
]

_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,9}-\d{4}-\d{4,}$")


def looks_like_code(text: str) -> bool:
    return bool(_CODE.fullmatch(text))
