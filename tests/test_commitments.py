"""The commitments register (公开承诺) through the CLI on zuofeng-2009 (seed 002): recorded by the
office, published (晒承诺), tracked on the definition's schedules with late and missing check-ins
visible, reviewed (兑现), imported from CSV and XLSX with located errors, and shown on a public
board that carries no note and no key.  A hypothesis run checks that the register's rows are a
replay of its events."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st
from test_cli_common import Cli, copy_db, dump, populate

ROOT = Path(__file__).resolve().parent.parent
ZUOFENG = ROOT / "definitions" / "zuofeng-2009.yaml"
CAMPAIGN = "zuofeng-2009"
PEOPLE = [
    ("off", "周主任", "zzb", ["campaign-office"]),
    ("head", "李局长", "czj", ["unit-head"]),
    ("clerk", "张科员", "czj-bgs", []),
    ("edu", "孙局长", "jyj", ["unit-head"]),
    ("jw-zhao", "赵纪检", "jw", ["discipline-inspection"]),
]
NOTE = "内部备注：资金缺口待协调"  # a note that must never reach the public board
_templates: dict[Path, Path] = {}


def template(factory: pytest.TempPathFactory) -> Path:
    key = factory.getbasetemp()
    if key not in _templates:
        path = factory.mktemp("commitments") / "seed.db"
        c = populate(Cli(path), PEOPLE)
        c.ok("campaign", "start", str(ZUOFENG), "--start", "2009-02-01", "--actor", "off")
        _templates[key] = path
    return _templates[key]


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    db = tmp_path / "rectify.db"
    copy_db(template(tmp_path_factory), db)
    return Cli(db)


def added(cli: Cli, *args: str, as_of: str = "2009-03-20") -> int:
    out = cli.ok("commitment", "add", CAMPAIGN, *args, "--actor", "off", "--as-of", as_of)
    return int(out.split()[1])


def listed(cli: Cli, day: str) -> dict[str, Any]:
    return dict(json.loads(cli.ok("commitment", "list", CAMPAIGN, "--json", "--as-of", day)))


def test_publish_track_review_and_the_views(cli: Cli, tmp_path: Path) -> None:
    first = added(cli, "--from", "pairing-aid", "--unit", "czj", "--person", "head")
    second = added(cli, "--title", "年内完成国库集中支付改革", "--kind", "动态任务", "--unit", "jyj",
                   "--start", "2009-04-01", "--due", "2009-04-30")
    assert (first, second) == (1, 2)
    assert listed(cli, "2009-03-20")["counts"]["published"] == 0
    # a unit head is no office: it may not record nor publish
    before = dump(cli.db)
    err = cli.fails(1, "commitment", "add", CAMPAIGN, "--from", "pairing-aid", "--unit", "czj",
                    "--actor", "head", "--as-of", "2009-03-21")
    assert "holds no role of side office" in err
    cli.fails(1, "commitment", "publish", CAMPAIGN, "--actor", "head", "--as-of", "2009-03-21")
    assert dump(cli.db) == before
    # 3月下旬: published on 25 March, before the due date 31 March
    assert cli.ok("commitment", "publish", CAMPAIGN, "--actor", "off",
                  "--as-of", "2009-03-25").strip() == "2 commitment(s) published"
    # tracked by the unit's own people (a person of a unit below counts), on time and late
    assert "(on time)" in cli.ok("commitment", "track", "1", "--check", "weekly", "--note", NOTE,
                                 "--actor", "clerk", "--as-of", "2009-04-03")
    # another unit's head may not track it; the same check-in is recorded once
    before = dump(cli.db)
    assert "neither of unit 'czj'" in cli.fails(1, "commitment", "track", "1", "--check", "weekly",
                                                "--actor", "edu", "--as-of", "2009-04-03")
    assert "was recorded on 2009-04-03" in cli.fails(
        1, "commitment", "track", "1", "--check", "weekly", "--period", "2009-W14",
        "--actor", "head", "--as-of", "2009-04-03")
    assert "met by the commitment's review" in cli.fails(
        1, "commitment", "track", "1", "--check", "yearly", "--actor", "head",
        "--as-of", "2009-04-03")
    assert "owes no 'weekly' check-in for 2009-W20" in cli.fails(
        1, "commitment", "track", "1", "--check", "weekly", "--period", "2009-W20",
        "--actor", "head", "--as-of", "2009-04-03")
    assert dump(cli.db) == before
    assert "monthly 2009-04 recorded (late)" in cli.ok(
        "commitment", "track", "1", "--check", "monthly", "--period", "2009-04",
        "--actor", "head", "--as-of", "2009-05-04")
    # partly or broken only from the completion date; fulfilled at any time
    assert "from that day" in cli.fails(1, "commitment", "review", "1", "--outcome", "broken",
                                        "--note", "未完成", "--actor", "off", "--as-of", "2009-05-04")
    assert "note" in cli.fails(1, "commitment", "review", "2", "--outcome", "partly",
                               "--actor", "off", "--as-of", "2009-05-04")
    assert "in_progress → partly" in cli.ok("commitment", "review", "2", "--outcome", "partly",
                                            "--note", "尚有两个乡镇未完成", "--actor", "off",
                                            "--as-of", "2009-05-04")
    now = listed(cli, "2009-05-04")
    rows = {r["id"]: r for r in now["commitments"]}
    assert rows[1]["state"] == "推进中" and rows[2]["state"] == "部分兑现"
    assert (rows[1]["person"], rows[1]["unit"], rows[2]["kind"]) == ("李局长", "县财政局", "动态任务")
    # commitment 1 by 4 May: April's 21 working days (清明 6 April off) tracked daily, none
    # recorded; the Fridays 10, 17 and 24 April missed (3 April on time, and 1 May is 劳动节:
    # due on 4 May, still pending); April's month end recorded late
    assert (rows[1]["on_time"], rows[1]["late"], rows[1]["missing"]) == (1, 1, 21 + 3)
    # pending: 4 May itself, the week of 1 May (due 4 May) and the week begun on 4 May, May, Q2,
    # and the year's review
    assert rows[1]["pending"] == 6
    assert now["counts"]["by_state"] == {"推进中": 1, "部分兑现": 1}
    assert now["counts"]["published_late"] == 0
    # the past is a replay: before the review, both were in progress
    assert listed(cli, "2009-05-01")["counts"]["by_state"] == {"推进中": 2}
    late = json.loads(cli.ok("commitment", "list", CAMPAIGN, "--checkins", "--status", "late",
                             "--json", "--as-of", "2009-05-04"))
    assert [(r["id"], r["period"], r["due"]) for r in late] == [(1, "2009-04", "2009-04-30")]
    shown = json.loads(cli.ok("commitment", "show", "1", "--json", "--as-of", "2009-05-04"))
    assert [h["trigger"] for h in shown["history"]] == ["add", "publish-commitment", "track",
                                                        "track"]
    assert shown["publication"] == "on time"
    # the registers in campaign status and the report
    status = json.loads(cli.ok("campaign", "status", CAMPAIGN, "--json", "--as-of", "2009-05-04"))
    assert status["commitments"]["commitments"] == 2
    assert "commitments: 2, 2 published" in cli.ok("campaign", "status", CAMPAIGN,
                                                   "--as-of", "2009-05-04")
    report = tmp_path / "r.md"
    cli.ok("report", CAMPAIGN, "--month", "2009-04", "-o", str(report), "--as-of", "2009-05-04")
    assert "## 十一、公开承诺（2 项）" in report.read_text(encoding="utf-8")
    # the board: published commitments, names of those responsible, never a note or a key
    board = tmp_path / "b.html"
    assert "2 commitment(s) shown" in cli.ok("commitment", "board", CAMPAIGN, "-o", str(board),
                                             "--as-of", "2009-05-04")
    text = board.read_text(encoding="utf-8")
    assert "公开承诺公示" in text and "李局长" in text and "部分兑现" in text
    assert NOTE not in text and "尚有两个乡镇未完成" not in text and ">head<" not in text
    cli.fails(2, "commitment", "board", CAMPAIGN, "-o", str(tmp_path / "b.pdf"))


def test_the_events_name_keys_and_codes(cli: Cli) -> None:
    added(cli, "--from", "open-reception", "--unit", "czj", "--person", "head")
    cli.ok("commitment", "publish", CAMPAIGN, "1", "--actor", "off", "--as-of", "2009-03-31")
    with sqlite3.connect(cli.db) as conn:
        rows = conn.execute("SELECT trigger, to_state, payload FROM events WHERE machine = "
                            "'commitment' ORDER BY seq").fetchall()
    assert [(t, s) for t, s, _p in rows] == [("add", "drafted"),
                                             ("publish-commitment", "in_progress")]
    body = json.loads(rows[0][2])
    assert (body["unit"], body["person"], body["key"]) == ("czj", "head", "open-reception")
    assert "李局长" not in rows[0][2]
    assert "zuofeng-2009: ok" in cli.ok("audit", "verify", CAMPAIGN)


def test_the_definitions_own_commitments_and_institutions(cli: Cli) -> None:
    err = cli.fails(1, "commitment", "add", CAMPAIGN, "--from", "no-such", "--unit", "czj",
                    "--actor", "off", "--as-of", "2009-03-20")
    assert "lists no commitment 'no-such'" in err and "key-projects" in err
    cli.fails(2, "commitment", "add", CAMPAIGN, "--from", "key-projects", "--title", "x",
              "--actor", "off", "--as-of", "2009-03-20")
    assert "before the start" in cli.fails(
        1, "commitment", "add", CAMPAIGN, "--title", "x", "--unit", "czj", "--start", "2009-05-01",
        "--due", "2009-04-01", "--actor", "off", "--as-of", "2009-03-20")
    # a person's own commitment (个人承诺) is of the person's unit
    mine = added(cli, "--title", "办件提速一半", "--person", "edu", "--start", "2009-04-01",
                 "--due", "2009-06-30")
    assert listed(cli, "2009-03-20")["commitments"][mine - 1]["unit"] == "县教育局"
    cli.fails(2, "commitment", "add", CAMPAIGN, "--title", "x", "--actor", "off",
              "--as-of", "2009-03-20")
    # 六个方面制度: recorded from the definition's register, the rest still listed
    out = cli.ok("mechanism", "add", CAMPAIGN, "--from", "efficiency", "--actor", "off",
                 "--as-of", "2009-11-16")
    assert out.strip() == "mechanism 1 recorded (drafted)"
    mech = json.loads(cli.ok("mechanism", "list", CAMPAIGN, "--json", "--as-of", "2009-11-16"))
    assert mech["mechanisms"][0]["title"] == "机关效能提升制度"
    assert mech["mechanisms"][0]["categories"] == "效率低下、标准不高、吃、拿、卡、要"
    assert mech["register_not_recorded"] == ["学习教育制度", "联系和服务群众制度", "目标管理制度",
                                             "激励约束制度", "督导检查制度"]


def test_import_csv_and_xlsx_with_located_errors(cli: Cli, tmp_path: Path) -> None:
    from openpyxl import Workbook

    good = tmp_path / "c.csv"
    good.write_text("承诺事项,类别,责任单位,责任人,开始时间,完成时限\n"
                    "年内完成国库集中支付改革,固定任务,czj,head,2009-04-01,2009-12-31\n"
                    "办事指南一次性告知,dynamic,县教育局,,2009/4/1,2009年6月30日\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("承诺事项,类别,责任单位,责任人,开始时间,完成时限\n"
                   "甲,固定任务,czj,nobody-here,2009-04-01,2009-12-31\n"
                   ",固定任务,czj,,2009-04-01,2009-12-31\n"
                   "乙,临时任务,czj,,2009-04-01,2009-12-31\n"
                   "丙,固定任务,no-unit,,2009-04-01,2009-12-31\n"
                   "丁,固定任务,czj,,2009-04-01,2009-02-30\n"
                   "戊,临时任务,no-unit,nobody-here,2009-05-01,2009-04-01\n", encoding="utf-8")
    before = dump(cli.db)
    err = cli.fails(1, "commitment", "import", CAMPAIGN, str(bad), "--actor", "off",
                    "--as-of", "2009-03-20")
    assert "9 problem(s)" in err and "nothing was imported" in err
    # grouped by what is wrong: one line a fix, with the rows it affects
    assert "9 problem(s) (6 distinct)" in err
    assert "column D (责任人): unknown person 'nobody-here': rows 2, 7 (2)" in err
    assert "row 3 column A (承诺事项): empty — give the commitment's title" in err
    assert "column B (类别): unknown commitment kind '临时任务': rows 4, 7 (2)" in err
    assert "column C (责任单位): unknown unit 'no-unit': rows 5, 7 (2)" in err
    assert "row 6 column F (完成时限): 完成时限 '2009-02-30' is not a real date" in err
    assert "row 7 column F (完成时限): the completion date 2009-04-01 is before" in err
    # the same file in Chinese: every line, its location and its hint
    refused = cli.invoke("commitment", "import", CAMPAIGN, str(bad), "--actor", "off",
                         "--as-of", "2009-03-20", "--lang", "zh_CN")
    assert refused.exit_code == 1 and not refused.stdout
    zh = refused.stderr
    assert zh.startswith("错误：") and "9 处问题（6 类）" in zh and "未导入任何内容" in zh
    assert "D 列 (责任人): 未知人员“nobody-here”: 第 2, 7 行（共 2 处）" in zh
    assert "第 3 行 A 列 (承诺事项): 空 — 请填写承诺事项名称" in zh
    assert "未知的承诺类别“临时任务”" in zh and "类别：fixed (固定任务)" in zh
    assert "第 7 行 F 列 (完成时限): 完成时限 2009-04-01 早于开始时间 2009-05-01" in zh
    assert "提示：请修改这些行后重新导入" in zh
    assert not [line for line in zh.splitlines()
                if any(w in line for w in ("unknown", "empty", "give ", "before the start"))]
    assert dump(cli.db) == before
    assert "2 commitment(s) recorded" in cli.ok("commitment", "import", CAMPAIGN, str(good),
                                                "--actor", "off", "--as-of", "2009-03-20")
    book = Workbook()
    ws = book.active
    ws.append(["责任单位", "承诺事项", "开工时间", "竣工时间"])
    ws.append(["czj", "重点项目甲", dt.date(2009, 4, 1), dt.date(2009, 10, 31)])
    ws.append(["czj", "重点项目乙", dt.date(2009, 4, 1), "not a date"])
    path = tmp_path / "c.xlsx"
    book.save(path)
    err = cli.fails(1, "commitment", "import", CAMPAIGN, str(path), "--actor", "off",
                    "--as-of", "2009-03-20")
    assert "row 3 column D (竣工时间)" in err and "1 problem(s)" in err
    ws.delete_rows(3)
    book.save(path)
    assert "1 commitment(s) recorded" in cli.ok("commitment", "import", CAMPAIGN, str(path),
                                                "--actor", "off", "--as-of", "2009-03-20")
    rows = listed(cli, "2009-03-20")["commitments"]
    assert [(r["title"], r["unit"], r["start_on"], r["due_on"]) for r in rows] == [
        ("年内完成国库集中支付改革", "县财政局", "2009-04-01", "2009-12-31"),
        ("办事指南一次性告知", "县教育局", "2009-04-01", "2009-06-30"),
        ("重点项目甲", "县财政局", "2009-04-01", "2009-10-31")]
    noheader = tmp_path / "h.csv"
    noheader.write_text("名称,单位\n甲,czj\n", encoding="utf-8")
    assert "no column for" in cli.fails(1, "commitment", "import", CAMPAIGN, str(noheader),
                                        "--actor", "off", "--as-of", "2009-03-20")


def test_a_campaign_without_the_register_says_so(tmp_path: Path,
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    from test_cli_common import CAMPAIGN as WGBW_KEY, seeded

    other = seeded(tmp_path, tmp_path_factory)
    err = other.fails(1, "commitment", "list", WGBW_KEY)
    assert "keeps no commitments register" in err


# --- the register's rows are a replay of its events -------------------------------------------

OPS = st.lists(st.tuples(
    st.sampled_from(["add", "publish", "track", "review"]),
    st.integers(min_value=1, max_value=2),  # which commitment
    st.sampled_from(["daily", "weekly", "monthly", "quarterly"]),
    st.sampled_from(["fulfilled", "partly", "broken"]),
    st.integers(min_value=0, max_value=30)), min_size=4, max_size=16)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_rows_are_a_replay_of_the_events(tmp_path_factory: pytest.TempPathFactory,
                                         ops: list[tuple[str, int, str, str, int]]) -> None:
    from sqlalchemy import select

    from campaigns.commitments import (
        commitments_at,
        load,
        prepare,
        publish,
        record,
        review,
        track,
    )
    from campaigns.context import Scope
    from campaigns.db import Database
    from campaigns.people import resolve_actor
    from campaigns.runs import load_run
    from campaigns.tables import COMMITMENT_CHECKINS as CK, COMMITMENTS as C
    from engine.core.errors import EngineError

    db = tmp_path_factory.mktemp("replay") / "r.db"
    copy_db(template(tmp_path_factory), db)
    store = Database(str(db))
    day = dt.date(2009, 3, 20)
    try:
        for op, which, check, outcome, days in ops:
            day += dt.timedelta(days=days)
            try:
                with store.write() as conn:
                    run = load_run(conn, CAMPAIGN)
                    who = "head" if op == "track" else "off"
                    scope = Scope(conn, run, resolve_actor(conn, who, set(run.definition.roles)),
                                  day)
                    if op == "add":
                        record(scope, [prepare(scope, f"承诺{which}", None, "czj", None,
                                               dt.date(2009, 4, 1),
                                               dt.date(2009, 4 + which, 28))])
                    elif op == "publish":
                        publish(scope, [which], None)
                    elif op == "track":
                        load(conn, which)
                        track(scope, which, check, None, None)
                    else:
                        load(conn, which)
                        review(scope, which, outcome, "复核")
                event(f"{op} recorded")
            except EngineError:
                pass  # refused: nothing written, as for a user
        with store.read() as conn:
            run = load_run(conn, CAMPAIGN)
            replayed = commitments_at(conn, run, dt.date(2010, 12, 31))
            stored = conn.execute(select(C.c.id, C.c.state, C.c.published_on, C.c.reviewed_on,
                                         C.c.title, C.c.due_on).order_by(C.c.id)).all()
            checkins = {(r.commitment_id, r.check, r.period): r.recorded_on
                        for r in conn.execute(select(CK))}
        assert [(c.id, c.state, c.fields.get("published_on"), c.fields.get("reviewed_on"),
                 c.title, c.due_on) for c in replayed] == [tuple(r) for r in stored]
        assert {(c.id, k, p): d for c in replayed for (k, p), d in c.checkins.items()} == checkins
    finally:
        store.engine.dispose()


def test_the_register_on_postgresql(pg_db_url: str) -> None:
    """The same commands on a PostgreSQL server: the bulk publication, check-ins (a column
    named like a keyword), the review, the replayed view and the chain."""
    c = Cli(pg_db_url)  # type: ignore[arg-type]
    populate(c, PEOPLE)
    c.ok("campaign", "start", str(ZUOFENG), "--start", "2009-02-01", "--actor", "off")
    for key in ("pairing-aid", "conduct-assessment"):
        added(c, "--from", key, "--unit", "czj", "--person", "head")
    assert "2 commitment(s) published" in c.ok("commitment", "publish", CAMPAIGN, "--actor", "off",
                                               "--as-of", "2009-03-31")
    c.ok("commitment", "track", "1", "--check", "monthly", "--period", "2009-04", "--actor", "head",
         "--as-of", "2009-04-30")
    c.fails(1, "commitment", "track", "1", "--check", "monthly", "--period", "2009-04",
            "--actor", "head", "--as-of", "2009-04-30")
    c.ok("commitment", "review", "1", "--outcome", "fulfilled", "--actor", "off",
         "--as-of", "2009-07-31")
    now = listed(c, "2009-07-31")
    assert now["counts"]["by_state"] == {"推进中": 1, "已兑现": 1}
    # April's dispatch, and the year's review (一年一兑现) met on 31 July
    assert [r["on_time"] for r in now["commitments"]] == [2, 0]
    assert "zuofeng-2009: ok" in c.ok("audit", "verify", CAMPAIGN)


def test_validate_locates_the_sections_problems(tmp_path: Path) -> None:
    text = ZUOFENG.read_text(encoding="utf-8")
    broken = (text.replace("schedule: 每周五", "schedule: 每周八")
              .replace("{key: quarterly, title: 一季一总结, schedule: 每季度末}",
                       "{key: quarterly, title: 一季一总结, schedule: 每季度末, review: true}")
              .replace("      start: 2009-07-11\n      due: 2009-07-31",
                       "      start: 2009-07-11\n      due: 2009-07-01")
              .replace("      kind: dynamic\n      start: 2009-08-01", "      kind: temporary\n"
                       "      start: 2009-08-01", 1)
              .replace("publish-commitment, fulfil, fulfil-partly, break, ", "")
              .replace("categories: [poor-execution]", "categories: [no-such-category]"))
    path = tmp_path / "zuofeng.yaml"
    path.write_text(broken, encoding="utf-8")
    lines = text.splitlines()
    result = Cli(tmp_path / "unused.db").invoke("validate", str(path), db=False)
    out = result.output
    assert result.exit_code == 1 and "Traceback" not in out
    weekly = next(n for n, line in enumerate(lines, 1) if "schedule: 每周五" in line)
    assert f"zuofeng.yaml:{weekly}:" in out and "'每周八' is not a schedule" in out
    for code in ("two-reviews", "due-before-start", "unknown-kind", "no-role-fires",
                 "unknown-category"):
        assert f"error[{code}]" in out, code
