"""A provincial 2015 plan against 懒政怠政, run end to end as a new user would (issue 12).

tests/data/lanzheng-2015.yaml is the definition; the tree has five levels (湖北省 → 荆门市 →
沙洋县 → the county's bureaus → their sections), the sections hold the items and their bureaus
rectify them.  The campaign is replayed once through the CLI into a SQLite file, every command
with its business date in order, from the start in May to the 回头看 in December; each test
then checks one of the issue's numbered problems on what the commands printed and on what the
read-only commands show.  Dates were worked out by hand on the 2015 calendar (holidays: 6-22,
9-3..5 with 9-6 worked, 10-1..7 with 10-10 worked); the comments say how.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader
from test_cli_common import Cli, copy_db, site

DEFINITION = Path(__file__).resolve().parent / "data" / "lanzheng-2015.yaml"
KEY = "lanzheng-2015"

UNITS = """代码,名称,上级,类型
hb,湖北省,,province
jm,荆门市,hb,city
jm-zxb,市专项行动办公室,jm,office
sy,沙洋县,jm,county
sy-dcs,县委县政府督查室,sy,office
sy-jw,县纪委,sy,office
czj,县财政局,sy,bureau
czj-ysg,预算股,czj,section
czj-bgs,办公室,czj,section
rsj,县人社局,sy,bureau
rsj-jyg,就业股,rsj,section
jyj,县教育局,sy,bureau
jyj-jcg,基础教育股,jyj,section
gdz,官垱镇,sy,township
"""
# ysg-du and czj-du hold a supervising role but sit in the bureau that rectifies (or under it)
PEOPLE = """编号,姓名,单位,角色,职务
sheng,郑主任,hb,lead-office,省专项行动办副主任
jm-du,罗督查,jm-zxb,city-supervision,督查组组长
sy-du,刘晓东,sy-dcs,county-supervision,督查室主任
sy-jw,孙卫国,sy-jw,discipline-inspection,纪委常委
czj-head,李局长,czj,unit-head,局长
czj-du,钱督查,czj,county-supervision,局纪检组长
ysg-du,吴股长,czj-ysg,county-supervision;unit-head,股长
rsj-head,王局长,rsj,unit-head,局长
jyj-head,赵局长,jyj,unit-head,局长
gdz-head,周镇长,gdz,unit-head,镇长
"""


class Replay:
    """The campaign's commands in business-date order; what each printed, by label."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.cli = Cli(tmp / "lanzheng.db")
        self.out: dict[str, str] = {}
        self.codes: dict[str, str] = {}

    def ok(self, label: str, *args: str, **kw: Any) -> str:
        self.out[label] = self.cli.ok(*args, **kw)
        return self.out[label]

    def fails(self, label: str, code: int, *args: str) -> str:
        self.out[label] = self.cli.fails(code, *args)
        return self.out[label]

    def add(self, name: str, day: str, title: str, unit: str, category: str, source: str,
            *extra: str) -> str:
        code = self.ok(f"add {name}", "item", "add", KEY, "--title", title, "--unit", unit,
                       "--category", category, "--source", source, "--actor", "sy-du",
                       "--as-of", day, *extra).strip()
        self.codes[name] = code
        return code

    def advance(self, label: str, trigger: str, name: str, actor: str, day: str,
                *extra: str) -> str:
        return self.ok(label, "item", "advance", trigger, self.codes[name], "--actor", actor,
                       "--as-of", day, *extra)

    def plan(self, name: str, actor: str, day: str, *extra: str) -> str:
        return self.ok(f"plan {name}", "item", "rectify", self.codes[name], "--measures",
                       "对照问题清单逐项整改，建立台账", "--actor", actor, "--as-of", day, *extra)

    def tick(self, day: str) -> str:
        return self.ok(f"tick {day}", "tick", KEY, "--as-of", day)

    def ticks(self, first: str, last: str) -> None:
        day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        while day <= end:
            self.tick(day.isoformat())
            day += dt.timedelta(days=1)


