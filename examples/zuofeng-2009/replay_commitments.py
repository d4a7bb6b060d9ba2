"""Replay seed 002's registers (“干部作风建设年”活动, 2009) through the CLI: public commitments and
the six institutions.

3月下旬 the office records the commitments the definition lists, one unit each, and publishes
them (公开承诺); they are tracked on the seed's cadence (一天一跟踪、一周一点评、一月一调度、一季一总结)
by their units, with one monthly dispatch late and one missing; at the year's end each is
reviewed (一年一兑现).  In 深化拓展 the six institutions (六个方面制度) are recorded from the
definition's register, issued and put in force.  Every step is a real ``rectify`` command run
in-process, in business-date order.  Run it directly:

    python examples/zuofeng-2009/replay_commitments.py --db out/zuofeng-2009.db
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFINITION = os.path.join(ROOT, "definitions", "zuofeng-2009.yaml")
KEY = "zuofeng-2009"
OFFICE, ADMIN = "off", "admin"

# code, title, parent, kind
UNITS = [("county", "某县", None, "county"), ("hdb", "县作风建设年活动办", "county", "office"),
         ("fgj", "县发改局", "county", "department"), ("czj", "县财政局", "county", "department"),
         ("zzb", "县委组织部", "county", "department"), ("xz", "某镇", "county", "township")]
# key, name, unit, role
PEOPLE = [(OFFICE, "周主任", "hdb", "campaign-office"), ("fgj-head", "王局长", "fgj", "unit-head"),
          ("czj-head", "李局长", "czj", "unit-head"), ("zzb-head", "赵部长", "zzb", "unit-head"),
          ("xz-head", "孙镇长", "xz", "unit-head")]
# the definition's commitments (commitments.list) and who promises each
ASSIGNED = {"key-projects": ("fgj", "fgj-head"), "squatting-research": ("zzb", "zzb-head"),
            "pairing-aid": ("czj", "czj-head"), "competitive-posts": ("zzb", "zzb-head"),
            "conduct-assessment": ("zzb", "zzb-head"), "open-reception": ("xz", "xz-head"),
            "hard-problems": ("fgj", "fgj-head"), "efficiency-revolution": ("czj", "czj-head"),
            "institutions": ("hdb", OFFICE), "year-summary": ("xz", "xz-head")}
RECORDED, PUBLISHED = dt.date(2009, 3, 20), dt.date(2009, 3, 25)  # 3月下旬
LATE = {("key-projects", "2009-06"): dt.date(2009, 7, 2)}  # June's dispatch, two days late
MISSED = {("open-reception", "2009-09")}  # never recorded
DAILY_MISSED = {dt.date(2009, 7, 20)}
EARLY = {"year-summary": dt.date(2009, 12, 8)}  # 12月上旬上报: fulfilled before its 10 December
OUTCOMES = {"key-projects": ("partly", "两个重点项目年内未竣工"),
            "hard-problems": ("broken", "难题未破解")}
YEAR_END = dt.date(2009, 12, 31)
INSTITUTIONS = ["study", "serve-the-public", "efficiency", "target-management", "incentives",
                "supervision"]


@dataclass(order=True)
class Step:
    day: dt.date
    seq: int
    args: list[str] = field(compare=False)


class Script:
    def __init__(self) -> None:
        self.steps: list[Step] = []

    def at(self, day: dt.date, *args: str) -> None:
        self.steps.append(Step(day, len(self.steps), [*args, "--as-of", day.isoformat()]))


def listed() -> list[dict[str, object]]:
    """The definition's commitments, read from the YAML as written."""
    import yaml

    with open(DEFINITION, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return list(data["commitments"]["list"])


def month_ends(start: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    """(month key, last working day) of each month from ``start``'s to ``end``'s."""
    from engine.core.calendar import calendar_for
    from engine.core.spec import CalendarSpec

    cal = calendar_for(CalendarSpec(region="cn"))
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))
        while not cal.is_working(last):
            last -= dt.timedelta(days=1)
        out.append((f"{year}-{month:02d}", last))
        year, month = year + month // 12, month % 12 + 1
    return out


