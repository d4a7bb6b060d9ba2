"""A timer whose guard does not hold has nothing due: `rectify tick` prints no failure and no
row with count 0 for it, only one summary line (and a count per timer in --json)."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli_common import Cli, site

DEFINITION = Path(__file__).resolve().parent / "data" / "tzxm-2010.yaml"
KEY = "tzxm-2010"
UNITS = """code,title,parent,kind
city,荆门市,,city
dcs,市政府督查室,city,office
fgw,市发展改革委,city,department
zjw,市住建委,city,department
"""
PEOPLE = """key,name,unit,roles
sup,刘督查,dcs,supervision-office
fgw-head,陈主任,fgw,unit-head
zjw-head,黄主任,zjw,unit-head
"""


def test_a_timer_guard_that_does_not_hold_is_not_reported_as_not_done(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "t.db")
    site(cli, tmp_path, UNITS, PEOPLE, "2010-05-04")
    cli.ok("campaign", "start", str(DEFINITION), "--start", "2010-05-04", "--actor", "sup",
           "--as-of", "2010-05-04")
    codes = []
    for title, unit, head in (("项目审批超时", "fgw", "fgw-head"), ("擅自增加建设内容", "zjw", "zjw-head")):
        code = cli.ok("item", "add", KEY, "--title", title, "--unit", unit, "--category",
                      "slow-approval", "--source", "self-inspection", "--actor", "sup",
                      "--as-of", "2010-06-10").strip()
        cli.ok("item", "advance", "confirm", code, "--actor", "sup", "--as-of", "2010-06-10")
        cli.ok("item", "rectify", code, "--measures", "补齐手续", "--deadline", "2010-09-30",
               "--actor", head, "--as-of", "2010-06-10")
        codes.append(code)
    # both in progress for weeks, none returned twice: the accountability timer has nothing due
    out = cli.ok("tick", KEY, "--as-of", "2010-06-30")
    assert "not done" not in out
    assert "timers.accountability" not in out.split("not due, guards not met:")[0]
    assert "not due, guards not met: timers.accountability (2 item(s))" in out
    assert codes[0] not in out and "'returns' is 0" not in out
    report = json.loads(cli.ok("tick", KEY, "--as-of", "2010-07-01", "--json"))
    assert [s for s in report["steps"] if s["rule"] == "timers.accountability"] == []
    assert report["held"] == {"timers.accountability": 2}
    assert "nothing due" in cli.ok("tick", KEY, "--as-of", "2010-07-02")

    # returned twice: the timer fires, and its row says so
    code = codes[0]
    for day in ("2010-07-05", "2010-07-07"):
        cli.ok("item", "advance", "submit", code, "--actor", "fgw-head", "--as-of", day)
        cli.ok("item", "advance", "return", code, "--actor", "sup", "--as-of", day, "--note", "敷衍")
    out = cli.ok("tick", KEY, "--as-of", "2010-07-09")
    rows = [line for line in out.splitlines() if "timers.accountability" in line]
    assert rows[0].startswith("2010-07-08  timers.accountability") and rows[0].endswith("  1"), out
    assert "not due, guards not met: timers.accountability (1 item(s))" in out
