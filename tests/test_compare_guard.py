"""`compare`: a guard that tests a counter or a field against a value, written as data.

Escalation used to follow deadlines only; a chain such as 敷衍 → 复查 → 追责 (returned once as
perfunctory, re-inspected, held accountable when returned again) needs a guard on the number
of returns.  The definition names the field, the operator and the value; nothing is executed.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from test_cli_common import Cli, scalar, seeded
from test_validate_targets import only_problem, override, position, validate

from engine.core.builtin import compare

# --------------------------------------------------------------------------- the guard itself


@pytest.mark.parametrize("returns, op, value, allowed", [
    (2, ">=", 2, True), (1, ">=", 2, False), (1, "<", 2, True), (2, "<", 2, False),
    (0, "==", 0, True), (3, "!=", 3, False), (None, ">=", 1, False), (None, "<", 1, True),
    (2, ">", 1, True), (2, "<=", 1, False),
])
def test_compares_the_subjects_field(returns: int | None, op: str, value: int,
                                     allowed: bool) -> None:
    ctx = SimpleNamespace(subject=SimpleNamespace(returns=returns))
    reason = compare(ctx, "returns", op, value)  # type: ignore[arg-type]
    assert (reason is None) is allowed
    if not allowed:
        assert reason == f"'returns' is {returns or 0}; needs {op} {value}"


def test_a_date_field_is_compared_with_the_date_written() -> None:
    import datetime as dt

    ctx = SimpleNamespace(subject=SimpleNamespace(deadline=dt.date(2011, 3, 1)))
    assert compare(ctx, "deadline", "<", "2011-03-02") is None  # type: ignore[arg-type]
    assert compare(ctx, "deadline", ">", "2011-03-02") is not None  # type: ignore[arg-type]


def test_an_empty_field_is_only_equal_to_nothing() -> None:
    ctx = SimpleNamespace(subject=SimpleNamespace(level=None))
    assert compare(ctx, "level", "==") is None  # type: ignore[arg-type]
    assert compare(ctx, "level", "!=") == "'level' is empty; needs != empty"  # type: ignore[arg-type]


# ---------------------------------------------------------------------- checked when it loads

BAD = [
    # (call, where it points, code, message part, hint)
    ("compare: {field: retruns, op: '>=', value: 2}", "field: retruns", "unknown-field",
     "reads 'retruns', which is not a field of machine 'rectification'",
     "did you mean 'returns'?"),
    ("compare: {field: returns, op: '=>', value: 2}", "op: '=>'", "bad-param",
     "parameter 'op' of guard 'compare' cannot be '=>'",
     "write one of ==, !=, <, <=, >, >= (quoted in YAML, e.g. op: '>=')"),
    ("compare: {field: returns, op: '>=', value: '2'}", "value: '2'", "field-type",
     "compares 'returns', which holds int, with str '2'", "write the value unquoted, e.g. value: 2"),
    ("compare: {field: returns, op: '>=', value: yes}", "value: yes", "field-type",
     "compares 'returns', which holds int, with bool True", None),
    ("compare: {field: deadline, op: '<', value: 2011-02-30}", "value: 2011-02-30", "bad-date",
     "'2011-02-30' is not a real date", "check the month's length; dates are YYYY-MM-DD"),
    ("compare: {field: returns, op: '>='}", "compare", "missing-param",
     "'returns' is never empty: guard 'compare' needs the value it is compared with",
     "write {compare: {..., value: ...}}"),
    ("compare: {field: level, op: '>'}", "op: '>'", "bad-param",
     "an empty 'level' is neither less nor more than anything",
     "compare with == or != to test for empty"),
    ("compare: {field: returns, value: 2}", "compare", "missing-param",
     "guard 'compare' needs parameter 'op'", "write {compare: {op: ...}}"),
    # a field of the other machine
    ("compare: {field: reopen_count, op: '>=', value: 1}", "field: reopen_count",
     "unknown-field", "not a field of machine 'rectification'", None),
]


@pytest.mark.parametrize("call, token, code, message, hint", BAD, ids=[b[0] for b in BAD])
def test_a_bad_compare_is_located_with_a_hint(tmp_path: Path, call: str, token: str, code: str,
                                              message: str, hint: str | None) -> None:
    text = override("rectification", "verify", "guards", [call])
    result, path = validate(tmp_path, text)
    first, given = only_problem(result)
    line, column = position(text, token)
    assert first.startswith(f"{path}:{line}:{column}: error[{code}]: "), first
    assert message in first
    if hint is not None:
        assert given == hint


def test_a_bad_compare_on_a_timer_is_located(tmp_path: Path) -> None:
    text = override("rectification", "verify", "guards", ["actor_not_in_unit"]) + (
        "timers:\n  - key: nudge\n    machine: rectification\n    state: submitted\n"
        "    after: 5 working days\n    trigger: verify\n    guards:\n"
        "      - compare: {field: returns, op: '>=', value: two}\n")
    result, path = validate(tmp_path, text)
    first, _ = only_problem(result)
    line, column = position(text, "value: two")
    assert first.startswith(f"{path}:{line}:{column}: error[field-type]: "), first


def test_a_stage_has_no_field_to_compare(tmp_path: Path) -> None:
    text = override("rectification", "verify", "guards", ["actor_not_in_unit"]).replace(
        "    exit: [all_items_closed_or_long_term, mechanisms_in_force]",
        "    exit: [{compare: {field: returns, op: '<', value: 1}}]")
    result, path = validate(tmp_path, text)
    first, hint = only_problem(result)
    line, column = position(text, "field: returns, op: '<'")
    assert first.startswith(f"{path}:{line}:{column}: error[no-subject]: "), first


def test_good_compares_are_valid(tmp_path: Path) -> None:
    text = override("rectification", "verify", "guards", [
        "compare: {field: returns, op: '<', value: 2}",
        "compare: {field: level, op: '!='}", "compare: {field: level, op: '==', value: 督办}",
        "compare: {field: deadline, op: '>=', value: 2011-03-01}"])
    result, path = validate(tmp_path, text)
    assert result.exit_code == 0, result.output


# ------------------------------------------------- 敷衍 → 复查 → 追责, end to end through the CLI

# A city's 2010–2011 campaign on investment-project approvals, with a 回头看 stage: a unit whose
# self-inspection is returned as perfunctory re-inspects; returned a second time, its head is
# held accountable (by the clock, one working day later), and it may not resubmit before.
# The whole definition is tests/data/tzxm-2010.yaml, which tests/test_campaign_city_2010.py
# runs end to end.
CITY = (Path(__file__).resolve().parent / "data" / "tzxm-2010.yaml").read_text(encoding="utf-8")


@pytest.fixture
def city(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    cli = seeded(tmp_path, tmp_path_factory, campaign=False)
    path = tmp_path / "tzxm-2010.yaml"
    path.write_text(CITY, encoding="utf-8")
    cli.ok("campaign", "start", str(path), "--start", "2010-06-01", "--actor", "lead")
    return cli


def state(cli: Cli, code: str) -> str:
    return str(scalar(cli.db, "SELECT r.state FROM rectifications r JOIN items i "
                      "ON i.id = r.item_id WHERE i.code = ?", code))


def returned(cli: Cli, code: str, day: str) -> None:
    cli.ok("item", "advance", "return", code, "--note", "自查敷衍，限期复查", "--actor", "sup",
           "--as-of", day)


def test_returned_twice_the_head_is_held_accountable_not_after_once(city: Cli) -> None:
    code = city.ok("item", "add", "tzxm-2010", "--title", "项目审批超时限", "--unit", "czj",
                   "--category", "slow-approval", "--source", "self-inspection",
                   "--actor", "sup", "--as-of", "2011-01-10").strip()
    city.ok("item", "advance", "confirm", code, "--actor", "sup", "--as-of", "2011-01-10")
    city.ok("item", "rectify", code, "--measures", "压缩审批时限", "--deadline", "2011-03-31",
            "--actor", "head", "--as-of", "2011-01-10")
    city.ok("item", "advance", "submit", code, "--actor", "head", "--as-of", "2011-01-11")

    returned(city, code, "2011-01-12")  # 敷衍: re-inspect (复查)
    first = city.ok("tick", "tzxm-2010", "--as-of", "2011-01-20")
    assert state(city, code) == "in_progress"  # one return: no accountability
    # the guard not met: not due, which is no failure (one line, no row)
    assert "not due, guards not met: timers.accountability (1 item(s))" in first
    city.ok("item", "advance", "submit", code, "--actor", "head", "--as-of", "2011-01-21")

    returned(city, code, "2011-01-24")  # still perfunctory
    error = city.fails(1, "item", "advance", "submit", code, "--actor", "head",
                       "--as-of", "2011-01-24")
    assert "'returns' is 2; needs < 2" in error  # no resubmitting past the accountability
    second = city.ok("tick", "tzxm-2010", "--as-of", "2011-01-25")
    assert state(city, code) == "accountable"
    assert "2011-01-25  timers.accountability  复查仍敷衍，追究主要负责人责任  1" in second
    history = city.ok("item", "show", code).splitlines()
    assert [line.split()[2] for line in history if line.startswith("2011-") and " system " in
            line and "escalate" not in line] == ["hold-accountable"]
    city.ok("item", "advance", "resubmit", code, "--actor", "head", "--as-of", "2011-01-26")
    assert state(city, code) == "submitted"


def test_the_tutorial_shows_the_definition_tested_here() -> None:
    """docs/tutorial.md section 7 is the pattern this file runs, not a look-alike."""
    import re

    import yaml

    text = (Path(__file__).resolve().parent.parent / "docs" / "tutorial.md").read_text("utf-8")
    section = text.split("## 7. Escalation on events")[1].split("\n## ")[0]
    shown = yaml.safe_load(re.findall(r"```yaml\n(.*?)```", section, re.S)[0])
    tested = yaml.safe_load(CITY)
    assert shown == {"machines": tested["machines"], "timers": tested["timers"]}