def ledger_xlsx(path: Path) -> None:
    """The county's second ledger, found in the autumn (an office's workbook: a title row first)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["沙洋县治理懒政怠政问题台账（第二批）"])
    sheet.append(["序号", "问题表现", "责任单位", "问题类别", "问题来源", "发现日期", "整改责任人"])
    sheet.append([1, "惠民资金公示不及时", "县教育局/基础教育股", "敷衍塞责：落实走过场、应付了事",
                  "督查检查", dt.date(2015, 10, 20), "jyj-head"])
    sheet.append([2, "年终考核材料层层加码", "县人社局/就业股", "perfunctory", "inspection",
                  dt.date(2015, 11, 5), "rsj-head"])
    book.save(path)


def play(r: Replay) -> None:
    """The whole campaign, May to December 2015."""
    tmp = r.tmp
    r.ok("validate", "validate", str(DEFINITION), db=False)
    site(r.cli, tmp, UNITS, PEOPLE, "2015-05-04")
    r.ok("start", "campaign", "start", str(DEFINITION), "--start", "2015-05-04",
         "--actor", "sheng", "--as-of", "2015-05-04")

    # 动员部署: a public report on 预算股; it is confirmed, planned by its bureau, due 06-30
    r.add("A", "2015-05-20", "预算批复拖延，基层单位多次催办", "县财政局/预算股", "slow",
          "public-report", "--reporter", "张某", "--reporter-contact", "13800000000")
    r.advance("confirm A", "confirm", "A", "sy-du", "2015-05-22")
    r.plan("A", "czj-head", "2015-05-25", "--deadline", "2015-06-30")
    r.tick("2015-05-31")
    # a report with a deadline that nobody confirms: it must never escalate
    r.add("U", "2015-06-02", "就业补贴审核拖延", "rsj-jyg", "slow", "public-report",
          "--deadline", "2015-06-30")
    r.tick("2015-06-02")  # 动员部署 closed on 06-01 by itself
    # 自查自纠: 基础教育股's own finding, planned with a deadline of 08-31
    r.add("E", "2015-06-15", "教师招聘结果迟迟不公布", "jyj-jcg", "afraid", "self-inspection")
    r.advance("confirm E", "confirm", "E", "sy-du", "2015-06-15")
    r.plan("E", "jyj-head", "2015-06-15", "--deadline", "2015-08-31")
    r.advance("submit A", "submit", "A", "czj-head", "2015-06-26")
    # who may verify a section's item: not the section, not its bureau; the county's 督查室 may
    r.ok("triggers A", "item", "triggers", r.codes["A"], "--actor", "czj-head", "--as-of",
         "2015-06-29")
    r.fails("verify A by section", 1, "item", "advance", "verify", r.codes["A"], "--actor",
            "ysg-du", "--as-of", "2015-06-29")
    r.fails("verify A by bureau", 1, "item", "advance", "verify", r.codes["A"], "--actor",
            "czj-du", "--as-of", "2015-06-29")
    r.advance("verify A", "verify", "A", "sy-du", "2015-06-29")
    r.tick("2015-07-01")  # 集中整改、督查问责 opens

    # the first ledger, a CSV with each row's 发现日期 (three windows)
    (tmp / "ledger-1.csv").write_text(
        "序号,问题表现,责任单位,问题类别,问题来源,发现日期,状态,整改措施,整改时限,整改责任人\n"
        "1,就业补贴发放拖延,县人社局/就业股,slow,self-inspection,2015-06-10,整改中,"
        "简化审核流程,2015-07-31,rsj-head\n"
        "2,项目资金拨付推诿,县财政局/预算股,buck-passing,inspection,2015-07-15,整改中,"
        "明确拨付时限,2015-09-30,czj-head\n"
        "3,群众办事多次往返,官垱镇,hard-to-serve,public-report,2015-05-25,待核实,,,gdz-head\n",
        encoding="utf-8")
    r.ok("import 1", "item", "import", KEY, str(tmp / "ledger-1.csv"), "--actor", "sheng",
         "--as-of", "2015-07-20")
    by_title = {i["title"]: i["code"] for i in json.loads(r.cli.ok(
        "item", "list", KEY, "--json", "--as-of", "2015-07-20"))}
    r.codes.update(L=by_title["就业补贴发放拖延"], B=by_title["项目资金拨付推诿"],
                   M=by_title["群众办事多次往返"])
    r.advance("confirm M", "confirm", "M", "sy-du", "2015-07-22")
    r.plan("M", "gdz-head", "2015-07-22")  # the definition's 20 working days: 08-19
    # L's deadline 07-31: 提醒 three working days before, 督办 one working day after (Monday)
    r.ticks("2015-07-21", "2015-08-04")
    r.ok("issue 08-03", "notices", KEY, "--issue", "--as-of", "2015-08-03", "--actor", "sy-du",
         "-o", str(tmp / "notices-08-03.docx"))
    r.ok("pdf 08-03", "notices", KEY, "--issue", "--as-of", "2015-08-03", "--actor", "sy-du",
         "-o", str(tmp / "notices-08-03.pdf"))  # the same document again: the same number

    # 办公室's item, returned twice: once on the definition's default, once with --deadline
    r.add("R", "2015-08-05", "公文办理层层压件", "czj-bgs", "perfunctory", "self-inspection")
    r.advance("confirm R", "confirm", "R", "sy-du", "2015-08-05")
    r.plan("R", "czj-head", "2015-08-05", "--deadline", "2015-09-15")
    r.advance("submit M", "submit", "M", "gdz-head", "2015-08-18")
    r.advance("verify M", "verify", "M", "sy-du", "2015-08-19")
    # E asks for a month more; the office says nothing for 5 working days: deemed approved
    r.advance("request E", "request-extension", "E", "jyj-head", "2015-08-20",
              "--note", "涉及市级审批，申请延期至9月底", "--deadline", "2015-09-30")
    r.ticks("2015-08-21", "2015-08-28")
    r.tick("2015-08-31")
    r.advance("submit R", "submit", "R", "czj-head", "2015-09-10")
    r.advance("return R", "return", "R", "sy-du", "2015-09-11", "--note", "整改不彻底，佐证材料不全")
    r.advance("submit B", "submit", "B", "czj-head", "2015-09-28")
    r.fails("verify B by bureau", 1, "item", "advance", "verify", r.codes["B"], "--actor",
            "czj-du", "--as-of", "2015-09-29")
    r.advance("verify B", "verify", "B", "jm-du", "2015-09-29")  # a city person may
    r.tick("2015-09-30")
    r.advance("submit R again", "submit", "R", "czj-head", "2015-10-09")
    r.advance("return R again", "return", "R", "sy-du", "2015-10-12", "--note",
              "台账与实际不符，重新整改", "--deadline", "2015-10-23")
    r.advance("submit E", "submit", "E", "jyj-head", "2015-10-20")
    r.advance("verify E", "verify", "E", "sy-du", "2015-10-22")
    r.tick("2015-10-31")
    r.tick("2015-11-01")  # 建章立制 opens while 集中整改 runs on
    r.ok("import 2", "item", "import", KEY, str(tmp / "ledger-2.xlsx"), "--actor", "sy-du",
         "--as-of", "2015-11-10")
    # 回头看: A did not hold (the definition's 15 working days); B did not either (--deadline)
    r.advance("reopen A", "reopen", "A", "sy-jw", "2015-11-16", "--note", "回头看发现预算批复又现拖延")
    r.advance("reopen B", "reopen", "B", "jm-du", "2015-11-16", "--note", "回头看抽查发现拨付仍推诿",
              "--deadline", "2015-12-18")
    r.tick("2015-11-30")
    r.tick("2015-12-01")  # 集中整改 should close, but too little is done
    r.ticks("2015-12-02", "2015-12-22")
    r.tick("2015-12-31")
    r.ok("report 08", "report", KEY, "--month", "2015-08", "-o", str(tmp / "2015-08.md"),
         "--as-of", "2015-12-31")
    r.ok("ledger 08", "ledger", KEY, "-o", str(tmp / "ledger-08.xlsx"), "--as-of", "2015-08-31")
    r.ok("audit", "audit", "verify", "--all")


@pytest.fixture(scope="module")
def r(tmp_path_factory: pytest.TempPathFactory) -> Replay:
    """The campaign, replayed once for the module; tests only read it (or copy it)."""
    replay = Replay(tmp_path_factory.mktemp("lanzheng"))
    ledger_xlsx(replay.tmp / "ledger-2.xlsx")
    play(replay)
    return replay


def as_json(r: Replay, *args: str) -> Any:
    return json.loads(r.cli.ok(*args, "--json"))


def notices(r: Replay, name: str) -> list[tuple[str, str, str, int]]:
    """(issued, level, deadline, days overdue) of one item's notices."""
    return [(n["issued_on"], n["level"], n["deadline"], n["days_overdue"])
            for n in as_json(r, "notices", KEY, "--as-of", "2015-12-31") if n["code"] == r.codes[name]]


