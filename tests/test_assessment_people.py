"""The assessment of people (干部履职评议) end to end through the CLI: persons rated in peer
groups by their own scores and the items they are responsible for, entered by hand and from
files naming them by key or by name within a unit, ranked 1, 2, 2, 4, the bottom rule over
consecutive periods, a confirmed proposal's notice, undo of scores, and the 四挂钩 workbooks."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from test_assessment import ASSESSMENT, definition
from test_cli_common import CAMPAIGN, PEOPLE, START, Cli, populate

PEOPLE_SECTION = """  people:
    title: 干部履职评议
    groups:
      - {key: leaders, title: 领导干部, roles: [unit-head], kinds: [department]}
      - {key: staff, title: 机关工作人员, kinds: [department], per: unit}
    indicators:
      - key: closure
        title: 问题办结率
        ratio: [closed, items_found]
        default: 1
        normalise: min-max
    scores:
      - {key: service, title: 履职测评, by: [lead-office], combine: mean}
    total:
      title: 个人综合得分
      weights: {closure: 30, service: 70}
    bottom:
      last: 1
      steps:
        - {key: warning, title: 警示, outcome: circulate}
        - {key: retraining, title: 待岗培训, outcome: organizational,
           notice: 连续两年考核末位，待岗培训三个月}
