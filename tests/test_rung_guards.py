"""Ladder levels that climb only when their guards hold (约谈 only for work already sent back).

Before, a level had no guards: every rectification past its deadline got the same rungs, and
a rule such as "the head is summoned (约谈) only when the work was sent back at least once" had
to be hand-built as states.  A level now takes ``compare`` guards on a field of the subject,
decided over the whole table in SQL by ``rectify tick`` and one subject at a time by the pure
clock when a change brings an item up to its date; a guard the SQL cannot decide is refused
when the definition loads, where it was written.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, select
from test_cli_common import Cli, seeded
from test_compare_guard import CITY
from test_validate_targets import only_problem, position, validate

from engine.core.rungs import holds
from engine.core.spec import CallRef
from engine.io.clock import rung_clause

LADDER = """\
  levels:
    - {key: reminder, title: 提醒, at: -3 working days}
    - key: interview
      title: 约谈
      at: +1 calendar day
      action: 约谈单位主要负责人
      guards:
        - compare: {field: returns, op: '>=', value: 1}
    - {key: circular, title: 通报, at: +5 working days}
"""
# the city's ladder, its levels replaced by these three
RUNGS = re.sub(r"  levels:\n(?:    .*\n)+", lambda _: LADDER, CITY, count=1)
assert RUNGS != CITY


@pytest.fixture
def city(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    cli = seeded(tmp_path, tmp_path_factory, campaign=False)
    path = tmp_path / "tzxm-2010.yaml"
    path.write_text(RUNGS, encoding="utf-8")
    cli.ok("campaign", "start", str(path), "--start", "2010-06-01", "--actor", "lead")
    return cli


def planned(city: Cli, title: str, deadline: str) -> str:
    code = city.ok("item", "add", "tzxm-2010", "--title", title, "--unit", "czj", "--category",
                   "slow-approval", "--source", "inspection", "--actor", "sup",
                   "--as-of", "2011-01-10").strip()
    city.ok("item", "advance", "confirm", code, "--actor", "sup", "--as-of", "2011-01-10")
    city.ok("item", "rectify", code, "--measures", "压缩审批时限", "--deadline", deadline,
            "--actor", "head", "--as-of", "2011-01-10")
    return code


def rungs(city: Cli) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for n in json.loads(city.ok("notices", "tzxm-2010", "--json")):
        out.setdefault(n["code"], []).append((n["issued_on"], n["level"]))
    return out


def test_a_guarded_level_climbs_only_where_its_guard_holds(city: Cli) -> None:
    never_returned = planned(city, "未退回的问题", "2011-02-28")
    sent_back = planned(city, "退回过的问题", "2011-01-31")
    city.ok("item", "advance", "submit", sent_back, "--actor", "head", "--as-of", "2011-01-12")
    city.ok("item", "advance", "return", sent_back, "--note", "自查敷衍", "--deadline", "2011-02-28",
            "--actor", "sup", "--as-of", "2011-01-13")
    out = city.ok("tick", "tzxm-2010", "--as-of", "2011-03-10")
    assert [line.split()[1:3] for line in out.splitlines() if "escalation." in line] == [
        ["escalation.reminder", "提醒"], ["escalation.interview", "约谈"],
        ["escalation.circular", "通报"]]
    got = rungs(city)
    # the same deadline, the same days: only the one sent back is summoned; the other goes on
    assert got[sent_back] == [("2011-02-23", "reminder"), ("2011-03-01", "interview"),
                              ("2011-03-07", "circular")]
    assert got[never_returned] == [("2011-02-23", "reminder"), ("2011-03-07", "circular")]


def test_a_change_brings_the_guarded_level_up_to_its_date_as_a_tick_would(city: Cli) -> None:
    sent_back = planned(city, "退回过的问题", "2011-01-31")
    city.ok("item", "advance", "submit", sent_back, "--actor", "head", "--as-of", "2011-01-12")
    city.ok("item", "advance", "return", sent_back, "--note", "自查敷衍", "--deadline", "2011-02-28",
            "--actor", "sup", "--as-of", "2011-01-13")
    city.ok("tick", "tzxm-2010", "--as-of", "2011-01-13")
    # no tick since: submitting on 03-08 first writes what daily ticks would have
    city.ok("item", "advance", "submit", sent_back, "--actor", "head", "--as-of", "2011-03-08")
    assert rungs(city)[sent_back] == [
        ("2011-02-23", "reminder"), ("2011-03-01", "interview"), ("2011-03-07", "circular")]


# ------------------------------------------------------------ the SQL means what the guard means

META = MetaData()
SUBJECTS = Table("subjects", META, Column("id", Integer, primary_key=True),
                 Column("count", Integer), Column("tag", String(8)), Column("due", Date))
VALUES = {"count": [None, 0, 1, 2], "tag": [None, "a", "b"],
          "due": [None, dt.date(2011, 3, 1), dt.date(2011, 3, 2)]}
OPS = ["==", "!=", "<", "<=", ">", ">="]
GUARDS = ([("count", op, v) for op in OPS for v in (0, 1, 2)]
          + [("tag", op, v) for op in ("==", "!=") for v in (None, "a")]
          + [("due", op, v) for op in OPS for v in ("2011-03-01",)]
          + [(f, op, None) for f in ("count", "due") for op in ("==", "!=")])


def test_every_comparison_selects_in_sql_the_rows_it_allows_in_python() -> None:
    engine = create_engine("sqlite://")
    META.create_all(engine)
    rows = [dict(zip(VALUES, combo, strict=True)) for combo in itertools.product(*VALUES.values())]
    with engine.begin() as conn:
        conn.execute(SUBJECTS.insert(), [{"id": i, **r} for i, r in enumerate(rows)])
        for field, op, value in GUARDS:
            guard = CallRef("compare", (("field", field), ("op", op), ("value", value)))
            selected = set(conn.execute(select(SUBJECTS.c.id).where(
                rung_clause(SUBJECTS, guard))).scalars())
            allowed = {i for i, r in enumerate(rows) if holds((guard,), r)}
            assert selected == allowed, (field, op, value)


# ------------------------------------------------------------------- refused when it loads


def test_a_guard_sql_cannot_decide_is_refused_where_it_is_written(tmp_path: Path) -> None:
    text = RUNGS.replace("        - compare: {field: returns, op: '>=', value: 1}\n",
                         "        - note_required\n")
    result, path = validate(tmp_path, text)
    first, hint = only_problem(result)
    line, column = position(text, "note_required")
    assert first == (f"{path}:{line}:{column}: error[rung-guard]: level 'interview' cannot take "
                     "guard 'note_required': the clock decides a rung for every subject at once, "
                     "so a rung takes only compare (at escalation.levels[1].guards[0])")
    assert hint is not None and "{compare: {field: returns, op: '>=', value: 1}}" in hint


def test_a_rung_guard_names_a_field_of_the_ladders_machine(tmp_path: Path) -> None:
    text = RUNGS.replace("field: returns, op: '>=', value: 1", "field: retruns, op: '>=', value: 1")
    result, path = validate(tmp_path, text)
    first, hint = only_problem(result)
    line, column = position(text, "field: retruns")
    assert first.startswith(f"{path}:{line}:{column}: error[unknown-field]: "), first
    assert hint == "did you mean 'returns'?"