def show(r: Replay, name: str, as_of: str = "2015-12-31") -> dict[str, Any]:
    return dict(as_json(r, "item", "show", r.codes[name], "--as-of", as_of))


def test_the_definition_validates_and_the_replay_ends_verified(r: Replay) -> None:
    assert "lanzheng-2015 治理懒政怠政为官不为专项行动" in r.out["validate"]
    assert "提醒(-3 working days) → 督办(1 working day) → 通报(5 working days) → 问责(15 working days)" \
        in r.out["validate"]
    assert r.out["audit"].splitlines() == ["lanzheng-2015: ok", "site: ok"]
    tree = r.cli.ok("unit", "list")
    assert "        预算股  [czj-ysg]" in tree  # the fifth level


# ------------------------------------------------------- 1. duties by position, at any depth


def test_1_the_section_and_its_bureau_may_not_verify_the_county_office_and_the_city_may(
        r: Replay) -> None:
    for label in ("verify A by section", "verify A by bureau", "verify B by bureau"):
        assert "belongs to the item's own unit 'czj' (the unit that rectifies it)" in r.out[label]
        assert r.out[label].startswith("Error: 'verify' refused for 1 of 1 item(s); nothing")
    assert show(r, "A", "2015-06-29")["state"] == "closed"  # the county 督查室 verified it
    assert show(r, "B", "2015-09-29")["state"] == "closed"  # a city person verified it


