"""Invariants of scoring (engine.core.scoring): competition ranking, normalisation, weights
and formula evaluation, over generated populations."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from engine.core.scoring import (
    competition_rank,
    evaluate,
    min_max,
    normalise,
    order,
    rank_score,
    weighted_mean,
)

VALUE = st.one_of(st.none(), st.integers(-1000, 1000).map(float),
                  st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 3)))
POPULATION = st.dictionaries(st.text("abcdefghij", min_size=1, max_size=3), VALUE, max_size=30)


def test_ties_share_a_place_and_the_next_is_skipped() -> None:
    assert competition_rank({"a": 90.0, "b": 80.0, "c": 80.0, "d": 70.0}) == \
        {"a": 1, "b": 2, "c": 2, "d": 4}
    assert competition_rank({"a": 3.0, "b": 1.0, "c": None}, higher=False) == \
        {"a": 2, "b": 1, "c": None}


@given(POPULATION, st.booleans())
def test_ranks_are_competition_ranks(values: dict[str, float | None], higher: bool) -> None:
    ranks = competition_rank(values, higher=higher)
    present = {k: v for k, v in values.items() if v is not None}
    assert {k for k, r in ranks.items() if r is None} == set(values) - set(present)
    for k, v in present.items():
        better = sum(1 for w in present.values()
                     if (round(w, 6) > round(v, 6) if higher else round(w, 6) < round(v, 6)))
        assert ranks[k] == better + 1  # 1 + how many are strictly better
    if present:
        assert min(r for r in ranks.values() if r is not None) == 1


@given(POPULATION, st.booleans())
def test_min_max_maps_to_0_100_keeping_order(values: dict[str, float | None], higher: bool) -> None:
    out = min_max(values, higher=higher)
    present = [k for k, v in values.items() if v is not None]
    assert all(out[k] is None for k in values if values[k] is None)
    for k in present:
        assert 0.0 <= out[k] <= 100.0  # type: ignore[operator]
    for a in present:
        for b in present:
            va, vb = values[a], values[b]
            assert va is not None and vb is not None
            if va < vb:
                oa, ob = out[a], out[b]
                assert oa is not None and ob is not None
                assert (oa <= ob) if higher else (oa >= ob)
    if len({values[k] for k in present}) > 1:
        assert {round(out[k] or 0, 9) for k in present} >= {0.0, 100.0}


@given(POPULATION, st.booleans())
def test_rank_normalisation_follows_the_ranks(values: dict[str, float | None],
                                              higher: bool) -> None:
    out = rank_score(values, higher=higher)
    ranks = competition_rank(values, higher=higher)
    n = sum(1 for v in values.values() if v is not None)
    for k, r in ranks.items():
        if r is None:
            assert out[k] is None
        else:
            assert out[k] == pytest.approx(100.0 if n == 1 else 100.0 * (n - r) / (n - 1))
    best = [k for k, r in ranks.items() if r == 1]
    assert all(out[k] == 100.0 for k in best)


@given(POPULATION, st.sampled_from([None, "min-max", "rank"]))
def test_normalising_twice_changes_nothing_more(values: dict[str, float | None],
                                               method: str | None) -> None:
    once = normalise(values, method)
    assert normalise(once, method) == pytest.approx(once, abs=1e-9) if once else True


@given(st.lists(st.tuples(VALUE, st.floats(0.01, 100)), max_size=10))
def test_weighted_mean_lies_between_the_parts(parts: list[tuple[float | None, float]]) -> None:
    mean = weighted_mean(parts)
    present = [v for v, _w in parts if v is not None]
    if not present:
        assert mean is None
    else:
        assert mean is not None
        assert min(present) - 1e-6 * (1 + abs(min(present))) <= mean
        assert mean <= max(present) + 1e-6 * (1 + abs(max(present)))


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100), st.floats(0, 100),
                          st.floats(0, 100)), min_size=1, max_size=20))
def test_4321_is_the_weighted_sum_over_100(rows: list[tuple[float, float, float, float]]) -> None:
    formulas = {"total": {"weighted": [[{"input": "daily"}, 40], [{"input": "annual"}, 30],
                                       [{"input": "democratic"}, 20],
                                       [{"input": "standing"}, 10]], "complete": True}}
    names = ("daily", "annual", "democratic", "standing")
    out = evaluate(formulas, list(range(len(rows))),
                   lambda m, name: rows[m][names.index(name)])
    for m, (d, a, dem, s) in enumerate(rows):
        assert out["total"][m] == pytest.approx((40 * d + 30 * a + 20 * dem + 10 * s) / 100)


def test_formulas_are_evaluated_after_what_they_use() -> None:
    formulas = {"total": {"weighted": [[{"ref": "rate"}, 1]]},
                "rate": {"ratio": [{"input": "a"}, {"input": "b"}], "default": 1,
                         "normalise": "min-max"}}
    assert order(formulas) == ["rate", "total"]
    data = {1: {"a": 1.0, "b": 2.0}, 2: {"a": 0.0, "b": 0.0}, 3: {"a": 0.0, "b": 4.0}}
    out = evaluate(formulas, [1, 2, 3], lambda m, n: data[m][n])
    assert out["rate"] == {1: 50.0, 2: 100.0, 3: 0.0}  # 0.5, 1 (default), 0 → min-max
    with pytest.raises(ValueError, match="a → b → a"):
        order({"a": {"ref": "b"}, "b": {"ref": "a"}})