"""
STAFF = [("czj-a", "张三", "czj", []), ("czj-b", "李四", "czj", []), ("czj-c", "王五", "czj", []),
         ("czj-d", "赵六", "czj", []), ("jyj-a", "张三", "jyj", [])]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    c = populate(Cli(tmp_path / "rectify.db"), [*PEOPLE, *STAFF])
    c.ok("campaign", "start", str(definition(tmp_path, ASSESSMENT + PEOPLE_SECTION)), "--start",
         START, "--actor", "lead")
    return c


def service(cli: Cli, period: str, as_of: str, values: dict[str, float],
            actor: str = "lead") -> None:
    for person, value in values.items():
        cli.ok("assess", "score", CAMPAIGN, "service", person, str(value), "--people",
               "--period", period, "--actor", actor, "--as-of", as_of)


def ranked(cli: Cli, period: str, *args: str) -> dict[str, dict[str, object]]:
    out = json.loads(cli.ok("assess", "show", CAMPAIGN, "--people", "--period", period,
                            "--json", *args))
    return {str(r["person"]): r for r in out["rows"]}


def test_people_are_ranked_in_their_peer_groups_with_ties(cli: Cli) -> None:
    service(cli, "2015-Q3", "2015-09-30", {"czj-a": 90, "czj-b": 80, "czj-c": 80, "czj-d": 70,
                                           "jyj-a": 60, "head": 85, "edu": 95})
    rows = ranked(cli, "2015-Q3", "--as-of", "2015-09-30")
    assert {k: (r["group"], r["rank"]) for k, r in rows.items() if r["rank"] is not None} == {
        "czj-a": ("机关工作人员·县财政局", 1), "czj-b": ("机关工作人员·县财政局", 2),
        "czj-c": ("机关工作人员·县财政局", 2), "czj-d": ("机关工作人员·县财政局", 4),
        "jyj-a": ("机关工作人员·县教育局", 1), "edu": ("领导干部", 1), "head": ("领导干部", 2)}
    assert rows["czj-a"]["name"] == "张三" and rows["czj-a"]["unit"] == "czj"
    assert rows["czj-a"]["total"] == pytest.approx(0.3 * 100 + 0.7 * 90)
    # people not rated have no place; people of an office (clerk) are in no group
    assert rows["lead"]["rank"] is None and "clerk" not in rows and "admin" not in rows


def test_a_person_is_named_by_key_or_by_name_within_a_unit(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "履职测评.csv"
    good.write_text("姓名,单位,得分\n张三,县财政局,88\n张三,jyj,77\nczj-b,,66\n", encoding="utf-8")
    assert cli.ok("assess", "import", CAMPAIGN, str(good), "--score", "service", "--people",
                  "--period", "2015-Q3", "--actor", "lead", "--as-of", "2015-09-30"
                  ).strip() == "3 score(s) entered for 2015-Q3"
    rows = ranked(cli, "2015-Q3", "--as-of", "2015-09-30")
    assert (rows["czj-a"]["service"], rows["jyj-a"]["service"], rows["czj-b"]["service"]) == (
        88, 77, 66)
    with sqlite3.connect(cli.db) as conn:
        before = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        logged = json.loads(conn.execute(
            "SELECT payload FROM events WHERE trigger = 'score' ORDER BY seq LIMIT 1").fetchone()[0])
    assert logged["person"] == "czj-a" and logged["unit"] == "czj" and "张三" not in json.dumps(
        {k: v for k, v in logged.items() if k != "import"})
    with sqlite3.connect(cli.db) as conn:  # each row is its event's payload, by seq
        events = {seq: json.loads(p) for seq, p in conn.execute(
            "SELECT seq, payload FROM events WHERE trigger = 'score'")}
        rows = conn.execute("SELECT s.seq, s.score, u.code, p.key, s.value FROM assessment_scores s "
                            "JOIN units u ON u.id = s.unit_id JOIN people p ON p.id = s.person_id"
                            ).fetchall()
    assert len(rows) == len(events) == 3
    for seq, score, unit, person, value in rows:
        assert (events[seq]["score"], events[seq]["unit"], events[seq]["person"],
                events[seq]["value"]) == (score, unit, person, value)
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,单位,得分\n张三,,80\n无名氏,,70\n赵六,czj,abc\nclerk,,60\n",
                   encoding="utf-8")
    err = cli.fails(1, "assess", "import", CAMPAIGN, str(bad), "--score", "service", "--people",
                    "--period", "2015-Q3", "--actor", "lead", "--as-of", "2015-09-30")
    assert "bad.csv: row 4, column C: 'abc' is not a number" in err
    bad.write_text("姓名,单位,得分\n张三,,80\n无名氏,,70\nclerk,,60\nczj-a,jyj,60\n",
                   encoding="utf-8")
    err = cli.fails(1, "assess", "import", CAMPAIGN, str(bad), "--score", "service", "--people",
                    "--period", "2015-Q3", "--actor", "lead", "--as-of", "2015-09-30")
    assert "bad.csv: row 2, column A: 2 people are named '张三' (czj, jyj)" in err
    assert "bad.csv: row 3, column A: no person '无名氏'" in err
    assert "bad.csv: row 4, column A: clerk of czj-bgs is not assessed" in err
    assert "bad.csv: row 5, column A: czj-a is of czj, not of jyj" in err
    with sqlite3.connect(cli.db) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == before
    missing = tmp_path / "missing.csv"
    missing.write_text("单位,得分\nczj,80\n", encoding="utf-8")
    err = cli.fails(1, "assess", "import", CAMPAIGN, str(missing), "--score", "service",
                    "--people", "--period", "2015-Q3", "--actor", "lead", "--as-of", "2015-09-30")
    assert "missing.csv: row 1: no column for person" in err and "姓名" in err


def test_items_count_for_their_responsible_person(cli: Cli) -> None:
    """A person's measures are those of the items whose rectification names them 责任人."""
    for person in ("czj-a", "czj-a", "czj-b"):
        code = cli.confirmed(as_of="2015-08-03")
        cli.ok("item", "rectify", code, "--measures", "建立首问负责制", "--deadline", "2015-09-30",
               "--person", person, "--actor", "head", "--as-of", "2015-08-03")
    cli.ok("item", "advance", "submit", code, "--actor", "head", "--as-of", "2015-08-10")
    cli.ok("item", "advance", "verify", code, "--actor", "sup", "--as-of", "2015-08-11")
    service(cli, "2015-Q3", "2015-09-30", {"czj-a": 80, "czj-b": 80, "czj-c": 80})
    rows = ranked(cli, "2015-Q3", "--as-of", "2015-09-30")
    # czj-a: 0 of 2 closed → 0; czj-b: 1 of 1 → 100; czj-c: none found → the default 1 → 100
    assert [rows[k]["closure"] for k in ("czj-a", "czj-b", "czj-c")] == [0, 100, 100]
    assert [rows[k]["rank"] for k in ("czj-b", "czj-c", "czj-a")] == [1, 1, 3]


