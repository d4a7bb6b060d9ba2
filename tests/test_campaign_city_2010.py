"""A city's 2010–2011 campaign on government investment projects, with 回头看, end to end (issue 12).

tests/data/tzxm-2010.yaml is the definition.  The city's departments and districts rectify;
a district's bureaus are under the district.  The campaign is replayed once through the CLI,
every command with its business date in order, from May 2010 to the 回头看 of 2011; the tests
check what the commands printed and what the read-only commands show.  Dates were worked out
by hand on the calendar (2010: 9-22..24 and 10-1..7 off, 9-19, 9-25, 9-26 and 10-9 worked;
2011: 1-1..3 and 2-2..8 off, 1-30 and 2-12 worked).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import Workbook
from test_cli_common import Cli, site

DEFINITION = Path(__file__).resolve().parent / "data" / "tzxm-2010.yaml"
KEY = "tzxm-2010"

UNITS = """code,title,parent,kind
city,荆门市,,city
dcs,市政府督查室,city,office
jcj,市监察局,city,office
zlb,市专项治理办,city,office
fgw,市发展改革委,city,department
fgw-tzk,投资科,fgw,office
zjw,市住建委,city,department
dbq,东宝区,city,district
dbq-dcs,区督查室,dbq,office
dbq-zjj,区住建局,dbq,bureau
"""
PEOPLE = """key,name,unit,roles,title
sup,刘督查,dcs,supervision-office,督查室主任
jc,孙监察,jcj,discipline-inspection,副局长
lead,周主任,zlb,lead-office,办公室主任
fgw-head,陈主任,fgw,unit-head,主任
zjw-head,黄主任,zjw,unit-head,主任
dbq-head,吴区长,dbq,unit-head,区长
dbq-sup,郑督查,dbq-dcs,supervision-office,区督查室主任
"""


class Replay:
    """The campaign's commands in business-date order; what each printed, by label."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.cli = Cli(tmp / "tzxm.db")
        self.out: dict[str, str] = {}
        self.codes: dict[str, str] = {}

    def ok(self, label: str, *args: str, **kw: Any) -> str:
        self.out[label] = self.cli.ok(*args, **kw)
        return self.out[label]

    def fails(self, label: str, *args: str) -> str:
        self.out[label] = self.cli.fails(1, *args)
        return self.out[label]

    def add(self, name: str, day: str, title: str, unit: str, category: str) -> None:
        self.codes[name] = self.ok(f"add {name}", "item", "add", KEY, "--title", title, "--unit",
                                   unit, "--category", category, "--source", "self-inspection",
                                   "--actor", "sup", "--as-of", day).strip()

    def do(self, label: str, trigger: str, name: str, actor: str, day: str, *extra: str) -> str:
        return self.ok(label, "item", "advance", trigger, self.codes[name], "--actor", actor,
                       "--as-of", day, *extra)

    def plan(self, name: str, actor: str, day: str, deadline: str) -> None:
        self.ok(f"plan {name}", "item", "rectify", self.codes[name], "--measures",
                "逐个项目核查，补齐手续", "--deadline", deadline, "--actor", actor, "--as-of", day)

    def tick(self, day: str) -> str:
        return self.ok(f"tick {day}", "tick", KEY, "--as-of", day)


def month_ends(first: str, last: str) -> list[str]:
    day, end, out = dt.date.fromisoformat(first), dt.date.fromisoformat(last), []
    while day <= end:
        following = day + dt.timedelta(days=1)
        if following.month != day.month:
            out.append(day.isoformat())
        day = following
    return out


