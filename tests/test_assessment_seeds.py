"""The shipped assessments replayed: seed 002's three indices, 群众满意度测评 and 末位警告 over
two years (zuofeng-2009), and seed 004's Kunming 4321 (kaohe-4321), through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_common import Cli, dump, site

ROOT = Path(__file__).resolve().parent.parent
ZUOFENG = ROOT / "definitions" / "zuofeng-2009.yaml"
KAOHE = ROOT / "definitions" / "kaohe-4321.yaml"

UNITS = """code,title,parent,kind
county,某县,,county
ldxz,县作风建设年活动领导小组办公室,county,office
t1,城关镇,county,township
t2,新华镇,county,township
t3,红柳场,county,township
d1,县财政局,county,department
d2,县教育局,county,department
d3,县交通局,county,department
"""
PEOPLE = """key,name,unit,roles
office,领导小组办公室,ldxz,campaign-office
t3-head,红柳场场长,t3,unit-head
"""


@pytest.fixture
def zuofeng(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path / "rectify.db")
    site(cli, tmp_path, UNITS, PEOPLE, "2009-01-05")
    cli.ok("campaign", "start", str(ZUOFENG), "--start", "2009-02-01", "--actor", "office")
    return cli


def survey(cli: Cli, folder: Path, year: str, values: dict[str, float], day: str) -> None:
    """The commissioned survey's results (群众满意度测评), imported from its workbook."""
    import xlsxwriter

    path = folder / f"满意度测评{year}.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["单位", "得分"])
    for r, (unit, value) in enumerate(values.items(), start=1):
        ws.write_row(r, 0, [unit, value])
    wb.close()
    cli.ok("assess", "import", "zuofeng-2009", str(path), "--period", year, "--score",
           "satisfaction", "--actor", "office", "--as-of", day)