def test_who_may_rate_a_person(cli: Cli) -> None:
    err = cli.fails(1, "assess", "score", CAMPAIGN, "service", "czj-a", "80", "--people",
                    "--period", "2015-Q3", "--actor", "sup", "--as-of", "2015-09-30")
    assert "holds none of the roles that enter 'service'" in err
    err = cli.fails(1, "assess", "score", CAMPAIGN, "service", "lead", "80", "--people",
                    "--period", "2015-Q3", "--actor", "lead", "--as-of", "2015-09-30")
    assert "'lead' may not rate themself" in err
    err = cli.fails(1, "assess", "score", CAMPAIGN, "service", "张三", "80", "--people",
                    "--period", "2015-Q3", "--actor", "lead", "--as-of", "2015-09-30")
    assert "2 people are named '张三'" in err
    cli.ok("assess", "score", CAMPAIGN, "service", "张三", "80", "--people", "--unit", "jyj",
           "--period", "2015-Q3", "--actor", "lead", "--as-of", "2015-09-30")
    assert ranked(cli, "2015-Q3", "--as-of", "2015-09-30")["jyj-a"]["service"] == 80


def test_the_bottom_rule_escalates_for_a_person_and_a_confirmation_issues_the_notice(
        cli: Cli) -> None:
    quarters = {"2015-Q3": "2015-09-30", "2015-Q4": "2015-12-31"}
    for period, day in quarters.items():
        service(cli, period, day, {"czj-a": 90, "czj-b": 80, "czj-c": 85, "czj-d": 60})
    q3 = json.loads(cli.ok("assess", "bottom", CAMPAIGN, "--people", "--period", "2015-Q3",
                           "--json", "--as-of", "2016-01-05"))["proposals"]
    assert [(p["person"], p["step"], p["streak"]) for p in q3] == [("czj-d", "警示", 1)]
    assert "name" not in q3[0]  # accountability is confidential: no name without entitlement
    entitled = json.loads(cli.ok("assess", "bottom", CAMPAIGN, "--people", "--period",
                                 "2015-Q3", "--json", "--as-of", "2016-01-05", "--actor",
                                 "lead"))["proposals"]
    assert entitled[0]["name"] == "赵六"
    with sqlite3.connect(cli.db) as conn:  # the names shown are a recorded read
        reads = [(a, json.loads(p)) for a, p in conn.execute(
            "SELECT actor, payload FROM events WHERE trigger = 'read'")]
    assert [(a, p["output"], p["fields"], p["items"]) for a, p in reads] == [
        ("lead", "assessment bottom", ["sanctioned"], 1)]
    out = cli.ok("assess", "confirm", CAMPAIGN, "赵六", "--people", "--period", "2015-Q3",
                 "--actor", "lead", "--as-of", "2016-01-05")
    assert out.splitlines() == ["czj-d: 警示 confirmed for 2015-Q3",
                                "accountability case 1 recorded", "notice issued to 县财政局"]
    q4 = json.loads(cli.ok("assess", "bottom", CAMPAIGN, "--people", "--period", "2015-Q4",
                           "--json", "--as-of", "2016-01-06"))["proposals"]
    assert [(p["person"], p["step"], p["streak"]) for p in q4] == [("czj-d", "待岗培训", 2)]
    cli.ok("assess", "confirm", CAMPAIGN, "czj-d", "--people", "--period", "2015-Q4",
           "--actor", "lead", "--as-of", "2016-01-06")
    cases = json.loads(cli.ok("accountability", "list", CAMPAIGN, "--json", "--as-of",
                              "2016-01-06", "--actor", "lead"))["cases"]
    assert [(k["outcome"], k["people"]) for k in cases] == [("通报批评", "赵六"), ("组织处理", "赵六")]
    notices = json.loads(cli.ok("notices", CAMPAIGN, "--kind", "assessment", "--json",
                                "--as-of", "2016-01-06"))
    assert [(n["issued_on"], n["to"], n["level_title"], n["code"], n["person"]) for n in notices] == [
        ("2016-01-05", "县财政局", "bottom of the assessment: 警示", "2015-Q3", ""),
        ("2016-01-06", "县财政局", "bottom of the assessment: 待岗培训", "2015-Q4", "")]
    assert notices[0]["action"] == ("县财政局 ranked in the bottom of 机关工作人员·县财政局 in the "
                                    "assessment of 2015-Q3 (1 consecutive period(s)): 警示")
    assert notices[1]["action"] == "连续两年考核末位，待岗培训三个月"
    zh = cli.ok("notices", CAMPAIGN, "--kind", "assessment", "--json", "--as-of", "2016-01-06",
                "--actor", "lead", env={"LANG": "zh_CN.UTF-8"})
    first = json.loads(zh)[0]
    assert first["level_title"] == "考核末位：警示" and first["person"] == "赵六"
    assert first["action"] == "县财政局在2015-Q3考核中位列机关工作人员·县财政局末位（连续1期），予以警示"
    # listed with the others for the unit, and not for another unit
    assert len(json.loads(cli.ok("notices", CAMPAIGN, "--unit", "czj", "--json", "--as-of",
                                 "2016-01-06"))) == 2
    assert json.loads(cli.ok("notices", CAMPAIGN, "--unit", "jyj", "--json", "--as-of",
                             "2016-01-06")) == []
    # a confirmation before its day is not seen: the notices as of the first day
    assert len(json.loads(cli.ok("notices", CAMPAIGN, "--kind", "assessment", "--json",
                                 "--as-of", "2016-01-05"))) == 1