def play(r: Replay) -> None:
    tmp = r.tmp
    r.ok("validate", "validate", str(DEFINITION), db=False)
    site(r.cli, tmp, UNITS, PEOPLE, "2010-05-04")
    r.ok("start", "campaign", "start", str(DEFINITION), "--start", "2010-05-04", "--actor", "lead",
         "--as-of", "2010-05-04")
    r.tick("2010-05-31")

    # 自查自纠 at 市发改委: sent back as perfunctory (敷衍), re-inspected (复查), sent back again
    r.add("P", "2010-06-10", "项目审批超法定时限", "投资科", "slow-approval")
    r.do("confirm P", "confirm", "P", "sup", "2010-06-10")
    r.plan("P", "fgw-head", "2010-06-10", "2010-09-30")
    r.tick("2010-06-30")
    r.do("submit P", "submit", "P", "fgw-head", "2010-07-01")
    r.do("return P", "return", "P", "sup", "2010-07-02", "--note", "自查敷衍，限期复查")
    r.tick("2010-07-05")
    r.do("submit P again", "submit", "P", "fgw-head", "2010-07-06")
    r.do("return P again", "return", "P", "sup", "2010-07-08", "--note", "复查仍敷衍")
    r.fails("submit P refused", "item", "advance", "submit", r.codes["P"], "--actor", "fgw-head",
            "--as-of", "2010-07-08")
    r.tick("2010-07-08")
    r.tick("2010-07-09")
    r.tick("2010-07-19")
    r.do("resubmit P", "resubmit", "P", "fgw-head", "2010-07-20")
    r.do("verify P", "verify", "P", "sup", "2010-07-21")

    # the inspections' ledger, with each row's 发现日期
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "单位", "问题描述", "问题类别", "问题来源", "发现日期", "整改时限"])
    sheet.append([1, "市住建委", "擅自增加建设内容", "over-budget", "inspection", dt.date(2010, 6, 15),
                  dt.date(2010, 11, 30)])
    sheet.append([2, "东宝区/区住建局", "工程款拨付滞后", "资金拨付使用不规范", "督查检查",
                  dt.date(2010, 9, 10), dt.date(2010, 11, 30)])
    book.save(tmp / "inspection.xlsx")
    r.ok("import", "item", "import", KEY, str(tmp / "inspection.xlsx"), "--actor", "sup",
         "--as-of", "2010-09-15")
    listed = json.loads(r.cli.ok("item", "list", KEY, "--json", "--as-of", "2010-09-15"))
    r.codes.update({"Q" if i["unit"] == "市住建委" else "S": i["code"] for i in listed
                    if i["code"] != r.codes["P"]})
    for name, head in (("Q", "zjw-head"), ("S", "dbq-head")):
        r.do(f"confirm {name}", "confirm", name, "sup", "2010-09-15")
        r.plan(name, head, "2010-09-15", "2010-11-30")
    for day in month_ends("2010-09-30", "2010-10-31"):
        r.tick(day)
    r.do("submit Q", "submit", "Q", "zjw-head", "2010-11-25")
    r.do("submit S", "submit", "S", "dbq-head", "2010-11-25")
    r.do("verify Q", "verify", "Q", "sup", "2010-11-26")
    r.fails("verify S by district", "item", "advance", "verify", r.codes["S"], "--actor",
            "dbq-sup", "--as-of", "2010-11-26")
    r.do("verify S", "verify", "S", "sup", "2010-11-26")
    r.tick("2010-11-30")
    r.tick("2010-12-31")
    r.tick("2011-01-04")  # 自查自纠 and 重点抽查 closed on 01-01; 回头看 opens on 01-04

    # 回头看: Q did not hold (the definition's 20 working days); S neither (--deadline)
    r.do("reopen Q", "reopen", "Q", "jc", "2011-01-10", "--note", "回头看发现又擅自增加建设内容")
    r.do("reopen S", "reopen", "S", "sup", "2011-01-10", "--note", "回头看发现拨付仍滞后",
         "--deadline", "2011-03-31")
    for day in month_ends("2011-01-31", "2011-06-30"):
        r.tick(day)
        if day == "2011-01-31":
            r.tick("2011-02-12")
            r.ok("issue", "notices", KEY, "--issue", "--as-of", "2011-02-12", "--actor", "sup",
                 "-o", str(tmp / "notices.docx"))
    r.tick("2011-07-01")
    r.ok("report", "report", KEY, "--month", "2011-02", "-o", str(tmp / "2011-02.md"),
         "--as-of", "2011-07-01")
    r.ok("ledger", "ledger", KEY, "-o", str(tmp / "ledger.csv"), "--as-of", "2011-07-01")
    r.ok("audit", "audit", "verify", "--all")