def test_seed_002_indices_satisfaction_and_two_years_of_bottom_warning(zuofeng: Cli,
                                                                        tmp_path: Path) -> None:
    cli = zuofeng
    # a commitment 红柳场 let run past its time limit (一天一跟踪 … 一年一兑现)
    code = cli.ok("item", "add", "zuofeng-2009", "--title", "承诺事项未按时限兑现", "--unit", "t3",
                  "--category", "inefficiency", "--source", "public-commitment",
                  "--actor", "office", "--as-of", "2009-04-01").strip()
    cli.ok("item", "advance", "confirm", code, "--actor", "office", "--as-of", "2009-04-01")
    cli.ok("item", "rectify", code, "--measures", "限时办结", "--deadline", "2009-06-30",
           "--actor", "t3-head", "--as-of", "2009-04-02")
    cli.ok("tick", "zuofeng-2009", "--as-of", "2010-01-08")  # the ladder steps of 2009
    survey(cli, tmp_path, "2009", {"城关镇": 92, "新华镇": 88, "红柳场": 90, "县财政局": 91,
                                   "县教育局": 86, "县交通局": 80}, "2010-01-08")
    year1 = json.loads(cli.ok("assess", "show", "zuofeng-2009", "--period", "2009", "--json",
                              "--as-of", "2010-01-08"))
    rows = {r["unit"]: r for r in year1["rows"]}
    # 红柳场's open commitment: its 为民指数 and 效能指数 are the lowest among the towns
    assert (rows["t3"]["people_index"], rows["t3"]["integrity_index"],
            rows["t3"]["efficiency_index"]) == (0, 60, 40)
    assert rows["t1"]["people_index"] == rows["t2"]["people_index"] == 100
    # towns and departments are ranked apart
    assert [(r["group"], r["unit"], r["rank"]) for r in year1["rows"]] == [
        ("场镇", "t1", 1), ("场镇", "t2", 2), ("场镇", "t3", 3),
        ("县直各单位", "d1", 1), ("县直各单位", "d2", 2), ("县直各单位", "d3", 3)]
    assert year1["status"] == "draft"
    bottom = json.loads(cli.ok("assess", "bottom", "zuofeng-2009", "--period", "2009", "--json",
                               "--as-of", "2010-01-08"))["proposals"]
    assert [(p["unit"], p["streak"], p["step"], p["confirmed"]) for p in bottom] == [
        ("t3", 1, "警示", None), ("d3", 1, "警示", None)]
    # a proposal takes effect only when the office confirms it
    before = dump(cli.db)
    cli.fails(1, "assess", "confirm", "zuofeng-2009", "t3", "--period", "2009",
              "--actor", "t3-head", "--as-of", "2010-01-11")
    cli.fails(1, "assess", "confirm", "zuofeng-2009", "t1", "--period", "2009",
              "--actor", "office", "--as-of", "2010-01-11")
    assert dump(cli.db) == before
    assert "t3: 警示 confirmed for 2009" in cli.ok(
        "assess", "confirm", "zuofeng-2009", "t3", "--period", "2009", "--actor", "office",
        "--as-of", "2010-01-11")
    cli.ok("assess", "publish", "zuofeng-2009", "--period", "2009", "--days", "7",
           "--actor", "office", "--as-of", "2010-01-11")
    assert "objections until 2010-01-18" in cli.ok(
        "assess", "rank", "zuofeng-2009", "--period", "2009", "--as-of", "2010-01-15")
    final = json.loads(cli.ok("assess", "rank", "zuofeng-2009", "--period", "2009", "--json",
                              "--as-of", "2010-01-19"))
    assert final["status"] == "final"

    # the second year: 红柳场 last again → 待岗培训; 县教育局 last for the first time → 警示
    cli.ok("item", "advance", "submit", code, "--actor", "t3-head", "--as-of", "2010-03-01")
    survey(cli, tmp_path, "2010", {"城关镇": 90, "新华镇": 91, "红柳场": 70, "县财政局": 93,
                                   "县教育局": 79, "县交通局": 88}, "2011-01-07")
    bottom = json.loads(cli.ok("assess", "bottom", "zuofeng-2009", "--period", "2010", "--json",
                               "--as-of", "2011-01-07"))["proposals"]
    assert [(p["unit"], p["streak"], p["step"]) for p in bottom] == [
        ("t3", 2, "待岗培训"), ("d2", 1, "警示")]
    # 四挂钩: one workbook a tie; 红柳场's head carries the unit's place and its confirmed step
    out = tmp_path / "四挂钩"
    out.mkdir()
    written = cli.ok("assess", "ties", "zuofeng-2009", "--period", "2009", "-o", str(out),
                     "--as-of", "2010-01-19").splitlines()
    assert len(written) == 4
    from openpyxl import load_workbook

    card = [[c.value for c in row] for row in load_workbook(
        out / "四挂钩-领导干部实绩卡-2009.xlsx").active.iter_rows()]
    assert card[3][:9] == ["t3-head", "红柳场场长", "红柳场", "", "场镇", 3, "红柳场", 50.0, "警示"]
    units = [[c.value for c in row] for row in load_workbook(
        out / "四挂钩-单位年度考核-2009.xlsx").active.iter_rows()]
    assert [r[1] for r in units[3:]] == [1, 2, 3, 1, 2, 3]
    # the first year's result is unchanged by what happened since
    again = json.loads(cli.ok("assess", "show", "zuofeng-2009", "--period", "2009", "--json",
                              "--as-of", "2010-01-08"))
    assert again == year1


CADRES = """key,name,unit,roles,title
office,领导小组办公室,ldxz,campaign-office,
t1-head,城关镇镇长,t1,unit-head,镇长
t2-head,新华镇镇长,t2,unit-head,镇长
t3-head,红柳场场长,t3,unit-head,场长
d2-head,县教育局局长,d2,unit-head,局长
d2-a,张明,d2,,办公室主任
d2-b,李华,d2,,股长
t1-a,张明,t1,,党政办主任
"""


