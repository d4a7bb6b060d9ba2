"""Scoring a population: formulas as data, normalisation, weights and competition ranking.

Everything here is pure and generic: a *formula* is a tree of plain mappings (never code),
evaluated for each member of a population from named *inputs*; a node may be normalised
across the population before its parents see it.  docs/definitions.md gives the exact rules.

Nodes (one operator each):
- ``{"input": NAME}``: a named input value (None when the member has none);
- ``{"sum": [NODE…]}``: the sum of the values present (None when none is);
- ``{"ratio": [NUM, DEN]}``: NUM / DEN; None when DEN is 0 or missing;
- ``{"weighted": [[NODE, WEIGHT]…]}``: Σ w·x / Σ w over the parts present (with
  ``"complete": true``, None unless every part is present);
- ``{"ref": KEY}``: another named formula of the same set (after its normalisation).
A node may carry ``default``: its value where it would be None (a ratio over nothing).
A named formula may carry ``normalise`` (``min-max`` or ``rank``) and ``better`` (``higher``,
the default, or ``lower``): its values across the population are mapped to 0–100 before
anything refers to them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)
Values = dict[Any, float | None]
NORMALISATIONS = ("min-max", "rank")


def competition_rank(values: Mapping[K, float | None], *, higher: bool = True,
                     places: int = 6) -> dict[K, int | None]:
    """Standard competition ranking (1, 2, 2, 4): equal values (to ``places`` decimals)
    share the best place and the next place skips; members without a value get None."""
    present = [(round(v, places), k) for k, v in values.items() if v is not None]
    present.sort(key=lambda p: -p[0] if higher else p[0])
    out: dict[K, int | None] = {k: None for k in values}
    previous: float | None = None
    place = 0
    for i, (v, k) in enumerate(present, start=1):
        if v != previous:
            place, previous = i, v
        out[k] = place
    return out


def min_max(values: Mapping[K, float | None], *, higher: bool = True) -> dict[K, float | None]:
    """100·(x − min)/(max − min), or 100·(max − x)/(max − min) when lower is better; every
    member scores 100 when all present values are equal; a missing value stays missing."""
    present = [v for v in values.values() if v is not None]
    if not present:
        return dict(values)
    lo, hi = min(present), max(present)
    out: dict[K, float | None] = {}
    for k, v in values.items():
        if v is None:
            out[k] = None
        elif hi == lo:
            out[k] = 100.0
        else:
            share = ((v - lo) if higher else (hi - v)) / (hi - lo)
            out[k] = min(100.0, max(0.0, 100.0 * share))  # no 100.00000000000001
    return out


def rank_score(values: Mapping[K, float | None], *, higher: bool = True) -> dict[K, float | None]:
    """100·(n − r)/(n − 1) for competition rank r among the n members with a value (the
    best scores 100, the last 0, ties share the better place's score); n = 1 scores 100."""
    ranks = competition_rank(values, higher=higher)
    n = sum(1 for v in values.values() if v is not None)
    out: dict[K, float | None] = {}
    for k, r in ranks.items():
        if r is None:
            out[k] = None
        else:
            out[k] = 100.0 if n == 1 else 100.0 * (n - r) / (n - 1)
    return out


def normalise(values: Mapping[K, float | None], method: str | None,
              higher: bool = True) -> dict[K, float | None]:
    """``values`` normalised by ``method`` (None: unchanged)."""
    if method is None:
        return dict(values)
    if method == "min-max":
        return min_max(values, higher=higher)
    if method == "rank":
        return rank_score(values, higher=higher)
    raise ValueError(f"unknown normalisation {method!r}")


def weighted_mean(parts: Sequence[tuple[float | None, float]]) -> float | None:
    """Σ w·x / Σ w over the parts whose value is present (None when none is or Σ w = 0)."""
    num = den = 0.0
    for value, weight in parts:
        if value is not None:
            num += value * weight
            den += weight
    return num / den if den else None


def operator(node: Mapping[str, Any]) -> str:
    """The one operator a node carries."""
    ops = [k for k in ("input", "sum", "ratio", "weighted", "ref") if k in node]
    if len(ops) != 1:
        raise ValueError(f"a formula node needs exactly one operator, got {ops or 'none'}")
    return ops[0]


def refs(node: Mapping[str, Any]) -> list[str]:
    """The named formulas a node refers to, in order."""
    op = operator(node)
    if op == "ref":
        return [str(node["ref"])]
    if op in ("sum", "ratio"):
        return [r for child in node[op] for r in refs(child)]
    if op == "weighted":
        return [r for child, _w in node[op] for r in refs(child)]
    return []


def inputs(node: Mapping[str, Any]) -> list[str]:
    """The inputs a node reads, in order."""
    op = operator(node)
    if op == "input":
        return [str(node["input"])]
    if op in ("sum", "ratio"):
        return [n for child in node[op] for n in inputs(child)]
    if op == "weighted":
        return [n for child, _w in node[op] for n in inputs(child)]
    return []


def order(formulas: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The formulas' keys, each after those it refers to; raises on a cycle or unknown key."""
    done: list[str] = []
    visiting: set[str] = set()

    def visit(key: str, path: tuple[str, ...]) -> None:
        if key in done:
            return
        if key not in formulas:
            raise KeyError(key)
        if key in visiting:
            raise ValueError(" → ".join((*path, key)))
        visiting.add(key)
        for r in refs(formulas[key]):
            visit(r, (*path, key))
        visiting.discard(key)
        done.append(key)

    for key in formulas:
        visit(key, ())
    return done


def evaluate(formulas: Mapping[str, Mapping[str, Any]], members: Sequence[K],
             read: Callable[[K, str], float | None]) -> dict[str, dict[K, float | None]]:
    """Every formula's value for every member: inputs come from ``read(member, name)``;
    normalisation is across ``members`` (one peer group)."""
    out: dict[str, dict[K, float | None]] = {}

    def value(node: Mapping[str, Any], m: K) -> float | None:
        op = operator(node)
        if op == "input":
            v = read(m, str(node["input"]))
        elif op == "ref":
            v = out[str(node["ref"])][m]
        elif op == "sum":
            parts = [x for x in (value(c, m) for c in node["sum"]) if x is not None]
            v = sum(parts) if parts else None
        elif op == "ratio":
            num, den = (value(c, m) for c in node["ratio"])
            v = num / den if num is not None and den else None
        else:
            pairs = [(value(c, m), float(w)) for c, w in node["weighted"]]
            whole = not node.get("complete") or all(x is not None for x, _w in pairs)
            v = weighted_mean(pairs) if whole else None
        if v is None and node.get("default") is not None:
            v = float(node["default"])
        return v

    for key in order(formulas):
        node = formulas[key]
        raw = {m: value(node, m) for m in members}
        out[key] = normalise(raw, node.get("normalise"), node.get("better", "higher") != "lower")
    return out
