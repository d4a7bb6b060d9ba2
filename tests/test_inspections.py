"""Inspections and the county's yearly plan, end to end through the CLI on a real SQLite file:
seed 004's plan (30 items, 9 fixed groups of 27 people) loaded against its cap and the units'
visit budgets, published and frozen; planned and unplanned inspections whose findings become
items with a notice to the unit head; a duplicate visit, a unit over budget and the broken
减负 pledges in the visit log."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, strategies as st

from campaigns.inspections.periods import PeriodError, parse_period
from campaigns.inspections.visits import flag_visits
from tests.test_cli_common import Cli, dump

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "definitions" / "plans" / "minqin-plan-2020.yaml"
CAMPAIGN = "zuofeng-mq-2020"


@pytest.fixture
def county(tmp_path: Path) -> Cli:
    """民勤县: the county, its 考核评价中心, 9 townships and 9 departments; the office, a
    township head, and a 2020 campaign whose findings come from inspections."""
    return populate(Cli(tmp_path / "rectify.db"))


def populate(c: Cli) -> Cli:
    c.ok("init", "--admin", "admin")
    c.ok("unit", "import", str(ROOT / "examples" / "minqin-2020" / "units.csv"), "--actor", "admin")
    c.ok("person", "add", "kp", "--name", "邱主任", "--unit", "kpzx", "--role", "inspection-office",
         "--role", "office", "--actor", "admin")
    c.ok("person", "add", "head2", "--name", "赵书记", "--unit", "t02", "--role", "unit-head",
         "--actor", "admin")
    c.ok("person", "add", "clerk", "--name", "钱干事", "--unit", "t03", "--actor", "admin")
    c.ok("campaign", "start", str(ROOT / "definitions" / "zuofeng-mq-2020.yaml"), "--start", "2020-01-01",
         "--actor", "kp", "--as-of", "2020-01-01")
    return c


def _line_of(text: str, ref: str) -> int:
    lines = PLAN.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.strip() == f'- ref: "{ref}"')


def add(c: Cli, date: str, team: str, target: str, method: str, theme: str, *extra: str) -> str:
    return c.ok("inspection", "add", CAMPAIGN, "--date", date, "--team", team, "--member", "甲",
                "--member", "乙", "--target", target, "--method", method, "--theme", theme,
                "--actor", "kp", "--as-of", date, *extra).strip()


def events(db: Path, table: str, trigger: str) -> list[tuple[str, dict[str, object], str | None]]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(f"SELECT subject_key, payload, note FROM {table} WHERE trigger = ? "
                            "ORDER BY id", (trigger,)).fetchall()
    finally:
        conn.close()
    return [(s, json.loads(p) if p else {}, n) for s, p, n in rows]


def test_seed_004_plan_from_load_to_the_visit_log(county: Cli) -> None:
    c = county
    before = dump(c.db)
    # the cap: 41 items cut to 30; one more than an approved cap of 29 is refused, located
    err = c.fails(1, "inspection", "plan", "load", str(PLAN), "--cap", "29", "--actor", "kp")
    assert f"minqin-plan-2020.yaml:{_line_of('', '30')}:5: error[over-cap]" in err
    assert "30 items, more than its cap of 29" in err
    # a unit's budget: 大坝镇 (t02) is in four items of its group
    err = c.fails(1, "inspection", "plan", "load", str(PLAN), "--budget", "t02=3", "--actor", "kp")
    assert f"minqin-plan-2020.yaml:{_line_of('', '07')}:5: error[over-budget]" in err
    assert "'t02' would be visited 4 times by item 07" in err
    assert dump(c.db) == before  # nothing of a refused plan is kept
    # someone outside the office may not load it
    assert "may not load or publish" in c.fails(1, "inspection", "plan", "load", str(PLAN),
                                                  "--actor", "clerk")

    out = c.ok("inspection", "plan", "load", str(PLAN), "--actor", "kp", "--as-of", "2020-01-10")
    assert "revision 1: 30 item(s)" in out
    plan = json.loads(c.ok("inspection", "plan", "show", "2020", "--json"))
    assert len(plan["items"]) == 30 and plan["status"] == "draft" and plan["cap"] == 30
    assert len(plan["teams"]) == 9
    assert len({m for t in plan["teams"] for m in t["members"]}) == 27
    assert {b["unit_code"]: b["visits"] for b in plan["budgets"]}["t01"] == 3
    c.ok("inspection", "plan", "publish", "2020", "--actor", "kp", "--as-of", "2020-01-15")
    assert "was published on 2020-01-15" in c.fails(1, "inspection", "plan", "publish", "2020",
                                                    "--actor", "kp")
    # frozen: the office may not change it; an administrator only with a reason
    assert "only an administrator" in c.fails(1, "inspection", "plan", "load", str(PLAN),
                                              "--actor", "kp")
    assert "needs a reason" in c.fails(1, "inspection", "plan", "load", str(PLAN),
                                       "--actor", "admin")
    c.ok("inspection", "plan", "load", str(PLAN), "--actor", "admin", "--reason",
         "县委常委会批准（民办发〔2020〕3号）", "--as-of", "2020-02-01")
    loads = events(c.db, "site_events", "load")
    assert [p["revision"] for _s, p, _n in loads] == [1, 2]
    assert loads[1][1]["published"] is True and loads[1][2] == "县委常委会批准（民办发〔2020〕3号）"
    assert json.loads(c.ok("inspection", "plan", "show", "2020", "--json"))["status"] == "published"

    # planned: the second group at 大坝镇 in 3月上旬 (item 04)
    first = add(c, "2020-03-05", "第二督查组", "t02", "明察", "乡村振兴", "--point", "村委会")
    assert first == "DC-2020-0001 recorded (plan item 04)"
    # the same afternoon another team looks at the same point: recorded, unplanned, a duplicate
    second = add(c, "2020-03-05", "县纪委暗访组", "大坝镇", "暗访", "村委会值班",
                 "--point", "村委会", "--announced")
    assert second == "DC-2020-0002 recorded, unplanned: team '县纪委暗访组' is not plan item 04's team (g2)"
    # a finding becomes an item of the campaign, and its unit's head is told that day
    out = c.ok("inspection", "finding", "DC-2020-0001", "--unit", "t02", "--title",
               "村委会工作日无人值守", "--category", "discipline", "--actor", "kp",
               "--as-of", "2020-03-05")
    code, notice = out.splitlines()
    assert code == "ZFMQ-2020-0001" and notice == "notice to 大坝镇（赵书记）"
    item = json.loads(c.ok("item", "show", code, "--json"))
    assert item["source"].startswith("inspection") and "大坝镇" in item["unit"]
    assert item["inspection"] == "DC-2020-0001"  # the item names the inspection that found it
    added = events(c.db, "events", "add")
    assert added[-1][0] == code and added[-1][1]["inspection"] == "DC-2020-0001"
    found = events(c.db, "site_events", "finding")
    assert found == [("DC-2020-0001", {"campaign": CAMPAIGN, "item": code, "unit": "t02",
                                       "category": "discipline"}, None)]
    rows = json.loads(c.ok("notices", CAMPAIGN, "--kind", "inspection", "--json",
                           "--as-of", "2020-03-05"))
    assert [(r["kind"], r["to"], r["code"], r["reason"]) for r in rows] == [
        ("inspection", "大坝镇（赵书记）", code, "DC-2020-0001")]
    # printed: a page a unit and day, to its head (督查问题通报), never numbered
    folder = c.db.parent / "notices"
    c.ok("notices", CAMPAIGN, "--kind", "inspection", "--html", str(folder),
         "--as-of", "2020-03-05")
    page = (folder / "office-inspection-t02-2020-03-05.html").read_text(encoding="utf-8")
    assert "督查问题通报" in page and "大坝镇（赵书记）：" in page and "DC-2020-0001督查检查" in page
    # an unplanned inspection's finding is recorded just the same (never refused)
    c.ok("inspection", "finding", "DC-2020-0002", "--unit", "t02", "--title", "值班表未公示",
         "--category", "discipline", "--actor", "kp", "--as-of", "2020-03-06")
    assert "t01 was not visited by inspection DC-2020-0001" in c.fails(
        1, "inspection", "finding", "DC-2020-0001", "--unit", "t01", "--title", "x",
        "--category", "discipline", "--actor", "kp", "--as-of", "2020-03-06")

    # 薛百镇 (t01): three visits budgeted, the first group's three items, and one spot check more
    assert add(c, "2020-02-24", "g1", "t01", "明察", "脱贫攻坚").endswith("(plan item 01)")
    assert add(c, "2020-03-23", "第一督查组", "t01", "暗访", "平安建设").endswith("(plan item 02)")
    assert add(c, "2020-05-06", "g1", "t01", "随机抽查", "招商引资").endswith("(plan item 03)")
    extra = add(c, "2020-06-10", "县督查室", "t01", "随机抽查", "安全生产")
    assert "unplanned" in extra
    c.ok("inspection", "breach", "DC-2020-0004", "--pledge", "materials", "--unit", "t01",
         "--note", "要求镇上准备汇报材料", "--actor", "kp", "--as-of", "2020-03-24")

    log = json.loads(c.ok("inspection", "visits", "2020", "--json"))
    flags = {(v["ref"], v["unit_code"]): v["flags"] for v in log["visits"]}
    assert "duplicate DC-2020-0002" in flags[("DC-2020-0001", "t02")]
    assert "duplicate DC-2020-0001" in flags[("DC-2020-0002", "t02")]
    assert "over budget" in flags[("DC-2020-0006", "t01")]
    assert not any("over budget" in f for (ref, _u), f in flags.items() if ref != "DC-2020-0006")
    units = {u["unit_code"]: u for u in log["units"]}
    assert (units["t01"]["visits"], units["t01"]["budget"], units["t01"]["over"]) == (4, 3, 1)
    assert units["t02"]["duplicates"] == 1 and units["t02"]["over"] == 0
    assert [u["ref"] for u in log["unplanned"]] == ["DC-2020-0002", "DC-2020-0006"]
    assert [(b["ref"], b["pledge"]) for b in log["breaches"]] == [
        ("DC-2020-0002", "notice"), ("DC-2020-0004", "materials")]
    table = c.ok("inspection", "visits", "2020", "--unit", "t01")
    assert "over budget" in table and "大坝镇" not in table
    assert "Breaches of the pledges: 1" in table and "不得要求报送材料" in table

    # a unit in no plan item has the plan's visit_budget
    add(c, "2020-07-01", "县督查室", "mq", "随机抽查", "机关作风")
    county_log = json.loads(c.ok("inspection", "visits", "2020", "--unit", "kpzx", "--json"))
    assert county_log["units"] == []
    whole = json.loads(c.ok("inspection", "visits", "2020", "--json"))
    assert {u["unit_code"]: u["budget"] for u in whole["units"]}["mq"] == 4
    listed = json.loads(c.ok("inspection", "list", "--year", "2020", "--unplanned", "--json"))
    assert [r["ref"] for r in listed] == ["DC-2020-0002", "DC-2020-0006", "DC-2020-0007"]
    shown = json.loads(c.ok("inspection", "show", "DC-2020-0001", "--json"))
    assert shown["plan_item"] == "04" and shown["members"] == ["甲", "乙"]
    assert [f["code"] for f in shown["findings_list"]] == [code]
    # the site log's chain holds every one of these events
    c.ok("audit", "verify", "--all")


def test_an_item_carried_out_cannot_be_dropped_and_a_bad_period_is_located(
        county: Cli, tmp_path: Path) -> None:
    c = county
    c.ok("inspection", "plan", "load", str(PLAN), "--actor", "kp", "--as-of", "2020-01-10")
    c.ok("inspection", "plan", "publish", "2020", "--actor", "kp", "--as-of", "2020-01-10")
    assert add(c, "2020-03-05", "g2", "t02", "明察", "乡村振兴").endswith("(plan item 04)")
    text = PLAN.read_text(encoding="utf-8")
    start = text.index('  - ref: "04"')
    shorter = tmp_path / "plan.yaml"
    shorter.write_text(text[:start] + text[text.index('  - ref: "05"'):], encoding="utf-8")
    err = c.fails(1, "inspection", "plan", "load", str(shorter), "--actor", "admin",
                  "--reason", "合并")
    assert "item 04 cannot be dropped: inspection DC-2020-0001 carried it out" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("period: 3月上旬", "period: 13月上旬", 1), encoding="utf-8")
    err = c.fails(1, "inspection", "plan", "load", str(bad), "--actor", "admin", "--reason", "x")
    line = text[:text.index("period: 3月上旬")].count("\n") + 1
    assert re.search(rf"bad\.yaml:{line}:5: error\[bad-period\]", err), err


def test_a_csv_plan_with_budgets_on_the_command_line(county: Cli, tmp_path: Path) -> None:
    c = county
    plan = tmp_path / "plan.csv"
    plan.write_text("序号,名称,时间,组织实施单位,参加单位,开展方式,对象范围,对象\n"
                    "1,脱贫攻坚督查,3月上旬,县工作实绩考核评价中心,县扶贫办,明察,乡镇,t01;t02\n"
                    "2,作风建设督查,4月,县工作实绩考核评价中心,县纪委,暗访,乡镇,薛百镇\n",
                    encoding="utf-8")
    assert "give --year" in c.fails(1, "inspection", "plan", "load", str(plan), "--actor", "kp")
    err = c.fails(1, "inspection", "plan", "load", str(plan), "--year", "2020", "--budget",
                  "t01=1", "--actor", "kp")
    assert "error[over-budget]" in err and "row 3" in err  # 薛百镇 is t01, by its title
    bad = tmp_path / "bad.csv"
    bad.write_text(plan.read_text(encoding="utf-8").replace(",暗访,", ",突击,"), encoding="utf-8")
    err = c.fails(1, "inspection", "plan", "load", str(bad), "--year", "2020", "--actor", "kp")
    assert "unknown method '突击'" in err and "row 3, column 6 (开展方式)" in err
    out = c.ok("inspection", "plan", "load", str(plan), "--year", "2020", "--budget", "t01=2",
               "--actor", "kp")
    assert "2 item(s), 1 unit budget(s)" in out
    c.ok("inspection", "plan", "publish", "2020", "--actor", "kp")
    assert add(c, "2020-04-20", "暗访组", "t01", "暗访", "作风").endswith("(plan item 2)")
    # the plan's item is there, but not for this unit
    assert "not among plan item 2's targets" in add(c, "2020-04-21", "暗访组", "t02", "暗访",
                                                    "作风", "--plan-item", "2")


def test_bad_inspections_are_refused_cleanly(county: Cli) -> None:
    c = county
    before = dump(c.db)
    assert "unknown inspection method '突击'" in c.fails(
        1, "inspection", "add", CAMPAIGN, "--date", "2020-03-05", "--team", "g2", "--member", "甲",
        "--target", "t02", "--method", "突击", "--theme", "x", "--actor", "kp")
    assert "is before --date" in c.fails(
        1, "inspection", "add", CAMPAIGN, "--date", "2020-03-05", "--until", "2020-03-04",
        "--team", "g2", "--member", "甲", "--target", "t02", "--method", "明察", "--theme", "x",
        "--actor", "kp")
    assert "recorded before it happened" in c.fails(
        1, "inspection", "add", CAMPAIGN, "--date", "2020-03-05", "--team", "g2", "--member", "甲",
        "--target", "t02", "--method", "明察", "--theme", "x", "--actor", "kp",
        "--as-of", "2020-03-04")
    assert "unknown unit" in c.fails(
        1, "inspection", "add", CAMPAIGN, "--date", "2020-03-05", "--team", "g2", "--member", "甲",
        "--target", "nowhere", "--method", "明察", "--theme", "x", "--actor", "kp")
    assert "unknown inspection 'DC-2020-0009'" in c.fails(
        1, "inspection", "finding", "DC-2020-0009", "--unit", "t02", "--title", "x",
        "--category", "discipline", "--actor", "kp")
    assert "there is no inspection plan for 2021" in c.fails(1, "inspection", "plan", "show",
                                                             "2021")
    assert dump(c.db) == before
    # without a plan an inspection is recorded all the same, flagged unplanned
    assert "no published inspection plan for 2020" in add(c, "2020-03-05", "g2", "t02", "明察", "x")


def test_undoing_a_findings_item_withdraws_its_notice(county: Cli) -> None:
    """The item and its notice to the unit head are one command: an undo takes both back."""
    c = county
    add(c, "2020-03-05", "g2", "t02", "明察", "乡村振兴")
    code = c.ok("inspection", "finding", "DC-2020-0001", "--unit", "t02", "--title", "无人值守",
                "--category", "discipline", "--actor", "kp",
                "--as-of", "2020-03-05").splitlines()[0]
    c.ok("item", "undo", code, "--actor", "kp", "--note", "误录")
    rows = json.loads(c.ok("notices", CAMPAIGN, "--kind", "inspection", "--json",
                           "--as-of", "2020-03-06"))
    assert [(r["code"], r["status"]) for r in rows] == [(code, "作废")]
    shown = json.loads(c.ok("inspection", "show", "DC-2020-0001", "--json"))
    assert shown["findings"] == 0 and shown["findings_list"][0]["state"] == "withdrawn"


@pytest.mark.parametrize(("text", "starts", "ends"), [
    ("3月上旬", "2020-03-01", "2020-03-10"), ("2月下旬", "2020-02-21", "2020-02-29"),
    ("2020-Q2", "2020-04-01", "2020-06-30"), ("第四季度", "2020-10-01", "2020-12-31"),
    ("全年", "2020-01-01", "2020-12-31"), ("5月11日至5月15日", "2020-05-11", "2020-05-15"),
    ("2020-05-11..2020-05-15", "2020-05-11", "2020-05-15"), ("2020-09", "2020-09-01", "2020-09-30"),
])
def test_plan_periods(text: str, starts: str, ends: str) -> None:
    a, b = parse_period(text, 2020)
    assert (a.isoformat(), b.isoformat()) == (starts, ends)


@pytest.mark.parametrize("text", ["13月", "2021-03", "5月15日至5月11日", "2020-02-30", "春节前", ""])
def test_bad_plan_periods(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text, 2020)


def test_holiday_inspections_are_scheduled_from_the_calendar(county: Cli) -> None:
    """个个节日有督查: 3 working days before each statutory holiday of 2020, on the cn calendar
    (the Spring Festival prolonged to 2 February; 26 April a 调休 working Sunday)."""
    c = county
    c.ok("inspection", "add", CAMPAIGN, "--date", "2020-04-29", "--team", "作风办", "--member",
         "甲", "--target", "t01", "--method", "节假日专项", "--theme", "劳动节前作风督查",
         "--actor", "kp", "--as-of", "2020-04-29")
    rows = json.loads(c.ok("inspection", "holidays", CAMPAIGN, "2020", "--json",
                           "--as-of", "2020-06-01"))
    got = {r["holiday"]: (r["starts"], r["ends"], r["inspect_on"], r["status"]) for r in rows}
    assert got["春节"] == ("2020-01-24", "2020-02-02", "2020-01-21", "missed")
    assert got["劳动节"] == ("2020-05-01", "2020-05-05", "2020-04-28", "done")
    assert got["国庆节"] == ("2020-10-01", "2020-10-08", "2020-09-28", "due")
    assert [r["inspections"] for r in rows if r["holiday"] == "劳动节"] == ["DC-2020-0001"]
    assert {r["theme"] for r in rows} >= {"春节前作风督查", "国庆节前作风督查"}
    assert "weekend" not in " ".join(got)  # plain weekends are no holiday


def test_the_heat_map_shows_each_units_visits_a_month(county: Cli, tmp_path: Path) -> None:
    c = county
    c.ok("inspection", "plan", "load", str(PLAN), "--actor", "kp", "--as-of", "2020-01-10")
    c.ok("inspection", "plan", "publish", "2020", "--actor", "kp", "--as-of", "2020-01-10")
    for day, team in (("2020-02-24", "g1"), ("2020-03-23", "g1"), ("2020-03-23", "县督查室"),
                      ("2020-05-06", "g1")):
        add(c, day, team, "t01", "明察", "脱贫攻坚")
    add(c, "2020-03-05", "g2", "t02", "明察", "乡村振兴")
    svg = tmp_path / "heat.svg"
    assert c.ok("inspection", "heatmap", "2020", "-o", str(svg)).strip() == f"wrote {svg}"
    text = svg.read_text(encoding="utf-8")
    assert text.startswith("<svg") and "薛百镇 3月: 2 (重复检查)" in text
    assert "大坝镇 3月: 1</title>" in text
    assert 'font-weight="bold">4/3</text>' in text  # 薛百镇 over its budget of three
    page = tmp_path / "heat.html"
    c.ok("inspection", "heatmap", "2020", "--unit", "t02", "-o", str(page))
    html = page.read_text(encoding="utf-8")
    assert "2020年督查检查日历" in html and "薛百镇" not in html
    assert "is .svg or .html" in c.fails(1, "inspection", "heatmap", "2020", "-o",
                                        str(tmp_path / "heat.png"))


def test_a_year_without_a_published_plan_flags_no_inspection_unplanned(
        county: Cli, tmp_path: Path) -> None:
    """With no plan (or only a draft) nothing is planned against: the visit log, the heat map
    and its page say there is no plan instead of counting every inspection as unplanned; once
    the plan is published, an inspection outside it is unplanned again."""
    c = county
    for day, target in (("2020-02-24", "t01"), ("2020-03-05", "t02"), ("2020-03-23", "t01")):
        add(c, day, "县督查室", target, "明察", "作风建设")

    def log() -> dict[str, object]:
        return dict(json.loads(c.ok("inspection", "visits", "2020", "--json")))

    def heat(name: str) -> str:
        page = tmp_path / name
        c.ok("inspection", "heatmap", "2020", "-o", str(page))
        return page.read_text(encoding="utf-8")

    for state, words in (("none", "无年度检查计划，不统计计划外检查"),
                         ("draft", "年度检查计划尚未发布，不统计计划外检查")):
        if state == "draft":
            c.ok("inspection", "plan", "load", str(PLAN), "--actor", "kp", "--as-of", "2020-01-10")
        now = log()
        assert now["plan"] == state and now["unplanned"] == []
        assert all("unplanned" not in v["flags"] for v in now["visits"])  # type: ignore[union-attr]
        assert {u["unplanned"] for u in now["units"]} == {""}  # type: ignore[union-attr]
        html = heat(f"{state}.html")
        assert words in html and "计划外 3 次" not in html and "检查 3 次" in html
        assert words in heat(f"{state}.svg")
        text = c.ok("inspection", "visits", "2020")
        assert "counted as unplanned" in text and "Unplanned inspections" not in text
    c.ok("inspection", "plan", "publish", "2020", "--actor", "kp", "--as-of", "2020-04-01")
    add(c, "2020-04-20", "县督查室", "t03", "明察", "作风建设")
    now = log()
    assert now["plan"] == "published"
    assert [u["ref"] for u in now["unplanned"]] == [  # type: ignore[union-attr]
        "DC-2020-0001", "DC-2020-0002", "DC-2020-0003", "DC-2020-0004"]
    html = heat("published.html")
    assert "计划外 4 次" in html and "不统计计划外检查" not in html


@pytest.mark.postgres
def test_inspections_on_postgresql(pg_db_url: str) -> None:
    """The migration up from 0012 and back, and a plan, an inspection and its finding on a real
    server."""
    import sqlalchemy as sa
    from test_postgres_undo import migrate

    from campaigns import db as dbmod

    migrate(pg_db_url, "0012_outbox")
    c = Cli(pg_db_url)  # type: ignore[arg-type]
    assert c.ok("init").endswith(f"schema upgraded from 0012_outbox at {dbmod.HEAD}\n")
    migrate(pg_db_url, "0012_outbox", down=True)
    engine = sa.create_engine(pg_db_url)
    try:
        assert "inspections" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    c.ok("init")
    populate(c)
    c.ok("inspection", "plan", "load", str(PLAN), "--actor", "kp", "--as-of", "2020-01-10")
    c.ok("inspection", "plan", "publish", "2020", "--actor", "kp", "--as-of", "2020-01-10")
    assert add(c, "2020-03-05", "g2", "t02", "明察", "乡村振兴").endswith("(plan item 04)")
    add(c, "2020-03-05", "县纪委暗访组", "t02", "暗访", "乡村振兴", "--escorted")
    out = c.ok("inspection", "finding", "DC-2020-0001", "--unit", "t02", "--title", "无人值守",
               "--category", "discipline", "--actor", "kp", "--as-of", "2020-03-05")
    assert out.splitlines() == ["ZFMQ-2020-0001", "notice to 大坝镇（赵书记）"]
    log = json.loads(c.ok("inspection", "visits", "2020", "--json"))
    assert [v["flags"] for v in log["visits"]] == ["duplicate DC-2020-0002",
                                                   "duplicate DC-2020-0001; unplanned"]
    assert [b["pledge"] for b in log["breaches"]] == ["escort"]
    c.ok("audit", "verify", "--all")


@given(st.integers(2000, 2099), st.integers(1, 12))
def test_the_three_xun_split_the_month(year: int, month: int) -> None:
    whole = parse_period(f"{month}月", year)
    parts = [parse_period(f"{month}月{x}", year) for x in ("上旬", "中旬", "下旬")]
    assert parts[0][0] == whole[0] and parts[-1][1] == whole[1]
    for (_a, end), (start, _b) in zip(parts, parts[1:], strict=False):
        assert start == end + dt.timedelta(days=1)
    assert parse_period(f"{year}-{month:02d}", year) == whole


@given(st.dates(dt.date(2020, 1, 1), dt.date(2020, 12, 31)),
       st.dates(dt.date(2020, 1, 1), dt.date(2020, 12, 31)))
def test_a_range_is_its_two_days(a: dt.date, b: dt.date) -> None:
    first, last = min(a, b), max(a, b)
    assert parse_period(f"{first}..{last}", 2020) == (first, last)
    assert parse_period(f"{first.month}月{first.day}日", 2020) == (first, first)


VISIT = st.builds(lambda start, days, theme, points, planned: (start, days, theme, points, planned),
                  st.integers(0, 20), st.integers(0, 2), st.sampled_from("ab"),
                  st.frozensets(st.sampled_from("xyz"), max_size=2), st.booleans())


@given(st.lists(VISIT, max_size=8), st.one_of(st.none(), st.integers(0, 6)))
def test_visit_flags(raw: list[tuple[int, int, str, frozenset[str], bool]],
                     budget: int | None) -> None:
    """Duplicates are flagged on both visits of a pair, and exactly the visits beyond the
    budget are over it."""
    day = dt.date(2020, 3, 1)
    seen = sorted((SimpleNamespace(id=i, ref=f"DC-{i}", starts=day + dt.timedelta(days=s),
                                   ends=day + dt.timedelta(days=s + d), theme=t,
                                   points=sorted(p), plan_item_id=1 if planned else None)
                   for i, (s, d, t, p, planned) in enumerate(raw)), key=lambda v: v.starts)
    flags, pairs = flag_visits(seen, budget)
    dup = {(v.ref, f.split()[1]) for v, fs in zip(seen, flags, strict=True) for f in fs
           if f.startswith("duplicate")}
    assert dup == {(b, a) for a, b in dup} and len(dup) == 2 * pairs
    over = [i for i, fs in enumerate(flags) if "over budget" in fs]
    assert over == ([] if budget is None else list(range(budget, len(seen))))
    for v, fs in zip(seen, flags, strict=True):
        assert ("unplanned" in fs) == (v.plan_item_id is None)


@pytest.mark.parametrize("path", sorted((ROOT / "definitions" / "plans").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_shipped_plans_load(county: Cli, path: Path) -> None:
    """definitions/plans/ holds plan files, not definitions: each loads, whole, as a plan."""
    out = county.ok("inspection", "plan", "load", str(path), "--actor", "kp", "--as-of", "2020-01-10")
    assert "revision 1" in out