def test_a_confirmed_unit_proposal_issues_its_notice_too(cli: Cli) -> None:
    for unit, value in (("czj", 90), ("jyj", 60), ("jw", 80)):
        for key in ("annual", "democratic", "standing"):
            cli.ok("assess", "score", CAMPAIGN, key, unit, str(value), "--period", "2015-Q3",
                   "--actor", "lead", "--as-of", "2015-10-08")
    cli.fails(1, "assess", "confirm", CAMPAIGN, "jyj", "--period", "2015-Q3", "--actor", "lead",
              "--as-of", "2015-10-09")  # this assessment sets no bottom rule for units
    with sqlite3.connect(cli.db) as conn:
        assert conn.execute("SELECT count(*) FROM events WHERE trigger = 'bottom-notice'"
                            ).fetchone()[0] == 0


def test_scores_are_undone_by_a_compensating_event_until_published(cli: Cli) -> None:
    service(cli, "2015-Q3", "2015-09-30", {"czj-a": 90, "czj-b": 80})
    cli.ok("assess", "score", CAMPAIGN, "service", "czj-a", "20", "--people", "--period",
           "2015-Q3", "--actor", "lead", "--as-of", "2015-10-02")
    assert ranked(cli, "2015-Q3", "--as-of", "2015-10-02")["czj-a"]["service"] == 20
    err = cli.fails(1, "assess", "undo", CAMPAIGN, "--actor", "lead", "--as-of", "2015-10-03")
    assert "an undo needs a reason: give --note" in err
    err = cli.fails(1, "assess", "undo", CAMPAIGN, "--note", "typo", "--actor", "head",
                    "--as-of", "2015-10-03")
    assert "holds no role that may undo" in err
    out = cli.ok("assess", "undo", CAMPAIGN, "--note", "20 was a typo for 90", "--actor", "lead",
                 "--as-of", "2015-10-03")
    assert out.strip().startswith("undone: 1 score(s) of batch")
    # reproducible: before the undo the entry counts, from its date on it does not
    assert ranked(cli, "2015-Q3", "--as-of", "2015-10-02")["czj-a"]["service"] == 20
    assert ranked(cli, "2015-Q3", "--as-of", "2015-10-03")["czj-a"]["service"] == 90
    with sqlite3.connect(cli.db) as conn:
        undo = conn.execute("SELECT machine, actor, note, business_date, payload FROM events "
                            "WHERE trigger = 'undo'").fetchall()
        batch = conn.execute("SELECT id FROM batches WHERE kind = 'score' ORDER BY id").fetchall()
    assert [(m, a, n, d) for m, a, n, d, _p in undo] == [
        ("assessment", "lead", "20 was a typo for 90", "2015-10-03")]
    # the campaign's undo points to this one
    err = cli.fails(1, "campaign", "undo", CAMPAIGN, "--batch", str(batch[0][0]), "--note", "x",
                    "--actor", "lead", "--as-of", "2015-10-03")
    assert "rectify assess undo" in err
    err = cli.fails(1, "assess", "undo", CAMPAIGN, "--batch", str(batch[-1][0]), "--note", "x",
                    "--actor", "lead", "--as-of", "2015-10-03")
    assert "is already undone" in err
    cli.ok("assess", "publish", CAMPAIGN, "--period", "2015-Q3", "--actor", "lead",
           "--as-of", "2015-10-04")
    err = cli.fails(1, "assess", "undo", CAMPAIGN, "--note", "late", "--actor", "lead",
                    "--as-of", "2015-10-05")
    assert "the results for 2015-Q3 were published on 2015-10-04" in err


