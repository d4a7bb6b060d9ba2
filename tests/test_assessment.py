"""The assessment (考核) end to end through the CLI: indicators from the event log, scores
entered by hand and from files (each an event with its actor and date), 4321 weights, peer
groups, ranking with ties, results reproducible for a past date, and located errors."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from test_cli_common import CAMPAIGN, START, WGBW, Cli, dump, populate

ASSESSMENT = """
assessment:
  title: 县直部门作风考核
  periods: [quarter, year]
  groups:
    - {key: departments, title: 县直部门, kinds: [department]}
  indicators:
    - key: on_time
      title: 按期销号率
      ratio: [closed_on_time, closed]
      default: 1
      normalise: min-max
    - key: overdue
      title: 超期天数
      measure: overdue_days
      better: lower
      normalise: min-max
    - key: daily
      title: 日常工作
      weighted: {on_time: 60, overdue: 40}
  scores:
    - {key: annual, title: 年度考核, by: [lead-office]}
    - {key: democratic, title: 民主测评, by: [lead-office, supervision-office], combine: mean}
    - {key: standing, title: 常委会评价, by: [lead-office]}
  total:
    title: 综合得分
    weights: {daily: 40, annual: 30, democratic: 20, standing: 10}
"""
DEPARTMENTS = ("czj", "jyj", "jw", "zzb")


def definition(folder: Path, extra: str = ASSESSMENT) -> Path:
    path = folder / "wgbw-assess.yaml"
    path.write_text(WGBW.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return path


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    c = populate(Cli(tmp_path / "rectify.db"))
    c.ok("campaign", "start", str(definition(tmp_path)), "--start", START, "--actor", "lead")
    return c


def scores(cli: Cli, period: str, as_of: str, values: dict[str, tuple[float, float, float]],
           actor: str = "lead") -> None:
    for unit, (annual, democratic, standing) in values.items():
        for key, value in (("annual", annual), ("democratic", democratic),
                           ("standing", standing)):
            cli.ok("assess", "score", CAMPAIGN, key, unit, str(value), "--period", period,
                   "--actor", actor, "--as-of", as_of)


def shown(cli: Cli, *args: str) -> dict[str, dict[str, object]]:
    out = json.loads(cli.ok("assess", "show", CAMPAIGN, "--json", *args))
    return {r["unit"]: r for r in out["rows"]}


def test_4321_weights_indicators_from_the_log_and_ties(cli: Cli) -> None:
    weights_scenario(cli)


def test_the_same_on_postgresql(pg_db_url: str, tmp_path: Path) -> None:
    c = populate(Cli(pg_db_url))  # type: ignore[arg-type]
    c.ok("campaign", "start", str(definition(tmp_path)), "--start", START, "--actor", "lead")
    weights_scenario(c)


def weights_scenario(cli: Cli) -> None:
    # 县财政局: one item closed on time, one closed 5 days late; 县教育局: one still open
    cli.closed(as_of="2015-08-03")
    late = cli.planned(as_of="2015-08-03")  # deadline 2015-09-30
    open_ = cli.confirmed(as_of="2015-08-04", unit="jyj")  # open past its deadline all year
    cli.ok("item", "rectify", open_, "--measures", "限时办结", "--deadline", "2015-09-30",
           "--actor", "edu", "--as-of", "2015-08-04")
    cli.ok("item", "advance", "submit", late, "--actor", "head", "--as-of", "2015-10-05")
    cli.ok("item", "advance", "verify", late, "--actor", "sup", "--as-of", "2015-10-05")
    scores(cli, "2015", "2015-12-31", {"czj": (90, 80, 80), "jyj": (90, 80, 80),
                                       "jw": (70, 60, 60)})
    # 民主测评 by a second rater: the mean of each rater's latest
    cli.ok("assess", "score", CAMPAIGN, "democratic", "jw", "80", "--period", "2015",
           "--actor", "sup", "--as-of", "2015-12-31")
    rows = shown(cli, "--period", "2015", "--as-of", "2015-12-31")
    # overdue item-days in 2015: czj 5 (10-01..10-05), jyj 92 (10-01..12-31), jw 0
    # on time: czj 1/2, jyj and jw closed nothing (default 1)
    assert (rows["czj"]["on_time"], rows["jyj"]["on_time"], rows["jw"]["on_time"]) == (0, 100, 100)
    assert rows["czj"]["overdue"] == round(100 * (92 - 5) / 92, 2)
    assert (rows["jyj"]["overdue"], rows["jw"]["overdue"]) == (0, 100)
    daily = {u: 0.6 * float(rows[u]["on_time"]) + 0.4 * float(rows[u]["overdue"])  # type: ignore[arg-type]
             for u in ("czj", "jyj", "jw")}
    assert rows["jw"]["democratic"] == 70
    for unit, (annual, democratic, standing) in {"czj": (90, 80, 80), "jyj": (90, 80, 80),
                                                 "jw": (70, 70, 60)}.items():
        total = (40 * daily[unit] + 30 * annual + 20 * democratic + 10 * standing) / 100
        assert rows[unit]["total"] == pytest.approx(total, abs=0.01)
    # zzb has no entered scores: no total, no place
    assert (rows["zzb"]["total"], rows["zzb"]["rank"]) == (None, None)
    ranked = json.loads(cli.ok("assess", "rank", CAMPAIGN, "--period", "2015", "--json",
                               "--as-of", "2015-12-31"))["rows"]
    # jw 81, jyj 75, czj 66.13 (its daily work: 0.6·0 + 0.4·94.57)
    assert [(r["unit"], r["rank"]) for r in ranked] == [("jw", 1), ("jyj", 2), ("czj", 3),
                                                        ("zzb", None)]


def test_ties_share_a_place(cli: Cli) -> None:
    # the county's assessment office rates 组织部 too (组织部 may not rate itself)
    cli.ok("person", "add", "--actor", "admin", "kh", "--name", "考核办", "--unit", "dcs",
           "--role", "lead-office")
    scores(cli, "2015-Q3", "2015-09-30", {"czj": (90, 90, 90), "jyj": (80, 80, 80),
                                          "jw": (80, 80, 80)})
    scores(cli, "2015-Q3", "2015-09-30", {"zzb": (70, 70, 70)}, actor="kh")
    ranked = json.loads(cli.ok("assess", "rank", CAMPAIGN, "--period", "2015-Q3", "--json",
                               "--as-of", "2015-09-30"))["rows"]
    assert [r["rank"] for r in ranked] == [1, 2, 2, 4]


def test_results_are_reproducible_for_a_past_date(cli: Cli) -> None:
    scores(cli, "2015-Q3", "2015-10-08", {"czj": (90, 90, 90), "jyj": (80, 80, 80)})
    before = cli.ok("assess", "show", CAMPAIGN, "--period", "2015-Q3", "--json",
                    "--as-of", "2015-10-08")
    # later entries (a correction, a late item) leave the result as of 2015-10-08 alone
    cli.ok("assess", "score", CAMPAIGN, "annual", "czj", "10", "--period", "2015-Q3",
           "--actor", "lead", "--as-of", "2015-10-20")
    cli.closed(as_of="2015-10-20")
    assert cli.ok("assess", "show", CAMPAIGN, "--period", "2015-Q3", "--json",
                  "--as-of", "2015-10-08") == before
    after = shown(cli, "--period", "2015-Q3", "--as-of", "2015-10-20")
    assert after["czj"]["annual"] == 10


def test_every_score_is_an_event_with_actor_and_date(cli: Cli) -> None:
    cli.ok("assess", "score", CAMPAIGN, "annual", "czj", "88.5", "--period", "2015-Q3",
           "--actor", "lead", "--as-of", "2015-10-09", "--note", "年度考核组评定")
    with sqlite3.connect(cli.db) as conn:
        row = conn.execute("SELECT actor, business_date, payload, note FROM events "
                           "WHERE machine = 'assessment'").fetchone()
    actor, day, payload, note = row
    assert (actor, day, note) == ("lead", "2015-10-09", "年度考核组评定")
    assert json.loads(payload) == {"score": "annual", "unit": "czj", "period": "2015-Q3",
                                   "value": 88.5}
    assert "ok" in cli.ok("audit", "verify", CAMPAIGN).lower()


def test_who_may_enter_which_score(cli: Cli) -> None:
    before = dump(cli.db)
    # a unit head holds no rating role
    err = cli.fails(1, "assess", "score", CAMPAIGN, "annual", "jyj", "80", "--period", "2015-Q3",
                    "--actor", "head", "--as-of", "2015-10-09")
    assert "lead-office" in err
    # 组织部 may not rate itself
    err = cli.fails(1, "assess", "score", CAMPAIGN, "annual", "zzb", "80", "--period", "2015-Q3",
                    "--actor", "lead", "--as-of", "2015-10-09")
    assert "zzb" in err
    # the supervision office may enter 民主测评 but not 年度考核
    cli.fails(1, "assess", "score", CAMPAIGN, "annual", "czj", "80", "--period", "2015-Q3",
              "--actor", "sup", "--as-of", "2015-10-09")
    assert dump(cli.db) == before
    cli.ok("assess", "score", CAMPAIGN, "democratic", "czj", "80", "--period", "2015-Q3",
           "--actor", "sup", "--as-of", "2015-10-09")


def test_bad_scores_are_refused_with_the_reason(cli: Cli) -> None:
    before = dump(cli.db)
    err = cli.fails(1, "assess", "score", CAMPAIGN, "annual", "czj", "120", "--period",
                    "2015-Q3", "--actor", "lead", "--as-of", "2015-10-09")
    assert "outside [0, 100]" in err
    err = cli.fails(1, "assess", "score", CAMPAIGN, "charm", "czj", "80", "--period",
                    "2015-Q3", "--actor", "lead", "--as-of", "2015-10-09")
    assert "annual" in err
    err = cli.fails(1, "assess", "score", CAMPAIGN, "annual", "czj", "80", "--period",
                    "2015-09", "--actor", "lead", "--as-of", "2015-10-09")
    assert "quarter" in err
    err = cli.fails(1, "assess", "score", CAMPAIGN, "annual", "czj-bgs", "80", "--period",
                    "2015-Q3", "--actor", "lead", "--as-of", "2015-10-09")
    assert "czj-bgs is not assessed: its kind 'office' is in no peer group (department)" in err
    err = cli.fails(1, "assess", "show", CAMPAIGN, "--period", "2015-Q5")
    assert "2015-Q3" in err
    assert dump(cli.db) == before


def test_import_from_csv_and_xlsx(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "民主测评.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["单位", "得分"])
        w.writerow(["县财政局", "91.5"])
        w.writerow(["县教育局", "88"])
    out = cli.ok("assess", "import", CAMPAIGN, str(path), "--period", "2015-Q3", "--score",
                 "democratic", "--actor", "sup", "--as-of", "2015-10-09")
    assert "2 score(s) entered" in out
    rows = shown(cli, "--period", "2015-Q3", "--as-of", "2015-10-09")
    assert (rows["czj"]["democratic"], rows["jyj"]["democratic"]) == (91.5, 88)
    with sqlite3.connect(cli.db) as conn:
        payload = json.loads(conn.execute("SELECT payload FROM events WHERE machine = "
                                          "'assessment' ORDER BY seq LIMIT 1").fetchone()[0])
    assert payload["import"]["row"] == 2 and payload["import"]["file"] == "民主测评.csv"

    import xlsxwriter

    book = tmp_path / "考核.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    ws = wb.add_worksheet("评分")
    for r, row in enumerate([["测评项目", "单位", "得分"], ["annual", "县财政局", 85],
                             ["standing", "县财政局", "很好"], ["annual", "县纪委", 101],
                             ["annual", "县水利局", 80]]):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    wb.close()
    before = dump(cli.db)
    err = cli.fails(1, "assess", "import", CAMPAIGN, str(book), "--period", "2015-Q3",
                    "--actor", "lead", "--as-of", "2015-10-09")
    assert "row 3, column C: '很好' is not a number" in err
    assert dump(cli.db) == before
    book = tmp_path / "考核2.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    ws = wb.add_worksheet("评分")
    for r, row in enumerate([["测评项目", "单位", "得分"], ["annual", "县纪委", 101],
                             ["annual", "县水利局", 80]]):
        ws.write_row(r, 0, row)
    wb.close()
    err = cli.fails(1, "assess", "import", CAMPAIGN, str(book), "--period", "2015-Q3",
                    "--actor", "lead", "--as-of", "2015-10-09")
    assert "考核2.xlsx: row 2, column C: annual 101.0 is outside [0, 100]" in err
    assert "考核2.xlsx: row 3, column B: " in err and "县水利局" in err
    assert dump(cli.db) == before


def test_show_writes_csv_and_xlsx(cli: Cli, tmp_path: Path) -> None:
    scores(cli, "2015-Q3", "2015-10-08", {"czj": (90, 90, 90), "jyj": (80, 80, 80)})
    text = cli.ok("assess", "show", CAMPAIGN, "--period", "2015-Q3", "--csv",
                  "--as-of", "2015-10-08")
    assert text.splitlines()[0] == ("group,rank,unit,title,on_time,overdue,daily,annual,"
                                    "democratic,standing,total")
    table = cli.ok("assess", "rank", CAMPAIGN, "--period", "2015-Q3", "--as-of", "2015-10-08")
    assert "县财政局" in table and "综合得分" in table
    book = tmp_path / "rank.xlsx"
    cli.ok("assess", "rank", CAMPAIGN, "--period", "2015-Q3", "--xlsx", str(book),
           "--as-of", "2015-10-08")
    from openpyxl import load_workbook

    cells = [[c.value for c in row] for row in load_workbook(book).active.iter_rows()]
    assert cells[2] == ["考核组", "名次", "单位代码", "单位", "综合得分"]
    assert cells[3][:3] == ["县直部门", 1, "czj"]


def test_campaign_without_assessment_says_so(tmp_path: Path) -> None:
    c = populate(Cli(tmp_path / "plain.db"))
    c.ok("campaign", "start", str(WGBW), "--start", START, "--actor", "lead")
    err = c.fails(1, "assess", "show", CAMPAIGN, "--period", "2015-Q3")
    assert "no assessment" in err


@pytest.mark.parametrize(("extra", "where", "code"), [
    ("    weights: {daily: 40, annual: 30, nothing: 30}\n", "nothing", "unknown-name"),
    ("    weights: {annual: 30}\n  indicators:\n    - {key: loop, title: 环, "
     "sum: [loop]}\n", "loop", "cycle"),
])
def test_definition_errors_are_located(tmp_path: Path, extra: str, where: str,
                                       code: str) -> None:
    text = ("assessment:\n  scores:\n    - {key: annual, title: 年度考核}\n"
            "  indicators:\n    - {key: daily, title: 日常, measure: returns}\n"
            "  total:\n" + extra) if code == "unknown-name" else (
        "assessment:\n  scores:\n    - {key: annual, title: 年度考核}\n  total:\n" + extra)
    path = definition(tmp_path, text)
    c = Cli(tmp_path / "x.db")
    result = c.invoke("validate", str(path), db=False)
    assert result.exit_code != 0
    assert f"error[{code}]" in result.output and str(path) in result.output


def test_report_and_dashboard_show_the_score_table_and_ranking_chart(cli: Cli,
                                                                     tmp_path: Path) -> None:
    scores(cli, "2015-Q3", "2015-09-30", {"czj": (90, 90, 90), "jyj": (80, 80, 80)})
    md = tmp_path / "月报.md"
    cli.ok("report", CAMPAIGN, "--month", "2015-09", "-o", str(md), "--as-of", "2015-09-30")
    text = md.read_text(encoding="utf-8")
    assert "## 十一、考核结果（2015-Q3，截至 2015-09-30）" in text
    assert "| 1 | 县财政局 |" in text and "| 2 | 县教育局 |" in text
    html = tmp_path / "月报.html"
    cli.ok("report", CAMPAIGN, "--month", "2015-09", "-o", str(html), "--as-of", "2015-09-30")
    page = html.read_text(encoding="utf-8")
    assert "考核结果 · 2015-Q3" in page and 'aria-label="县直部门排名（综合得分）"' in page
    board = tmp_path / "看板.html"
    cli.ok("dashboard", CAMPAIGN, "-o", str(board), "--as-of", "2015-09-30")
    page = board.read_text(encoding="utf-8")
    assert "1. 县财政局" in page and "2. 县教育局" in page


VETO = ASSESSMENT.replace("    - {key: standing, title: 常委会评价, by: [lead-office]}",
                          "    - {key: standing, title: 常委会评价, by: [lead-office], "
                          "veto: {below: 60}}")


def test_a_veto_needs_explicit_leave_and_validate_warns(tmp_path: Path) -> None:
    c = Cli(tmp_path / "x.db")
    refused = c.invoke("validate", str(definition(tmp_path, VETO)), db=False)
    assert refused.exit_code == 1 and "error[veto-not-allowed]" in refused.output
    allowed = definition(tmp_path, VETO.replace("  periods:", "  allow_veto: true\n  periods:"))
    result = c.invoke("validate", str(allowed), db=False)
    assert result.exit_code == 0
    assert "sets a one-vote veto" in result.stderr and "考核不得设置“一票否决”事项" in result.stderr
    populate(c)
    c.ok("campaign", "start", str(allowed), "--start", START, "--actor", "lead")
    scores(c, "2015-Q3", "2015-09-30", {"czj": (90, 90, 50), "jyj": (80, 80, 80)})
    rows = shown(c, "--period", "2015-Q3", "--as-of", "2015-09-30")
    # 常委会评价 50 < 60 strikes 县财政局's total, whatever its other scores
    assert (rows["czj"]["total"], rows["czj"]["rank"], rows["czj"]["vetoed"]) == (0, 2, "standing")
    assert rows["jyj"]["rank"] == 1 and rows["jyj"]["vetoed"] is None


BOTTOM = ASSESSMENT + """  bottom:
    last: 1
    steps:
      - {key: warning, title: 警示, outcome: circulate}
      - {key: retraining, title: 待岗培训, outcome: organizational}
