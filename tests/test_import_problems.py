"""Invariants of the import's problem list and generated keys (hypothesis)."""

from __future__ import annotations

from hypothesis import given, strategies as st

from campaigns.importer.creating import generated_key
from campaigns.importer.problems import RowProblem, Where, group
from campaigns.importer.remarks import reporter_in

problems = st.lists(st.builds(
    lambda row, col, msg: RowProblem(Where("s", row, col, None), f"unknown unit '{msg}'", "add it"),
    st.integers(3, 60), st.one_of(st.none(), st.integers(0, 5)), st.sampled_from("甲乙丙丁")),
    max_size=80)


@given(problems)
def test_every_problem_is_in_exactly_one_group_with_its_row(found: list[RowProblem]) -> None:
    groups = group(found)
    cells = {(p.where.column, p.message, p.where.row) for p in found}
    listed = [(g.first.where.column, g.first.message, r) for g in groups for r in g.rows]
    assert sorted(listed, key=str) == sorted(cells, key=str)  # each once, none lost
    assert len({(g.first.where.column, g.first.message) for g in groups}) == len(groups)
    assert all(g.rows == sorted(g.rows) for g in groups)


@given(st.text(min_size=1, max_size=20), st.sets(st.text(max_size=30), max_size=20))
def test_generated_keys_are_stable_and_never_taken(text: str, taken: set[str]) -> None:
    key = generated_key("datong", text, taken.__contains__)
    assert key not in taken and key.startswith("datong-")
    assert generated_key("datong", text, taken.__contains__) == key


@given(st.sampled_from(["举报人", "反映人", "投诉人", "举报人：", "反映人:"]),
       st.text(alphabet="张王李某群众", min_size=1, max_size=4),
       st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_reporter_details_are_found_and_the_prefix_stripped(prefix: str, name: str,
                                                             phone: str) -> None:
    assert reporter_in(f"{prefix}{name} {phone}") == (name, phone)
    assert reporter_in(f"{prefix}{name}") == (name, "")
    assert reporter_in(f"已整改 {name}") is None