# ------------------------------------------------------ 2. unconfirmed reports never escalate


def test_2_a_report_awaiting_confirmation_never_escalates(r: Replay) -> None:
    assert notices(r, "U") == []
    item = show(r, "U")
    assert (item["state"], item["rectification"], item["deadline"]) == ("reported", "pending",
                                                                        "2015-06-30")
    assert item["escalation"] == ""
    assert item["overdue"] is False  # overdue is the ladder's rule: not while it awaits confirmation
    late = {i["code"] for i in as_json(r, "item", "list", KEY, "--overdue", "--as-of", "2015-12-31")}
    assert r.codes["U"] not in late and r.codes["A"] in late


# ------------------------------------------------ 3. 超时默许 grants the requested deadline


def test_3_the_deemed_approval_grants_the_deadline_asked_for(r: Replay) -> None:
    # requested on Thursday 08-20; 5 working days: 21, 24, 25, 26, 27
    # the row gives the deadline the deemed approval granted
    assert "2015-08-27  timers.silence-is-consent  超时默许  1      2015-09-30" in r.out["tick 2015-08-27"]
    assert "silence-is-consent" not in r.out["tick 2015-08-26"]
    item = show(r, "E", "2015-08-27")
    assert (item["rectification"], item["deadline"], item["original_deadline"]) == (
        "in_progress", "2015-09-30", "2015-08-31")
    # the ladder restarts from 09-30: no 提醒 for 08-31 (it was held), 提醒 on 09-25 (-3 working
    # days: 29, 28, 25), 督办 on 10-08 (the first working day after the National Day holiday)
    assert notices(r, "E") == [("2015-09-25", "reminder", "2015-09-30", 0),
                               ("2015-10-08", "supervision", "2015-09-30", 8)]


# ----------------------------------------------- 4. return and 回头看 take a new deadline


def test_4_returning_restarts_the_ladder_from_the_new_deadline(r: Replay) -> None:
    assert r.out["return R"] == (f"{r.codes['R']}: return submitted → in_progress; "
                                 "new deadline 2015-09-25\n")
    assert r.out["return R again"].endswith("; new deadline 2015-10-23\n")
    assert r.out["reopen A"].endswith("; new deadline 2015-12-07\n")
    assert show(r, "R", "2015-09-11")["deadline"] == "2015-09-25"  # after_return: 10 working days
    # due 09-15: 提醒 09-10; returned 09-11, due 09-25: 提醒 again 09-22, 督办 Monday 09-28
    # (new deadline 10-16, held while submitted from 10-09); returned on 10-12 with --deadline
    # 10-23: 提醒 10-20, 督办 10-26 (new deadline 11-09), 通报 11-16, 问责 11-30 (15 working days)
    assert notices(r, "R") == [("2015-09-10", "reminder", "2015-09-15", 0),
                               ("2015-09-22", "reminder", "2015-09-25", 0),
                               ("2015-09-28", "supervision", "2015-09-25", 3),
                               ("2015-10-20", "reminder", "2015-10-23", 0),
                               ("2015-10-26", "supervision", "2015-10-23", 3),
                               ("2015-11-16", "circular", "2015-11-09", 7),
                               ("2015-11-30", "accountability", "2015-11-09", 21)]