def test_ties_give_each_person_their_own_result(cli: Cli, tmp_path: Path) -> None:
    import openpyxl

    service(cli, "2015-Q3", "2015-10-08", {"czj-a": 90, "czj-b": 70, "head": 80, "edu": 90})
    for key in ("annual", "democratic", "standing"):
        for unit in ("czj", "jyj"):
            cli.ok("assess", "score", CAMPAIGN, key, unit, "80", "--period", "2015-Q3",
                   "--actor", "lead", "--as-of", "2015-10-08")
    folder = tmp_path / "ties"
    folder.mkdir()
    cli.ok("assess", "ties", CAMPAIGN, "--period", "2015-Q3", "-o", str(folder), "--as-of",
           "2015-10-08")
    wb = openpyxl.load_workbook(folder / "四挂钩-个人年度绩效考核-2015-Q3.xlsx", read_only=True)
    rows = [[c for c in r] for r in wb.active.iter_rows(values_only=True)]
    head = next(r for r in rows if r and r[0] == "人员编号")
    body = {r[0]: dict(zip(head, r, strict=False)) for r in rows[rows.index(head) + 1:] if r[0]}
    assert body["czj-b"]["姓名"] == "李四" and body["czj-b"]["个人名次"] == 2
    assert body["czj-b"]["个人考核组"] == "机关工作人员·县财政局"
    assert body["edu"]["个人名次"] == 1 and body["head"]["个人名次"] == 2


def test_a_person_cannot_be_rated_on_a_unit_measure(tmp_path: Path) -> None:
    bad = definition(tmp_path, ASSESSMENT + PEOPLE_SECTION.replace(
        "ratio: [closed, items_found]", "ratio: [filings_on_time, filings_due]"))
    result = Cli(tmp_path / "x.db").invoke("validate", str(bad), db=False)
    assert result.exit_code == 1
    assert "error[unit-measure]" in result.output and "filings_on_time" in result.output


def test_people_ranked_on_postgresql(pg_db_url: str, tmp_path: Path) -> None:
    c = populate(Cli(pg_db_url), [*PEOPLE, *STAFF])  # type: ignore[arg-type]
    c.ok("campaign", "start", str(definition(tmp_path, ASSESSMENT + PEOPLE_SECTION)), "--start",
         START, "--actor", "lead")
    test_people_are_ranked_in_their_peer_groups_with_ties(c)
    # an undo, the bottom rule and the notice, on the same server
    c.ok("assess", "score", CAMPAIGN, "service", "czj-d", "99", "--people", "--period",
         "2015-Q3", "--actor", "lead", "--as-of", "2015-10-01")
    assert ranked(c, "2015-Q3", "--as-of", "2015-10-01")["czj-d"]["rank"] == 1
    c.ok("assess", "undo", CAMPAIGN, "--note", "wrong row", "--actor", "lead", "--as-of",
         "2015-10-02")
    assert ranked(c, "2015-Q3", "--as-of", "2015-10-02")["czj-d"]["rank"] == 4
    assert ranked(c, "2015-Q3", "--as-of", "2015-10-01")["czj-d"]["rank"] == 1
    c.ok("assess", "confirm", CAMPAIGN, "czj-d", "--people", "--period", "2015-Q3", "--actor",
         "lead", "--as-of", "2015-10-03")
    notices = json.loads(c.ok("notices", CAMPAIGN, "--kind", "assessment", "--json",
                              "--as-of", "2015-10-03"))
    assert [(n["to"], n["code"], n["level"]) for n in notices] == [("县财政局", "2015-Q3", "warning")]


