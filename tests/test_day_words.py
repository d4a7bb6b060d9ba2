"""Day counts say 工作日 or 自然日, never a bare 日, wherever a span is printed in Chinese; and a
filing's due date on a day off moves to the next working day unless the definition says
otherwise (National Day 2015, through the CLI)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from test_cli_common import WGBW, Cli, populate

from engine.core.cadence import Schedule, parse_schedule

ROOT = Path(__file__).resolve().parent.parent
ZH = {"LANGUAGE": "zh_CN", "LANG": "zh_CN.UTF-8"}
# a number followed by 日 or 天 that is not the day of a date (…月5日, …-12-31 日常监督): a bare day count
BARE = re.compile(r"(?<![月\d-])\d+\s*个?\s*(?:日|天)(?!期)")


def test_validate_in_chinese_counts_working_or_calendar_days() -> None:
    paths = [str(p) for p in sorted((ROOT / "definitions").glob("*.yaml"))]
    result = Cli(Path("unused.db")).invoke("validate", *paths, db=False, env=ZH)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "个工作日" in out and "个自然日" in out and "每月底前" in out
    assert "working day" not in out and "calendar day" not in out
    assert not BARE.findall(out), BARE.findall(out)


def test_a_deprecated_reporting_block_reads_in_chinese_too(tmp_path: Path) -> None:
    from test_reporting_upgrade import old_lanzheng

    result = Cli(tmp_path / "x.db").invoke("validate", str(old_lanzheng(tmp_path)), db=False,
                                           env=ZH)
    assert "警告[deprecated-reporting]" in result.stderr and "每月底前" in result.stderr
    assert not BARE.findall(result.output)


SCHEDULES = st.one_of(
    st.builds(Schedule, st.just("daily")),
    st.builds(Schedule, st.just("weekly"), st.just("day"), weekday=st.integers(0, 6),
              next_period=st.booleans()),
    st.builds(Schedule, st.just("monthly"), st.sampled_from(["last_working", "day"]),
              day=st.integers(1, 28), next_period=st.booleans()),
    st.builds(Schedule, st.just("yearly"), st.sampled_from(["last_working", "day"]),
              day=st.integers(1, 28), month=st.integers(1, 12)),
    st.builds(Schedule, st.just("quarterly")), st.builds(Schedule, st.just("half-yearly")),
    st.builds(Schedule, st.just("once"), st.just("day"),
              on=st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31))),
)


@given(SCHEDULES)
def test_a_schedule_reads_back_from_its_chinese(schedule: Schedule) -> None:
    assert parse_schedule(schedule.zh()).en() == schedule.en(), schedule.zh()
    assert not BARE.findall(schedule.zh())


def test_a_moved_due_date_says_so_in_chinese() -> None:
    assert parse_schedule("每月5日前", "keep").zh() == "每月5日前（遇休息日不顺延）"
    assert parse_schedule("每周日", "before").zh() == "每周日（遇休息日提前至前一个工作日）"


def definition(folder: Path, on_days_off: str | None) -> Path:
    text = WGBW.read_text(encoding="utf-8")
    text = text[:text.index("\nfilings:")] + "\n"
    text += ("filings:\n  items:\n    - key: first-day\n      title: 月初报送\n"
             "      schedule: 每月1日前\n      units: [department]\n      office: lead-office\n")
    if on_days_off:
        text += f"      on_days_off: {on_days_off}\n"
    path = folder / f"first-day-{on_days_off}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("on_days_off", "due"), [
    (None, "2015-10-08"),  # 1-7 October off: the next working day
    ("next", "2015-10-08"),
    ("keep", "2015-10-01"),  # the definition says otherwise
    ("before", "2015-09-30"),
])
def test_national_day_moves_a_due_date_unless_the_definition_says(
        tmp_path: Path, on_days_off: str | None, due: str) -> None:
    cli = populate(Cli(tmp_path / "r.db"))
    cli.ok("campaign", "start", str(definition(tmp_path, on_days_off)), "--start", "2015-07-01",
           "--actor", "lead")
    cli.ok("tick", "wgbw-2015", "--as-of", "2015-10-09")
    rows = json.loads(cli.ok("filing", "status", "wgbw-2015", "--period", "2015-10",
                             "--json", "--as-of", "2015-10-09"))
    assert {r["due"] for r in rows} == {due}
    # September's first is a working day and stays, whatever the definition says
    rows = json.loads(cli.ok("filing", "status", "wgbw-2015", "--period", "2015-09",
                             "--json", "--as-of", "2015-10-09"))
    assert {r["due"] for r in rows} == {"2015-09-01"}


def test_a_timer_s_wait_reads_in_working_days() -> None:
    from campaigns.firing import timer_text
    from campaigns.i18n import speaking
    from engine.core.loader import load

    (timer,) = load(str(ROOT / "definitions" / "zuofeng-2009.yaml")).timers
    with speaking("zh_CN"):
        text = timer_text(timer)
    assert text == "处于 extension_requested 满 5个工作日（定时规则 silence-is-consent）"
    assert timer_text(timer).startswith("5 working days in extension_requested")