def workbook(folder: Path, name: str, rows: list[list[object]]) -> Path:
    import xlsxwriter

    path = folder / name
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    for r, row in enumerate(rows):
        ws.write_row(r, 0, row)
    wb.close()
    return path


def test_seed_002_cadres_rated_by_name_and_warned_then_retrained(tmp_path: Path) -> None:
    """措施九: every cadre's 履职 rated and placed (定档); the last of the leaders warned in
    2009 and put to 待岗培训 in 2010, each confirmation a notice to the cadre's unit."""
    cli = Cli(tmp_path / "rectify.db")
    site(cli, tmp_path, UNITS, CADRES, "2009-01-05")
    cli.ok("campaign", "start", str(ZUOFENG), "--start", "2009-02-01", "--actor", "office")
    # an item 红柳场's head answers for (责任人), left past its time limit
    code = cli.ok("item", "add", "zuofeng-2009", "--title", "承诺事项未按时限兑现", "--unit", "t3",
                  "--category", "inefficiency", "--source", "public-commitment",
                  "--actor", "office", "--as-of", "2009-04-01").strip()
    cli.ok("item", "advance", "confirm", code, "--actor", "office", "--as-of", "2009-04-01")
    cli.ok("item", "rectify", code, "--measures", "限时办结", "--deadline", "2009-06-30",
           "--person", "t3-head", "--actor", "t3-head", "--as-of", "2009-04-02")

    def rate(year: str, day: str, leaders: dict[str, float]) -> None:
        """民主测评 and 群众评议 by name; the two 张明 told apart by their unit."""
        rows: list[list[object]] = [["姓名", "单位", "得分"]]
        rows += [[name, "", value] for name, value in leaders.items()]
        rows += [["张明", "县教育局", 85], ["李华", "县教育局", 80], ["张明", "城关镇", 88]]
        for score in ("democratic", "public"):
            path = workbook(tmp_path, f"{score}{year}.xlsx", rows)
            cli.ok("assess", "import", "zuofeng-2009", str(path), "--people", "--period", year,
                   "--score", score, "--actor", "office", "--as-of", day)

    rate("2009", "2010-01-08", {"城关镇镇长": 90, "新华镇镇长": 88, "红柳场场长": 86,
                                "县教育局局长": 91})
    year1 = json.loads(cli.ok("assess", "rank", "zuofeng-2009", "--people", "--period", "2009",
                              "--json", "--as-of", "2010-01-08"))["rows"]
    assert [(r["group"], r["rank"], r["person"], r["name"]) for r in year1] == [
        ("领导干部", 1, "d2-head", "县教育局局长"), ("领导干部", 2, "t1-head", "城关镇镇长"),
        ("领导干部", 3, "t2-head", "新华镇镇长"), ("领导干部", 4, "t3-head", "红柳场场长"),
        ("机关工作人员·县教育局", 1, "d2-a", "张明"), ("机关工作人员·县教育局", 2, "d2-b", "李华"),
        ("机关工作人员·城关镇", 1, "t1-a", "张明")]
    detail = {r["person"]: r for r in json.loads(cli.ok(
        "assess", "show", "zuofeng-2009", "--people", "--period", "2009", "--json", "--as-of",
        "2010-01-08"))["rows"]}
    assert (detail["t3-head"]["closure"], detail["t3-head"]["overdue"]) == (0, 0)  # its item
    assert (detail["t1-head"]["closure"], detail["t1-head"]["overdue"]) == (100, 100)
    bottom = json.loads(cli.ok("assess", "bottom", "zuofeng-2009", "--people", "--period",
                               "2009", "--json", "--as-of", "2010-01-08"))["proposals"]
    assert [(p["person"], p["streak"], p["step"]) for p in bottom] == [
        ("t3-head", 1, "警示"), ("d2-b", 1, "警示")]  # 城关镇's one cadre is not its last
    assert "notice issued to 红柳场" in cli.ok(
        "assess", "confirm", "zuofeng-2009", "红柳场场长", "--people", "--period", "2009",
        "--actor", "office", "--as-of", "2010-01-11")
    cli.ok("assess", "publish", "zuofeng-2009", "--period", "2009", "--days", "7",
           "--actor", "office", "--as-of", "2010-01-11")
    # the second year: last again → 待岗培训
    cli.ok("item", "advance", "submit", code, "--actor", "t3-head", "--as-of", "2010-03-01")
    cli.ok("item", "advance", "verify", code, "--actor", "office", "--as-of", "2010-03-02")
    rate("2010", "2011-01-07", {"城关镇镇长": 92, "新华镇镇长": 89, "红柳场场长": 70,
                                "县教育局局长": 90})
    bottom = json.loads(cli.ok("assess", "bottom", "zuofeng-2009", "--people", "--period",
                               "2010", "--json", "--as-of", "2011-01-07"))["proposals"]
    assert [(p["person"], p["streak"], p["step"]) for p in bottom][0] == ("t3-head", 2, "待岗培训")
    cli.ok("assess", "confirm", "zuofeng-2009", "t3-head", "--people", "--period", "2010",
           "--actor", "office", "--as-of", "2011-01-10")
    notices = json.loads(cli.ok("notices", "zuofeng-2009", "--kind", "assessment", "--json",
                                "--as-of", "2011-01-10", env={"LANG": "zh_CN.UTF-8"}))
    assert [(n["issued_on"], n["to"], n["level_title"], n["action"]) for n in notices] == [
        ("2010-01-11", "红柳场", "考核末位：警示",
         "年度干部履职综合评议处在末位，给予警示；限期改进作风，评议结果向社会公布"),
        ("2011-01-10", "红柳场", "考核末位：待岗培训", "连续两年干部履职综合评议处在末位，待岗培训")]
    # 四挂钩: each cadre's own place and step beside the unit's
    out = tmp_path / "四挂钩"
    out.mkdir()
    cli.ok("assess", "ties", "zuofeng-2009", "--period", "2009", "-o", str(out), "--as-of",
           "2010-01-19")
    from openpyxl import load_workbook

    card = [[c.value for c in row] for row in load_workbook(
        out / "四挂钩-领导干部实绩卡-2009.xlsx").active.iter_rows()]
    t3 = next(r for r in card if r[0] == "t3-head")
    assert t3[-4:] == ["领导干部", 4, t3[-2], "警示"] and t3[-2] is not None
    # the first year's ranking is unchanged by what happened since
    assert json.loads(cli.ok("assess", "rank", "zuofeng-2009", "--people", "--period", "2009",
                             "--json", "--as-of", "2010-01-08"))["rows"] == year1