def test_the_month_report_lists_the_notices_of_confirmed_proposals(cli: Cli,
                                                                   tmp_path: Path) -> None:
    service(cli, "2015-Q3", "2015-09-30", {"czj-a": 90, "czj-b": 80, "czj-c": 85, "czj-d": 60})
    cli.ok("assess", "confirm", CAMPAIGN, "czj-d", "--people", "--period", "2015-Q3",
           "--actor", "lead", "--as-of", "2015-10-09")
    md = tmp_path / "十月.md"
    cli.ok("report", CAMPAIGN, "--month", "2015-10", "-o", str(md), "--as-of", "2015-10-31")
    text = md.read_text(encoding="utf-8")
    assert "### 本月末位处理通知（1 份）" in text
    # the people's results of the quarter the report's day falls in (2015-Q4: none scored yet)
    assert "### 干部履职评议（2015-Q4）" in text and "| — | 张三（县财政局） |" in text
    sept_md = tmp_path / "九月末.md"
    cli.ok("report", CAMPAIGN, "--month", "2015-09", "-o", str(sept_md), "--as-of", "2015-09-30")
    q3 = sept_md.read_text(encoding="utf-8")
    assert "#### 机关工作人员·县财政局" in q3 and "| 4 | 赵六（县财政局） |" in q3
    page = tmp_path / "看板.html"
    cli.ok("dashboard", CAMPAIGN, "-o", str(page), "--as-of", "2015-09-30")
    board = page.read_text(encoding="utf-8")
    assert "人员考核结果 · 2015-Q3" in board and "赵六（县财政局）" in board
    assert "| 2015-10-09 | 2015-Q3 | 县财政局 | 考核末位：警示 |" in text
    assert "赵六" not in text.split("本月末位处理通知")[1]  # a notice never names the person
    html = tmp_path / "十月.html"
    cli.ok("report", CAMPAIGN, "--month", "2015-10", "-o", str(html), "--as-of", "2015-10-31")
    assert "本月末位处理通知" in html.read_text(encoding="utf-8")
    # the month before had none
    sept = tmp_path / "九月.md"
    cli.ok("report", CAMPAIGN, "--month", "2015-09", "-o", str(sept), "--as-of", "2015-09-30")
    assert "末位处理通知" not in sept.read_text(encoding="utf-8")