"""


def test_a_confirmed_bottom_proposal_becomes_an_accountability_case(tmp_path: Path) -> None:
    c = populate(Cli(tmp_path / "b.db"))
    c.ok("campaign", "start", str(definition(tmp_path, BOTTOM)), "--start", START, "--actor",
         "lead")
    scores(c, "2015-Q3", "2015-10-08", {"czj": (90, 90, 90), "jyj": (60, 60, 60),
                                        "jw": (80, 80, 80)})
    proposals = json.loads(c.ok("assess", "bottom", CAMPAIGN, "--period", "2015-Q3", "--json",
                                "--as-of", "2015-10-08"))["proposals"]
    assert [(p["unit"], p["step"]) for p in proposals] == [("jyj", "警示")]
    assert json.loads(c.ok("accountability", "list", CAMPAIGN, "--json", "--as-of",
                           "2015-10-08"))["counts"]["cases"] == 0
    out = c.ok("assess", "confirm", CAMPAIGN, "jyj", "--period", "2015-Q3", "--actor", "lead",
               "--as-of", "2015-10-09")
    assert out.splitlines() == ["jyj: 警示 confirmed for 2015-Q3", "accountability case 1 recorded",
                                "notice issued to 县教育局"]
    cases = json.loads(c.ok("accountability", "list", CAMPAIGN, "--json", "--as-of",
                            "2015-10-09"))["cases"]
    assert [(k["outcome"], k["units"], k["items"]) for k in cases] == [("通报批评", "县教育局", "")]
    c.fails(1, "assess", "confirm", CAMPAIGN, "jyj", "--period", "2015-Q3", "--actor", "lead",
            "--as-of", "2015-10-09")
    # an outcome the register does not list is refused where it is written
    bad = definition(tmp_path, BOTTOM.replace("outcome: circulate", "outcome: exile"))
    result = c.invoke("validate", str(bad), db=False)
    assert result.exit_code == 1 and "error[unknown-outcome]" in result.output


def test_a_report_for_one_unit_shows_its_place_among_all(cli: Cli, tmp_path: Path) -> None:
    scores(cli, "2015-Q3", "2015-09-30", {"czj": (90, 90, 90), "jyj": (80, 80, 80)})
    md = tmp_path / "教育局.md"
    cli.ok("report", CAMPAIGN, "--month", "2015-09", "--unit", "jyj", "-o", str(md),
           "--as-of", "2015-09-30")
    text = md.read_text(encoding="utf-8")
    assert "| 2 | 县教育局 |" in text and "县财政局 |" not in text.split("十一、考核结果")[1]


def test_the_score_rows_mirror_the_log(cli: Cli, tmp_path: Path) -> None:
    """Every row of assessment_scores is its event's payload, by seq: the log alone gives the
    same entries (a result can be rebuilt from it)."""
    scores(cli, "2015-Q3", "2015-10-08", {"czj": (90, 91, 92), "jyj": (80, 81, 82)})
    cli.ok("assess", "score", CAMPAIGN, "annual", "czj", "70", "--period", "2015-Q3",
           "--actor", "lead", "--as-of", "2015-10-09")
    with sqlite3.connect(cli.db) as conn:
        logged = {seq: (json.loads(p), actor, day) for seq, p, actor, day in conn.execute(
            "SELECT seq, payload, actor, business_date FROM events WHERE machine = 'assessment' "
            "AND trigger = 'score'")}
        rows = conn.execute("SELECT s.seq, s.score, u.code, s.period, s.value, s.actor, "
                            "s.entered_on FROM assessment_scores s JOIN units u "
                            "ON u.id = s.unit_id").fetchall()
    assert len(rows) == len(logged) == 7
    for seq, score, unit, period, value, actor, day in rows:
        assert logged[seq] == ({"score": score, "unit": unit, "period": period, "value": value},
                               actor, day)