def test_the_definitions_validate() -> None:
    from click.testing import CliRunner

    from campaigns.cli import cli

    for path in (ZUOFENG, KAOHE):
        result = CliRunner().invoke(cli, ["validate", str(path)])
        assert result.exit_code == 0, result.output


WUHUA_UNITS = """code,title,parent,kind
wuhua,五华区,,county
khb,区纪委监委考核办,wuhua,office
cwb,区委常委会办公室,wuhua,office
jyj,区教育局,wuhua,department
wjj,区卫健局,wuhua,department
hgj,华山街道,wuhua,township
lmj,龙翔街道,wuhua,township
hgj-dgw,华山街道党工委,hgj,office
hgj-c1,正义坊社区,hgj,community
lmj-c1,龙泉社区,lmj,community
"""
WUHUA_PEOPLE = """key,name,unit,roles
kh,考核办,khb,assessment-office
cw,常委会,cwb,standing-committee
jy-head,教育局局长,jyj,unit-head
hg-kh,华山街道考核员,hgj-dgw,assessment-office
"""


def test_seed_004_4321_weights(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "rectify.db")
    site(cli, tmp_path, WUHUA_UNITS, WUHUA_PEOPLE, "2019-01-02")
    cli.ok("campaign", "start", str(KAOHE), "--start", "2019-01-02", "--actor", "kh")
    # 区教育局 finishes a quarterly task 10 days late after one return (驳回重办)
    code = cli.ok("item", "add", "kaohe-4321-2019", "--title", "一季度重点任务未完成",
                  "--unit", "jyj", "--category", "task-list", "--source", "superior-review",
                  "--actor", "kh", "--as-of", "2019-04-08").strip()
    cli.ok("item", "advance", "confirm", code, "--actor", "kh", "--as-of", "2019-04-08")
    cli.ok("item", "rectify", code, "--measures", "限期完成", "--deadline", "2019-05-31",
           "--actor", "jy-head", "--as-of", "2019-04-09")
    cli.ok("item", "advance", "submit", code, "--actor", "jy-head", "--as-of", "2019-05-20")
    cli.ok("item", "advance", "return", code, "--actor", "kh", "--note", "佐证不足",
           "--deadline", "2019-05-31", "--as-of", "2019-05-22")
    cli.ok("item", "advance", "submit", code, "--actor", "jy-head", "--as-of", "2019-06-10")
    cli.ok("item", "advance", "verify", code, "--actor", "kh", "--as-of", "2019-06-10")
    entered = {"jyj": (95, 90, 92), "wjj": (85, 88, 90), "hgj": (90, 91, 85), "lmj": (90, 91, 85)}
    for unit, (annual, democratic, _standing) in entered.items():
        for key, value in (("annual", annual), ("democratic", democratic)):
            cli.ok("assess", "score", "kaohe-4321-2019", key, unit, str(value), "--period",
                   "2019", "--actor", "kh", "--as-of", "2020-01-10")
    # 区委常委综合评价: the standing committee rates; it may not enter the annual assessment
    for unit, (_a, _d, standing) in entered.items():
        cli.ok("assess", "score", "kaohe-4321-2019", "standing", unit, str(standing),
               "--period", "2019", "--actor", "cw", "--as-of", "2020-01-10")
    cli.fails(1, "assess", "score", "kaohe-4321-2019", "annual", "wjj", "99", "--period",
              "2019", "--actor", "cw", "--as-of", "2020-01-10")
    # a sub-district's office rates its own communities, not its sub-district nor another's
    cli.ok("assess", "score", "kaohe-4321-2019", "annual", "hgj-c1", "88", "--period", "2019",
           "--actor", "hg-kh", "--as-of", "2020-01-10")
    for unit in ("hgj", "lmj-c1"):
        err = cli.fails(1, "assess", "score", "kaohe-4321-2019", "annual", unit, "88",
                        "--period", "2019", "--actor", "hg-kh", "--as-of", "2020-01-10")
        assert f"{unit} is not under /wuhua/hgj, the unit 'hg-kh' reviews for" in err
    out = json.loads(cli.ok("assess", "show", "kaohe-4321-2019", "--period", "2019", "--json",
                            "--as-of", "2020-01-10"))
    rows = {r["unit"]: r for r in out["rows"]}
    assert rows["hgj-c1"]["annual"] == 88 and rows["hgj-c1"]["group"] == "社区"
    # 区教育局's daily work is the worst of the departments (late, returned); 卫健局 the best
    assert (rows["jyj"]["daily"], rows["wjj"]["daily"]) == (0, 100)
    for unit, (annual, democratic, standing) in entered.items():
        daily = rows[unit]["daily"]
        assert rows[unit]["total"] == pytest.approx(
            0.4 * daily + 0.3 * annual + 0.2 * democratic + 0.1 * standing, abs=0.01)
    # departments and sub-districts apart; the two sub-districts tie and share first place
    assert [(r["group"], r["unit"], r["rank"]) for r in out["rows"]] == [
        ("区级部门", "wjj", 1), ("区级部门", "jyj", 2), ("街道", "hgj", 1), ("街道", "lmj", 1),
        ("社区", "hgj-c1", None), ("社区", "lmj-c1", None)]
