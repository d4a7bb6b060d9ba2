"""Replay seed 004's year of inspections (民勤县2020年督查检查考核工作计划) through the CLI.

The county's plan (30 items, 9 fixed groups of 27 people, visit budgets) is loaded and
published in January; each group carries out its items on the first working day of their
periods; the office adds an inspection before each holiday (个个节日有督查, seed 003) and a
few spot checks, one of them the same afternoon as a planned visit (上午来一拨，下午又来一拨);
every third planned visit finds a problem, told to the township's head that day, which the
township rectifies and the centre verifies; each month's bulletin (月简报) follows early the
next.  Every step is a real ``rectify`` command run in-process, in business-date order, with
the daily clock.  The campaign is
definitions/zuofeng-mq-2020.yaml, the plan definitions/plans/minqin-plan-2020.yaml, the units
and people the CSV files beside this script; the year ends with the visit log, the heat map
and the audit.  Run it directly:

    python examples/minqin-2020/replay.py --db out/minqin-2020.db --out out/minqin-2020
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from _replay import Runner, Script, first_working_day, fresh_db, run_days  # noqa: E402

PLAN = os.path.join(ROOT, "definitions", "plans", "minqin-plan-2020.yaml")
UNITS = os.path.join(HERE, "units.csv")
PEOPLE = os.path.join(HERE, "people.csv")  # the centre's 邱旭美 and the townships' secretaries
DEFINITION = os.path.join(ROOT, "definitions", "zuofeng-mq-2020.yaml")
KEY = "zuofeng-mq-2020"
ADMIN, OFFICE = "admin", "qiu-kpzx"
CATEGORIES = ("discipline", "formalism", "vehicles")
PROBLEMS = ("工作日脱岗，值班无人", "迎检准备台账，层层加码", "公车停放在农家乐")
SPOT_CHECKS = [  # the office's own checks beyond the plan: (day, unit, theme, breach flags)
    ("2020-03-02", "t02", "乡村振兴", ["--demanded-materials"]),  # with group 2, same day
    ("2020-06-10", "t01", "安全生产", ["--announced"]),  # 薛百镇's fourth visit: over budget
    ("2020-09-15", "d05", "项目资金争取", []),
]


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
                 PROBLEMS[n % 3], "--category", CATEGORIES[n % 3], "--actor", OFFICE,
                 tag=f"@item{n}")
            rectify(s, day, f"@item{n}", f"head-{town}")
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


def rectify(s: Script, day: dt.date, code: str, head: str) -> None:
    """The township rectifies what was found (the head confirms, plans and reports it done)
    and the centre verifies it, all within the year."""
    end = dt.date(2020, 12, 31)
    s.at(day + dt.timedelta(days=1), "item", "advance", "confirm", code, "--actor", head)
    s.at(day + dt.timedelta(days=2), "item", "rectify", code, "--measures", "立行立改，举一反三",
         "--target", "问题整改到位", "--deadline", (day + dt.timedelta(days=30)).isoformat(),
         "--leader", head, "--person", head, "--actor", head)
    submit = min(day + dt.timedelta(days=20), end - dt.timedelta(days=2))
    s.at(submit, "item", "advance", "submit", code, "--actor", head)
    s.at(submit + dt.timedelta(days=2), "item", "advance", "verify", code, "--actor", OFFICE)


def bulletins(s: Script, out: str) -> None:
    """月月出简报: the month's bulletin early the next month (December's on the year's last day)."""
    for month in range(1, 13):
        on = first_working_day(dt.date(2020, month + 1, 1)) + dt.timedelta(days=1) \
            if month < 12 else dt.date(2020, 12, 31)
        for ext in ("html", "docx"):
            s.at(on, "circular", "monthly", KEY, "--month", f"2020-{month:02d}", "-o",
                 os.path.join(out, f"bulletin-2020-{month:02d}.{ext}"), "--actor", OFFICE)


def replay(db: str, out: str | None = None, echo: bool = False) -> None:
    """Run the year into database ``db``, the heat map and visit log into ``out``."""
    out = out or os.path.join(os.path.dirname(os.path.abspath(db)), "minqin-2020")
    os.makedirs(out, exist_ok=True)
    run = Runner(db, echo)
    run(["init", "--admin", ADMIN, "--name", "系统管理员"])
    run(["unit", "import", UNITS, "--actor", ADMIN])
    run(["person", "import", PEOPLE, "--actor", ADMIN])
    run(["campaign", "start", DEFINITION, "--start", "2020-01-01", "--actor", OFFICE,
         "--as-of", "2020-01-01"])
    holidays = json.loads(run(["inspection", "holidays", KEY, "2020", "--json",
                               "--as-of", "2020-01-01"]))
    year = script(holidays)
    bulletins(year, out)
    run_days(run, year.steps, dt.date(2020, 1, 1), dt.date(2020, 12, 31), KEY,
             lambda text: text.split()[0])
    for ext in ("svg", "html"):
        run(["inspection", "heatmap", "2020", "-o", os.path.join(out, f"heatmap-2020.{ext}")])
    with open(os.path.join(out, "visits-2020.txt"), "w", encoding="utf-8") as fh:
        fh.write(run(["inspection", "visits", "2020"]))
    run(["audit", "verify", "--all"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.path.join(ROOT, "out", "minqin-2020.db"))
    parser.add_argument("--out", default=os.path.join(ROOT, "out", "minqin-2020"))
    args = parser.parse_args()
    fresh_db(args.db)
    replay(args.db, args.out)
    print(f"replayed {KEY}: the 2020 inspection plan into {args.db}")


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    main()