def test_4_reopening_in_the_look_back_counts_from_the_new_deadline(r: Replay) -> None:
    # without --deadline: after_reopen, 15 working days from 11-16 = 12-07
    a = notices(r, "A")
    assert a == [("2015-06-25", "reminder", "2015-06-30", 0),  # before it was verified
                 ("2015-12-02", "reminder", "2015-12-07", 0),
                 ("2015-12-08", "supervision", "2015-12-07", 1),
                 # 通报 5 working days after the 督办's deadline 12-22 (10 working days on)
                 ("2015-12-29", "circular", "2015-12-22", 7)], a
    # with --deadline 12-18 (Friday): 提醒 12-15, 督办 12-21
    assert notices(r, "B") == [("2015-09-25", "reminder", "2015-09-30", 0),  # before verified
                               ("2015-12-15", "reminder", "2015-12-18", 0),
                               ("2015-12-21", "supervision", "2015-12-18", 3)]
    assert show(r, "A")["original_deadline"] == "2015-06-30"


# ------------------------------------------ 5. stages close by themselves; items' stages


def test_5_stages_close_by_themselves_or_say_why_not(r: Replay) -> None:
    assert "closed" in r.out["tick 2015-06-02"] and "mobilize" in r.out["tick 2015-06-02"]
    assert ("not done: stage 'supervise' (集中整改、督查问责) stays open, overdue since 2015-12-01: "
            "整改完成比例不低于 80%: only 2 of 9 (22%) are done"
            in r.out["tick 2015-12-01"])
    stages = {s["key"]: s for s in as_json(r, "campaign", "status", KEY, "--as-of",
                                           "2015-12-31")["stages"]}
    assert (stages["mobilize"]["state"], stages["mobilize"]["closed_on"]) == ("closed", "2015-06-01")
    assert (stages["self-inspect"]["state"], stages["self-inspect"]["closed_on"]) == (
        "closed", "2015-08-01")
    assert stages["supervise"]["state"] == "open"
    assert "2015-12-01" in str(stages["supervise"]["overdue"])
    assert stages["institutionalize"]["opened_on"] == "2015-11-01"


def test_5_an_item_belongs_to_the_latest_starting_window_that_holds_its_date(r: Replay) -> None:
    found = {name: show(r, name)["stage"] for name in ("A", "U", "E", "L", "B", "M", "R")}
    assert found == {"A": "mobilize", "U": "self-inspect", "E": "self-inspect",
                     "L": "self-inspect", "B": "supervise", "M": "mobilize", "R": "supervise"}
    items = {i["title"]: i for i in as_json(r, "item", "list", KEY, "--as-of", "2015-12-31")}
    assert items["惠民资金公示不及时"]["code"] != items["年终考核材料层层加码"]["code"]
    second = {i: show_code(r, items[i]["code"])["stage"] for i in ("惠民资金公示不及时",
                                                                  "年终考核材料层层加码")}
    assert second == {"惠民资金公示不及时": "supervise", "年终考核材料层层加码": "institutionalize"}


def show_code(r: Replay, code: str) -> dict[str, Any]:
    return dict(as_json(r, "item", "show", code, "--as-of", "2015-12-31"))


def test_5_the_office_gets_a_notice_when_a_stage_cannot_close(r: Replay) -> None:
    listed = json.dumps(as_json(r, "notices", KEY, "--since", "2015-12-01", "--as-of",
                                "2015-12-01"), ensure_ascii=False)
    # the guard as the office reads it: its title (min_done_share is the definition's name)
    assert "集中整改、督查问责" in listed and "完成比例不低于 80%" in listed
    stage = [n for n in as_json(r, "notices", KEY, "--kind", "stage", "--as-of", "2015-12-31")]
    assert [(n["issued_on"], n["code"], n["since"], n["to"]) for n in stage] == [
        ("2015-12-01", "supervise", "2015-12-01", "省专项行动领导小组办公室")]
    assert stage[0]["reason"] == ("整改完成比例不低于 80%: only 2 of 9 (22%) are done; "
                                  "80% needed")


# ------------------------------------------------------------- the ladder, day by day