def plan() -> Script:
    """The registers' year as a dated list of commands."""
    s = Script()
    ids = {c["key"]: n for n, c in enumerate(listed(), start=1)}
    for key, (unit, person) in ASSIGNED.items():
        s.at(RECORDED, "commitment", "add", KEY, "--from", key, "--unit", unit, "--person",
             person, "--actor", OFFICE)
    s.at(PUBLISHED, "commitment", "publish", KEY, "--actor", OFFICE)
    for c in listed():
        key = str(c["key"])
        start, due = (dt.date.fromisoformat(str(c[k])) for k in ("start", "due"))
        person = ASSIGNED[key][1]
        review_day = EARLY.get(key, YEAR_END)
        for month, last in month_ends(start, due):  # 一月一调度
            if (key, month) in MISSED or last > review_day:
                continue
            s.at(LATE.get((key, month), last), "commitment", "track", str(ids[key]), "--check",
                 "monthly", "--period", month, "--note", f"{month}月调度：按计划推进",
                 "--actor", person)
    ca = ids["conduct-assessment"]
    day = dt.date(2009, 7, 13)
    while day <= dt.date(2009, 7, 31):  # 一天一跟踪 of the July assessment, weekdays
        if day.weekday() < 5 and day not in DAILY_MISSED:
            s.at(day, "commitment", "track", str(ca), "--check", "daily", "--period",
                 day.isoformat(), "--actor", "zzb-head")
        if day.weekday() == 4:  # 一周一点评
            s.at(day, "commitment", "track", str(ca), "--check", "weekly", "--actor", "zzb-head")
        day += dt.timedelta(days=1)
    for quarter, last in (("2009-Q2", "2009-06-30"), ("2009-Q3", "2009-09-30"),
                          ("2009-Q4", "2009-12-31")):  # 一季一总结
        s.at(dt.date.fromisoformat(last), "commitment", "track", str(ids["key-projects"]),
             "--check", "quarterly", "--period", quarter, "--actor", "fgj-head")
    for n, key in enumerate(INSTITUTIONS, start=1):  # 深化拓展: 六个方面制度
        s.at(dt.date(2009, 11, 16), "mechanism", "add", KEY, "--from", key, "--actor", OFFICE)
        s.at(dt.date(2009, 12, 1), "mechanism", "advance", str(n), "issue", "--actor", OFFICE)
        s.at(dt.date(2009, 12, 15), "mechanism", "advance", str(n), "enforce", "--number",
             f"县作风办发〔2009〕{n}号", "--on", "2009-12-15", "--actor", OFFICE)
    for key, n in ids.items():  # 一年一兑现, after the day's check-ins
        outcome, note = OUTCOMES.get(key, ("fulfilled", "已按承诺兑现"))
        s.at(EARLY.get(key, YEAR_END), "commitment", "review", str(n), "--outcome", outcome,
             "--note", note, "--actor", OFFICE)
    return s


def site(run: object) -> None:
    """The site the campaign runs on: its administrator, units and people, then the campaign."""
    call = run  # a callable taking the command's words
    assert callable(call)
    call("init", "--admin", ADMIN)
    for code, title, parent, kind in UNITS:
        call("unit", "add", "--actor", ADMIN, code, "--title", title, "--kind", kind,
             *(["--parent", parent] if parent else []))
    for key, name, unit, role in PEOPLE:
        call("person", "add", "--actor", ADMIN, key, "--name", name, "--unit", unit, "--role", role)
    call("campaign", "start", DEFINITION, "--start", "2009-02-01", "--actor", OFFICE)


def replay(db: str) -> None:
    """Run the whole year against ``db`` (a new SQLite file or URL)."""
    from click.testing import CliRunner

    from campaigns.cli import cli

    runner = CliRunner()

    def call(*args: str) -> str:
        result = runner.invoke(cli, [*args, "--db", db], catch_exceptions=False)
        if result.exit_code != 0:
            raise SystemExit(f"rectify {' '.join(args)} → {result.exit_code}\n{result.output}")
        return result.output

    site(call)
    for step in sorted(plan().steps):
        call(*step.args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a new SQLite file")
    args = parser.parse_args()
    if os.path.exists(args.db):
        sys.exit(f"{args.db} exists: give a new file")
    replay(args.db)
    print(f"replayed seed 002's commitments and institutions into {args.db}")


if __name__ == "__main__":
    main()