@pytest.fixture(scope="module")
def r(tmp_path_factory: pytest.TempPathFactory) -> Replay:
    """The campaign, replayed once for the module; tests only read it (or copy it)."""
    replay = Replay(tmp_path_factory.mktemp("tzxm"))
    play(replay)
    return replay


def as_json(r: Replay, *args: str) -> Any:
    return json.loads(r.cli.ok(*args, "--json"))


def notices(r: Replay, name: str) -> list[tuple[str, str, str, int]]:
    return [(n["issued_on"], n["level"], n["deadline"], n["days_overdue"])
            for n in as_json(r, "notices", KEY, "--as-of", "2011-07-01") if n["code"] == r.codes[name]]


def show(r: Replay, name: str, as_of: str = "2011-07-01") -> dict[str, Any]:
    return dict(as_json(r, "item", "show", r.codes[name], "--as-of", as_of))


def test_the_definition_validates_and_the_replay_ends_verified(r: Replay) -> None:
    assert "tzxm-2010 投资项目审批专项治理" in r.out["validate"]
    assert r.out["audit"].splitlines() == ["tzxm-2010: ok", "site: ok"]


# -------------------------------------------------- 7. 敷衍 → 复查 → 追责, written as compare


def test_7_returned_twice_the_head_is_held_accountable_by_the_clock(r: Replay) -> None:
    # one return: re-inspect, nobody held accountable; a guard not met is no failure
    assert "not due, guards not met: timers.accountability (1 item(s))" in r.out["tick 2010-07-05"]
    assert "not done" not in r.out["tick 2010-07-05"]
    assert "'returns' is 2; needs < 2" in r.out["submit P refused"]
    assert "2010-07-09  timers.accountability  复查仍敷衍，追究主要负责人责任  1" in r.out["tick 2010-07-09"]
    assert show(r, "P", "2010-07-09")["rectification"] == "accountable"
    # the ladder runs on in 追责问责 (applies_in), from the return's default deadline 07-22
    assert notices(r, "P") == [("2010-07-19", "reminder", "2010-07-22", 0)]
    assert r.out["resubmit P"] == f"{r.codes['P']}: resubmit accountable → submitted\n"
    p = show(r, "P")
    assert (p["state"], p["rectification"], p["returns"]) == ("closed", "verified", 2)


# ------------------------------------------------------ 1. duties: a district judges not its own


def test_1_the_district_may_not_verify_its_bureaus_item_the_city_office_may(r: Replay) -> None:
    assert ("'dbq-sup' belongs to the item's own unit 'dbq' (the unit that rectifies it)"
            in r.out["verify S by district"])
    assert show(r, "S", "2010-11-26")["state"] == "closed"


# ----------------------------------------------- 4. 回头看 reopens with a new deadline


