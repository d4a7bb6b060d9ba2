"""Replay seed 004's year of inspections (民勤县2020年督查检查考核工作计划) through the CLI.

The county's plan (30 items, 9 fixed groups of 27 people, visit budgets) is loaded and
published in January; each group carries out its items on the first working day of their
periods; the office adds an inspection before each holiday (个个节日有督查, seed 003) and a
few spot checks, one of them the same afternoon as a planned visit (上午来一拨，下午又来一拨);
every third planned visit finds a problem, told to the township's head that day.  Every step is
a real ``rectify`` command run in-process, in business-date order.  The plan, the units and the
campaign are the test fixtures in tests/data.  Run it directly:

    python examples/minqin-2020/replay.py --db out/minqin-2020.db
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "tests", "data")
PLAN = os.path.join(DATA, "minqin-plan-2020.yaml")
UNITS = os.path.join(DATA, "minqin-units.csv")
DEFINITION = os.path.join(DATA, "zuofeng-minqin-2020.yaml")
KEY = "zuofeng-mq-2020"
ADMIN, OFFICE = "admin", "qiu-kpzx"
HEADS = ["赵", "钱", "孙", "李", "周", "吴", "郑", "王", "冯"]  # the townships' party secretaries
CATEGORIES = ("discipline", "formalism", "vehicles")
PROBLEMS = ("工作日脱岗，值班无人", "迎检准备台账，层层加码", "公车停放在农家乐")
SPOT_CHECKS = [  # the office's own checks beyond the plan: (day, unit, theme, breach flags)
    ("2020-03-02", "t02", "乡村振兴", ["--demanded-materials"]),  # with group 2, same day
    ("2020-06-10", "t01", "安全生产", ["--announced"]),  # 薛百镇's fourth visit: over budget
    ("2020-09-15", "d05", "项目资金争取", []),
]


@dataclass(order=True)
class Step:
    day: dt.date
    seq: int
    args: list[str] = field(compare=False)
    tag: str = field(default="", compare=False)


class Script:
    def __init__(self) -> None:
        self.steps: list[Step] = []

    def at(self, day: dt.date, *args: str, tag: str = "") -> None:
        self.steps.append(Step(day, len(self.steps), [*args, "--as-of", day.isoformat()], tag))


def first_working_day(day: dt.date) -> dt.date:
    from engine.core.calendar import calendar_for
    from engine.core.spec import CalendarSpec

    cal = calendar_for(CalendarSpec())
    while not cal.is_working(day):
        day += dt.timedelta(days=1)
    return day


def plan_items() -> list[dict[str, object]]:
    """The plan's items with their first and last day."""
    import yaml

    from campaigns.inspections.periods import parse_period

    with open(PLAN, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    teams = {t["key"]: t for t in data["teams"]}
    out = []
    for item in data["items"]:
        starts, ends = parse_period(item["period"], data["plan"]["year"])
        team = teams[item["team"]]
        out.append({**item, "starts": starts, "ends": ends, "members": team["members"],
                    "targets": item.get("targets") or team["targets"]})
    return out


def script(holidays: list[dict[str, str]]) -> Script:
    """The year as a dated list of commands (inspection references filled in as they run)."""
    s = Script()
    s.at(dt.date(2020, 1, 6), "inspection", "plan", "load", PLAN, "--actor", OFFICE)
    s.at(dt.date(2020, 1, 10), "inspection", "plan", "publish", "2020", "--actor", OFFICE)
    for n, item in enumerate(plan_items()):
        day = first_working_day(item["starts"])  # type: ignore[arg-type]
        theme = str(item["title"]).removesuffix("督查")
        members = [a for m in item["members"] for a in ("--member", m)]  # type: ignore[attr-defined]
        targets = [a for t in item["targets"] for a in ("--target", t)]  # type: ignore[attr-defined]
        tag = f"@plan{item['ref']}"
        s.at(day, "inspection", "add", KEY, "--date", day.isoformat(), "--team",
             str(item["team"]), *members, *targets, "--method", str(item["method"]),
             "--theme", theme, "--point", "办公场所", "--actor", OFFICE, tag=tag)
        if n % 3 == 0:
            town = next(t for t in item["targets"] if t.startswith("t"))  # type: ignore[attr-defined]
            s.at(day, "inspection", "finding", tag, "--unit", town, "--title",
                 PROBLEMS[n % 3], "--category", CATEGORIES[n % 3], "--actor", OFFICE)
    for h in holidays:
        day = dt.date.fromisoformat(h["inspect_on"])
        if day.year != 2020:
            continue
        s.at(day, "inspection", "add", KEY, "--date", day.isoformat(), "--team", "县作风办",
             "--member", "县作风办", "--target", "d02", "--target", "d07", "--method",
             h["method"], "--theme", h["theme"], "--point", "公车停放", "--actor", OFFICE)
    for when, unit, theme, flags in SPOT_CHECKS:
        day = dt.date.fromisoformat(when)
        s.at(day, "inspection", "add", KEY, "--date", when, "--team", "县督查室", "--member",
             "县督查室", "--target", unit, "--method", "随机抽查", "--theme", theme, "--point",
             "办公场所", *flags, "--actor", OFFICE)
    return s


def replay(db: str, echo: bool = False) -> None:
    """Run the year into database ``db``."""
    from click.testing import CliRunner

    from campaigns.cli import cli

    runner = CliRunner()
    refs: dict[str, str] = {}

    def run(args: list[str]) -> str:
        args = [refs.get(a, a) for a in args]
        result = runner.invoke(cli, ["--debug", *args, "--db", db])
        if result.exit_code != 0:
            raise SystemExit(f"replay step failed: rectify {' '.join(args)}\n{result.output}"
                             f"{result.exception!r}")
        if echo and result.output.strip():
            print(result.output.rstrip())
        return result.stdout

    run(["init", "--admin", ADMIN, "--name", "系统管理员"])
    run(["unit", "import", UNITS, "--actor", ADMIN])
    run(["person", "add", OFFICE, "--name", "邱旭美", "--unit", "kpzx", "--role",
         "inspection-office", "--role", "office", "--actor", ADMIN])
    for i, name in enumerate(HEADS, start=1):
        run(["person", "add", f"head-t{i:02d}", "--name", f"{name}书记", "--unit", f"t{i:02d}",
             "--role", "unit-head", "--actor", ADMIN])
    run(["campaign", "start", DEFINITION, "--start", "2020-01-01", "--actor", OFFICE,
         "--as-of", "2020-01-01"])
    holidays = json.loads(run(["inspection", "holidays", KEY, "2020", "--json",
                               "--as-of", "2020-01-01"]))
    for step in sorted(script(holidays).steps):
        out = run(step.args)
        if step.tag:
            refs[step.tag] = out.split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.path.join(ROOT, "out", "minqin-2020.db"))
    args = parser.parse_args()
    if os.path.dirname(args.db):
        os.makedirs(os.path.dirname(args.db), exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(args.db + suffix):
            os.remove(args.db + suffix)
    replay(args.db)
    print(f"replayed {KEY}: the 2020 inspection plan into {args.db}")


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    main()