def test_the_ladder_climbs_on_the_right_working_days(r: Replay) -> None:
    # L: deadline Friday 07-31; 提醒 07-28 (30, 29, 28); 督办 Monday 08-03, new deadline 10
    # working days later, 08-17; 通报 5 working days after it, 08-24; 问责 15 after it, 09-08
    # (9-3..5 off, Sunday 9-6 worked)
    assert notices(r, "L") == [("2015-07-28", "reminder", "2015-07-31", 0),
                               ("2015-08-03", "supervision", "2015-07-31", 3),
                               ("2015-08-24", "circular", "2015-08-17", 7),
                               ("2015-09-08", "accountability", "2015-08-17", 22)]
    for day in ("2015-07-27", "2015-07-29", "2015-08-01", "2015-08-02"):
        assert "escalation" not in r.out[f"tick {day}"], day
    assert "escalation.reminder" in r.out["tick 2015-07-28"]
    assert "2015-08-03  escalation.supervision  督办  1      2015-08-17" in r.out["tick 2015-08-03"]


# --------------------------------------------------------------------------- 6. undo


def test_6_a_mistaken_change_is_undone_by_a_compensating_event(r: Replay, tmp_path: Path) -> None:
    cli = Cli(tmp_path / "copy.db")
    copy_db(r.cli.db, cli.db)
    code = r.codes["U"]
    cli.ok("item", "advance", "confirm", code, "--actor", "sy-du", "--as-of", "2015-12-31")
    cli.ok("item", "undo", code, "--note", "误确认", "--actor", "sheng", "--as-of", "2015-12-31")
    history = cli.ok("item", "show", code, "--as-of", "2015-12-31")
    assert "confirm" in history and "undo" in history
    assert json.loads(cli.ok("item", "show", code, "--json"))["state"] == "reported"


# -------------------------------------------------------------- 8. 督办通知书 as issued


def test_8_notices_are_issued_per_unit_rung_and_day_numbered_and_read_back(r: Replay) -> None:
    # to the bureau that rectifies 就业股's item, not to the section
    assert r.out["issue 08-03"].startswith("issued 沙督〔2015〕1号 to 县人社局 ")
    assert "(督办, 2015-08-03, 1 item(s), reply by 2015-08-10)" in r.out["issue 08-03"]
    document = Document(str(r.tmp / "notices-08-03.docx"))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[:4] == ["督办通知书", "沙督〔2015〕1号", "治理懒政怠政为官不为专项行动", "县人社局："]
    assert paragraphs[-2:] == ["中共沙洋县委办公室、沙洋县人民政府办公室督查室", "2015年8月3日"]
    (table,) = document.tables
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[1][1:3] == [r.codes["L"], "就业补贴发放拖延（就业股）"]
    assert rows[1][5:] == ["2015-07-31", "1", "2015-08-17"]  # one working day overdue (8-3)
    pdf = PdfReader(str(r.tmp / "notices-08-03.pdf"))
    text = "".join(page.extract_text() for page in pdf.pages).replace(" ", "").replace("\n", "")
    for expected in ("督办通知书", "沙督〔2015〕1号", r.codes["L"], "就业补贴发放拖延", "2015年8月10日"):
        assert expected in text, expected


# -------------------------------------------------------- 9. readable triggers and verify


def test_9_automatic_steps_read_as_automatic_and_verify_reports_the_close(r: Replay) -> None:
    rows = {line.split()[0]: line for line in r.out["triggers A"].splitlines()[2:]}
    assert "automatic, when 'verify' fires" in rows["close"]
    assert "roles that may: none" not in r.out["triggers A"]
    assert r.out["verify A"] == (f"{r.codes['A']}: verify submitted → verified; "
                                 "close confirmed → closed (automatic)\n")


# ------------------------------------------------------ imports, report and ledger of a month


def test_imports_report_and_ledger(r: Replay) -> None:
    assert "imported 3 new item(s)" in r.out["import 1"]
    assert "imported 2 new item(s)" in r.out["import 2"]
    report = (r.tmp / "2015-08.md").read_text(encoding="utf-8")
    assert report.startswith("# 治理懒政怠政为官不为专项行动 2015年8月工作月报")
    assert "- 问题总数 7 条，已销号 2 条，销号率 28.6%" in report
    assert (f"| 2015-08-03 | {r.codes['L']} | 就业股 | 督办 | 2015-07-31 | 3 | 2015-08-17 |"
            in report)
    assert f"| {r.codes['M']} | 官垱镇 | 群众办事多次往返 |" in report  # closed in August
    sheet = load_workbook(r.tmp / "ledger-08.xlsx").active
    assert sheet is not None
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert r.codes["L"] in cells and "张某" not in cells  # the reporter never leaves the office