def test_the_notice_is_queued_for_the_units_listeners_without_the_name(
        cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site.yaml"
    site.write_text("""\
notifications:
  smtp: {host: 127.0.0.1, port: 2525, sender: "县委督查室 <ducha@county.example>"}
  units:
    czj: {email: [czj@county.example]}
  send:
    - {rule: "assessment.*", to: [unit]}
""", encoding="utf-8")
    monkeypatch.setenv("RECTIFY_SITE_CONFIG", str(site))
    service(cli, "2015-Q3", "2015-09-30", {"czj-a": 90, "czj-b": 80, "czj-c": 85, "czj-d": 60})
    cli.ok("assess", "confirm", CAMPAIGN, "czj-d", "--people", "--period", "2015-Q3",
           "--actor", "lead", "--as-of", "2015-10-09")
    with sqlite3.connect(cli.db) as conn:
        queued = conn.execute("SELECT channel, recipient, subject, body FROM outbox").fetchall()
    assert [(c, r, s) for c, r, s, _b in queued] == [
        ("email", "czj@county.example", "【考核末位警示】县财政局")]
    body = queued[0][3]
    assert "2015-Q3" in body and "予以警示" in body and "赵六" not in body and "czj-d" not in body


def test_names_are_left_out_where_the_person_is_kept_confidential(tmp_path: Path) -> None:
    from test_cli_common import WGBW

    text = WGBW.read_text(encoding="utf-8").replace(
        "confidential: [reporter, reporter_contact]",
        "confidential: [reporter, reporter_contact, person]")
    assert "reporter_contact, person]" in text
    path = tmp_path / "wgbw-secret.yaml"
    path.write_text(text + "\n" + ASSESSMENT + PEOPLE_SECTION, encoding="utf-8")
    c = populate(Cli(tmp_path / "s.db"), [*PEOPLE, *STAFF])
    c.ok("campaign", "start", str(path), "--start", START, "--actor", "lead")
    service(c, "2015-Q3", "2015-09-30", {"czj-a": 90, "czj-b": 80})
    public = ranked(c, "2015-Q3", "--as-of", "2015-09-30")
    assert "name" not in public["czj-a"] and public["czj-a"]["person"] == "czj-a"
    assert "张三" not in c.ok("assess", "rank", CAMPAIGN, "--people", "--period", "2015-Q3",
                             "--as-of", "2015-09-30")
    entitled = ranked(c, "2015-Q3", "--as-of", "2015-09-30", "--actor", "lead")
    assert entitled["czj-a"]["name"] == "张三"
    with sqlite3.connect(c.db) as conn:
        reads = [json.loads(p) for (p,) in conn.execute(
            "SELECT payload FROM events WHERE trigger = 'read'")]
    assert [(p["output"], p["fields"]) for p in reads] == [("assessment", ["person"])]


def test_peer_groups_put_each_serving_person_in_one_group_at_most() -> None:
    """Invariant: whatever the people and groups, a person is ranked in one group at most, the
    first whose filters all take them; a group split per unit holds that unit's people alone,
    and nobody who had left before the period is ranked."""
    import datetime as dt

    from hypothesis import given, settings, strategies as st

    from campaigns.assessment_people import Group, peer_groups
    from campaigns.names import PersonAt
    from campaigns.units import UnitRow, UnitTree

    units = [UnitRow(1, "county", "某县", "county", None, "county", 0),
             UnitRow(2, "t1", "城关镇", "township", 1, "county/t1", 1),
             UnitRow(3, "t2", "新华镇", "township", 1, "county/t2", 1),
             UnitRow(4, "d1", "县财政局", "department", 1, "county/d1", 1)]
    tree = UnitTree(units)
    first = dt.date(2015, 7, 1)
    person = st.builds(
        lambda i, unit, roles, post, active, left: PersonAt(
            i, f"p{i}", f"人{i}", unit, post, tuple(roles), active,
            None if active else dt.date(2015, 6, 1) + dt.timedelta(days=left)),
        st.integers(1, 10_000), st.sampled_from([1, 2, 3, 4, None]),
        st.lists(st.sampled_from(["head", "staff"]), max_size=2, unique=True),
        st.sampled_from([None, "镇长", "股长"]), st.booleans(), st.integers(0, 60))
    group = st.builds(
        lambda i, kinds, roles, posts, per: Group(f"g{i}", f"组{i}", frozenset(kinds),
                                                  frozenset(roles), frozenset(posts), per),
        st.integers(0, 3), st.lists(st.sampled_from(["township", "department"]), max_size=2),
        st.lists(st.sampled_from(["head", "staff"]), max_size=1),
        st.lists(st.sampled_from(["镇长", "股长"]), max_size=1),
        st.sampled_from([None, "unit", "post"]))

    @settings(max_examples=200, deadline=None)
    @given(st.lists(person, max_size=30, unique_by=lambda p: p.id),
           st.lists(group, min_size=1, max_size=3, unique_by=lambda g: g.key))
    def check(people: list[PersonAt], groups: list[Group]) -> None:
        out = peer_groups(groups, {p.id: p for p in people}, tree, first)
        seen = [p.id for _g, members in out for p in members]
        assert len(seen) == len(set(seen))
        for g, members in out:
            base = next(x for x in groups if g.key.split(":")[0] == x.key)
            for p in members:
                assert p.unit_id is not None and (p.active or (p.left_on or first) >= first)
                unit = tree.by_id[p.unit_id]
                assert not base.kinds or unit.kind in base.kinds
                assert not base.roles or set(p.roles) & base.roles
                earlier = groups[:groups.index(base)]
                assert not any((not e.kinds or unit.kind in e.kinds)
                               and (not e.roles or set(p.roles) & e.roles)
                               and (not e.posts or (p.title or "") in e.posts) for e in earlier)
            if base.per == "unit":
                assert len({p.unit_id for p in members}) == 1
            if base.per == "post":
                assert len({p.title or "" for p in members}) == 1

    check()