def test_4_the_look_back_reopens_with_the_default_or_the_given_deadline(r: Replay) -> None:
    assert r.out["reopen Q"] == (f"{r.codes['Q']}: reopen closed → confirmed; "
                                 "rework verified → in_progress (automatic); new deadline 2011-02-11\n")
    assert r.out["reopen S"].endswith("; new deadline 2011-03-31\n")
    # without --deadline: after_reopen, 20 working days from 2011-01-10 (1-30 worked, 2-2..8
    # off) = 02-11; 提醒 three working days before (02-10, 02-09, 02-01), 督办 the day after,
    # one day overdue, not 提醒 and 督办 on the day of the reopening measured from 2010-11-30
    assert notices(r, "Q") == [("2010-11-25", "reminder", "2010-11-30", 0),
                               ("2011-02-01", "reminder", "2011-02-11", 0),
                               ("2011-02-12", "supervision", "2011-02-11", 1),
                               ("2011-03-11", "circular", "2011-02-25", 14),
                               ("2011-03-25", "accountability", "2011-02-25", 28)]
    # with --deadline 03-31: 督办 04-01, its new deadline 04-18 (4-2 worked, 4-3..5 off)
    assert notices(r, "S") == [("2010-11-25", "reminder", "2010-11-30", 0),
                               ("2011-03-28", "reminder", "2011-03-31", 0),
                               ("2011-04-01", "supervision", "2011-03-31", 1),
                               ("2011-05-03", "circular", "2011-04-18", 15),
                               ("2011-05-17", "accountability", "2011-04-18", 29)]
    q = show(r, "Q")
    assert (q["reopened"], q["original_deadline"], q["deadline"]) == (1, "2010-11-30", "2011-02-25")


# ------------------------------------------------ 5. stages close by themselves; attribution


def test_5_stages_close_by_themselves_and_items_belong_to_their_window(r: Replay) -> None:
    assert r.out["tick 2011-01-04"].splitlines()[3:6] == [
        "2011-01-01  stages.self-inspect  closed self-inspect (自查自纠)  1",
        "2011-01-01  stages.inspect       closed inspect (重点抽查)       1",
        "2011-01-04  stages.look-back     opened look-back (回头看)       1"]
    assert ("not done: stage 'look-back' (回头看) stays open, overdue since 2011-07-01: "
            "问题均已办结或转为长期整改: 2 item(s) are still open" in r.out["tick 2011-07-01"])
    stages = {s["key"]: s for s in as_json(r, "campaign", "status", KEY, "--as-of", "2011-07-01")
              ["stages"]}
    assert stages["mobilize"]["closed_on"] == "2010-06-01"
    assert "2011-07-01" in str(stages["look-back"]["overdue"])
    # found 06-15 (自查自纠 only) and 09-10 (自查自纠 from 06-01, 重点抽查 from 09-01)
    assert (show(r, "Q")["stage"], show(r, "S")["stage"]) == ("self-inspect", "inspect")
    assert show(r, "P")["stage"] == "self-inspect"


# -------------------------------------------------- 8. the 督办通知书, numbered, read back


def test_8_the_look_backs_supervision_notice_is_numbered_and_read_back(r: Replay) -> None:
    assert r.out["issue"].startswith(
        "issued 市府督〔2011〕1号 to 市住建委 (督办, 2011-02-12, 1 item(s), reply by 2011-02-18)")
    document = Document(str(r.tmp / "notices.docx"))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[:4] == ["督办通知书", "市府督〔2011〕1号", "投资项目审批专项治理", "市住建委："]
    assert paragraphs[-2:] == ["市政府督查室", "2011年2月12日"]
    (table,) = document.tables
    row = [cell.text for cell in table.rows[1].cells]
    # overdue counted from the reopening's deadline 02-11: one working day (02-12 was worked)
    assert row[1:3] + row[5:] == [r.codes["Q"], "擅自增加建设内容", "2011-02-11", "1", "2011-02-25"]


# ---------------------------------------------------------- the report and ledger of a month


def test_the_report_and_ledger(r: Replay) -> None:
    report = (r.tmp / "2011-02.md").read_text(encoding="utf-8")
    assert report.startswith("# 投资项目审批专项治理 2011年2月工作月报")
    assert "| 回头看 | look-back | 2011-01-04 至 2011-06-30 | 进行中 | 2011-01-04 |  |" in report
    assert (f"| 2011-02-12 | {r.codes['Q']} | 市住建委 | 督办 | 2011-02-11 | 1 | 2011-02-25 |"
            in report)
    assert r.out["ledger"].endswith(": 3 item(s)\n")
    ledger = (r.tmp / "ledger.csv").read_text(encoding="utf-8-sig")
    assert all(r.codes[n] in ledger for n in "PQS")
