"""The registers end to end through the CLI: accountability cases (问责) counted as offices
report them (seed 003: 8 cases, 9 person-times), names kept from viewers the definition does
not publish them to, and long-term mechanisms (长效机制) that 建章立制 waits for."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from test_cli_common import CAMPAIGN, WGBW, Cli, dump, seeded

# eight people held accountable, with names that appear nowhere else
SANCTIONED = {f"acc-{n}": f"问责对象{ch}" for n, ch in enumerate("甲乙丙丁戊己庚辛", start=1)}


def xlsx_text(path: Path) -> str:
    """Every cell's value of every sheet (the file's XML holds CJK as character references)."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    return "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows()
                     for c in row if c.value is not None)


def read_events(db: Path, machine: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT trigger, actor, coalesce(payload, '') FROM events "
                            "WHERE machine = ? ORDER BY seq", (machine,)).fetchall()


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


@pytest.fixture
def cases(cli: Cli) -> tuple[Cli, list[str]]:
    """Eight cases holding nine person-times of eight people, one withdrawn case besides; the
    first item climbed the ladder to its accountability rung before its case."""
    for key, name in SANCTIONED.items():
        cli.ok("person", "add", "--actor", "admin", key, "--name", name, "--unit", "czj")
    escalated = cli.planned(title="逾期未整改")  # deadline 2015-09-30
    codes = [escalated, *(cli.confirmed(title=f"问题{n}") for n in range(7))]
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-12-04")
    assert ",accountability,问责," in cli.ok("notices", CAMPAIGN, "--csv", "--as-of", "2015-12-04")
    keys = list(SANCTIONED)
    outcomes = ["talk", "talk", "admonish", "circulate", "circulate", "organizational",
                "disciplinary", "admonish"]
    for n, (code, outcome) in enumerate(zip(codes, outcomes, strict=True)):
        people = [keys[n]] + ([keys[0]] if n == 7 else [])  # acc-1 held accountable twice
        out = cli.ok("accountability", "add", CAMPAIGN, "--item", code,
                     *[a for p in people for a in ("--person", p)],
                     *(["--unit", "czj"] if n == 0 else []), "--outcome", outcome,
                     "--note", "按问责办法处理", "--actor", "lead", "--as-of", "2015-12-04")
        assert out.strip() == f"accountability case {n + 1} recorded"
    cli.ok("accountability", "add", CAMPAIGN, "--item", codes[1], "--person", keys[1],
           "--outcome", "talk", "--actor", "lead", "--as-of", "2015-12-07")
    cli.ok("accountability", "withdraw", "9", "--reason", "重复登记", "--actor", "lead",
           "--as-of", "2015-12-08")
    return cli, codes


def test_cases_are_counted_as_offices_report_them(cases: tuple[Cli, list[str]],
                                                  tmp_path: Path) -> None:
    cli, codes = cases
    listed = json.loads(cli.ok("accountability", "list", CAMPAIGN, "--json", "--actor", "lead",
                               "--as-of", "2015-12-31"))
    assert listed["counts"] == {"cases": 8, "people": 8, "person_times": 9, "units": 1,
                                "unit_times": 1, "withdrawn": 1,
                                "by_outcome": {"谈话提醒": 2, "诫勉": 2, "通报批评": 2, "组织处理": 1,
                                               "纪律处分": 1}}
    first, *_rest, withdrawn = listed["cases"]
    assert (first["items"], first["notices"], first["units"]) == (codes[0], 1, "县财政局")
    assert withdrawn["status"] == "withdrawn 2015-12-08"
    status = json.loads(cli.ok("campaign", "status", CAMPAIGN, "--json", "--as-of", "2015-12-31"))
    assert (status["accountability"]["cases"], status["accountability"]["person_times"]) == (8, 9)
    assert "accountability: 8 case(s), 8 person(s), 9 person-time(s), 1 unit(s)" in cli.ok(
        "campaign", "status", CAMPAIGN, "--as-of", "2015-12-31")
    report = tmp_path / "r.md"
    cli.ok("report", CAMPAIGN, "--month", "2015-12", "-o", str(report), "--as-of", "2015-12-31")
    text = report.read_text(encoding="utf-8")
    assert "## 九、问责情况（8 起，9 人次）" in text
    assert "累计问责 8 起，涉及 8 人、9 人次，单位 1 个" in text
    # the register as it stood before the withdrawal, replayed from the log
    before = json.loads(cli.ok("accountability", "list", CAMPAIGN, "--json",
                               "--as-of", "2015-12-07"))
    assert (before["counts"]["cases"], before["counts"]["person_times"]) == (9, 10)
    # a case in the log names people by key and units by code, never by name
    recorded = read_events(cli.db, "accountability")
    assert [t for t, _a, _p in recorded] == ["record"] * 9 + ["withdraw"]
    assert not any(name in payload for _t, _a, payload in recorded
                   for name in SANCTIONED.values())
    assert "wgbw-2015: ok" in cli.ok("audit", "verify", CAMPAIGN)


def test_confidential_names_only_for_an_entitled_viewer(cases: tuple[Cli, list[str]],
                                                        tmp_path: Path) -> None:
    cli, _codes = cases
    names = list(SANCTIONED.values())
    day = ["--as-of", "2015-12-31"]
    views = {"list": ["accountability", "list", CAMPAIGN],
             "list json": ["accountability", "list", CAMPAIGN, "--json"],
             "list csv": ["accountability", "list", CAMPAIGN, "--csv"],
             "status": ["campaign", "status", CAMPAIGN, "--json"]}
    for viewer in ([], ["--actor", "head"]):  # nobody signed, and a unit head (not entitled)
        for what, args in views.items():
            out = cli.ok(*args, *(viewer if what != "status" else []), *day)
            assert not any(n in out for n in names), (what, viewer)
        for ext in ("md", "html"):
            path = tmp_path / f"r{len(viewer)}.{ext}"
            cli.ok("report", CAMPAIGN, "--month", "2015-12", "-o", str(path), *viewer, *day)
            text = path.read_text(encoding="utf-8")
            assert "问责" in text and not any(n in text for n in names), (ext, viewer)
        for ext in ("csv", "xlsx"):  # the ledger's column 问责情况: person-times, no names
            path = tmp_path / f"l{len(viewer)}.{ext}"
            cli.ok("ledger", CAMPAIGN, "-o", str(path), *viewer, *day)
            text = (path.read_text(encoding="utf-8-sig") if ext == "csv"
                    else xlsx_text(path))
            assert "问责情况" in text, ext
            assert "2015-12-04 谈话提醒（1人次；县财政局）" in text, ext
            assert not any(n in text for n in names), (ext, viewer)
    board = tmp_path / "board.html"
    cli.ok("board", CAMPAIGN, "-o", str(board), *day)
    assert "问责 8 起" in board.read_text(encoding="utf-8")
    assert not any(n in board.read_text(encoding="utf-8") for n in names)
    assert not [e for e in read_events(cli.db, "record") if e[0] == "read"]
    # the office sees them, and that it saw them is in the log
    shown = cli.ok("accountability", "list", CAMPAIGN, "--actor", "lead", *day)
    assert all(n in shown for n in names)
    reads = [json.loads(p) for t, a, p in read_events(cli.db, "record") if t == "read"]
    assert reads[-1]["fields"] == ["sanctioned"] and reads[-1]["items"] == 9
    ledger = tmp_path / "office.csv"
    cli.ok("ledger", CAMPAIGN, "-o", str(ledger), "--actor", "lead", *day)
    assert f"2015-12-04 谈话提醒（{names[0]}；县财政局）" in ledger.read_text(encoding="utf-8-sig")
    reads = [json.loads(p) for t, a, p in read_events(cli.db, "record") if t == "read"]
    assert (reads[-1]["output"], reads[-1]["fields"]) == ("ledger", ["sanctioned"])


def test_published_names_are_on_the_board(cases: tuple[Cli, list[str]], tmp_path: Path) -> None:
    """A definition that publishes (点名道姓曝光) shows names to everyone; the campaign's own
    snapshot of its definition decides, so a second campaign is started from the public one."""
    cli, _codes = cases
    public = tmp_path / "public.yaml"
    public.write_text(WGBW.read_text(encoding="utf-8")
                      .replace("publish: confidential", "publish: public")
                      .replace("key: wgbw-2015", "key: wgbw-public", 1)
                      .replace("code_prefix: WGBW", "code_prefix: WGBP"), encoding="utf-8")
    cli.ok("campaign", "start", str(public), "--start", "2015-07-01", "--actor", "lead")
    code = cli.ok("item", "add", "wgbw-public", "--title", "公开问题", "--unit", "czj",
                  "--category", "no-drive", "--source", "media", "--actor", "sup",
                  "--as-of", "2015-08-03").strip()
    cli.ok("accountability", "add", "wgbw-public", "--item", code, "--person", "acc-3",
           "--outcome", "circulate", "--actor", "lead", "--as-of", "2015-08-04")
    board = tmp_path / "public.html"
    cli.ok("board", "wgbw-public", "-o", str(board), "--as-of", "2015-08-04")
    assert SANCTIONED["acc-3"] in board.read_text(encoding="utf-8")
    assert SANCTIONED["acc-3"] in cli.ok("accountability", "list", "wgbw-public",
                                         "--as-of", "2015-08-04")


def test_only_the_office_records_and_bad_cases_change_nothing(cli: Cli) -> None:
    code = cli.confirmed()
    before = dump(cli.db)
    err = cli.fails(1, "accountability", "add", CAMPAIGN, "--item", code, "--person", "head",
                    "--outcome", "talk", "--actor", "head", "--as-of", "2015-08-04")
    assert "holds no role of side office" in err and "lead-office" in err
    err = cli.fails(1, "accountability", "add", CAMPAIGN, "--item", code, "--person", "head",
                    "--outcome", "warning", "--actor", "lead", "--as-of", "2015-08-04")
    assert "unknown outcome 'warning'" in err and "talk (谈话提醒)" in err
    err = cli.fails(1, "accountability", "add", CAMPAIGN, "--item", code, "--outcome", "talk",
                    "--actor", "lead", "--as-of", "2015-08-04")
    assert "give --person KEY or --unit UNIT" in err
    err = cli.fails(1, "accountability", "add", CAMPAIGN, "--item", code, "--person", "ghost",
                    "--outcome", "talk", "--actor", "lead", "--as-of", "2015-08-04")
    assert "unknown person 'ghost'" in err
    err = cli.fails(1, "accountability", "add", CAMPAIGN, "--item", code, "--person", "head",
                    "--outcome", "talk", "--on", "2015-08-09", "--actor", "lead",
                    "--as-of", "2015-08-04")
    assert "after the business date" in err
    assert "no accountability case 7" in cli.fails(
        1, "accountability", "withdraw", "7", "--reason", "x", "--actor", "lead")
    assert dump(cli.db) == before
    cli.ok("accountability", "add", CAMPAIGN, "--item", code, "--person", "head", "--outcome",
           "talk", "--actor", "lead", "--as-of", "2015-08-04")
    assert "needs a reason" in cli.fails(1, "accountability", "withdraw", "1", "--actor", "lead",
                                         "--as-of", "2015-08-05")
    cli.ok("accountability", "withdraw", "1", "--reason", "撤销", "--actor", "lead",
           "--as-of", "2015-08-05")
    assert "was withdrawn on 2015-08-05" in cli.fails(
        1, "accountability", "withdraw", "1", "--reason", "again", "--actor", "lead",
        "--as-of", "2015-08-05")
    # the same refusals in Chinese, hints too
    zh = {"LANG": "zh_CN.UTF-8"}
    wrong = cli.invoke("accountability", "add", CAMPAIGN, "--item", code, "--person", "head",
                       "--outcome", "warning", "--actor", "lead", "--as-of", "2015-08-05", env=zh)
    assert wrong.exit_code == 1 and wrong.stderr.splitlines() == [
        "错误：未知的结果“warning”",
        f"  提示：整治活动“{CAMPAIGN}”的问责结果：" + wrong.stderr.split("的问责结果：")[1].split("\n")[0]]
    assert "talk (谈话提醒)" in wrong.stderr
    again = cli.invoke("accountability", "withdraw", "1", "--reason", "again", "--actor", "lead",
                       "--as-of", "2015-08-05", env=zh)
    assert again.stderr == "错误：案件 1 已于 2015-08-05 撤销\n  提示：一个案件只能撤销一次\n"
    none = cli.invoke("accountability", "add", CAMPAIGN, "--item", code, "--outcome", "talk",
                      "--actor", "lead", "--as-of", "2015-08-05", env=zh)
    assert none.stderr == ("错误：问责案件须针对人员或单位\n"
                           "  提示：请给出 --person 人员 或 --unit 单位（均可重复）\n")


def _to_institutionalize(cli: Cli) -> None:
    cli.ok("campaign", "advance", CAMPAIGN, "--to", "supervise", "--actor", "lead",
           "--as-of", "2015-08-01")
    cli.ok("campaign", "advance", CAMPAIGN, "--actor", "lead", "--as-of", "2015-12-01")


def test_institutionalize_waits_for_mechanisms_in_force(cli: Cli) -> None:
    _to_institutionalize(cli)
    passive = cli.closed(as_of="2015-12-01", title="上班不在状态")  # passive-attitude
    slow = cli.add_item("窗口推诿", "czj-bgs", "2015-12-01")
    cli.ok("item", "edit", slow, "--category", "buck-passing", "--actor", "sup",
           "--as-of", "2015-12-01")
    cli.ok("item", "advance", "confirm", slow, "--actor", "sup", "--as-of", "2015-12-01")
    cli.ok("item", "rectify", slow, "--measures", "限时办结", "--deadline", "2015-12-20",
           "--actor", "head", "--as-of", "2015-12-01")
    cli.ok("item", "advance", "submit", slow, "--actor", "head", "--as-of", "2015-12-02")
    cli.ok("item", "advance", "verify", slow, "--actor", "sup", "--as-of", "2015-12-03")
    cli.add_item("未核实的举报", "czj-bgs", "2015-12-03")  # unconfirmed: needs no mechanism
    cli.ok("item", "advance", "dismiss", "WGBW-2015-0003", "--note", "不属实", "--actor", "sup",
           "--as-of", "2015-12-03")

    before = dump(cli.db)
    err = cli.fails(1, "campaign", "advance", CAMPAIGN, "--actor", "lead", "--as-of", "2015-12-31")
    assert "2 categor(ies) with confirmed items have no long-term mechanism in force" in err
    assert dump(cli.db) == before
    listed = json.loads(cli.ok("mechanism", "list", CAMPAIGN, "--json", "--as-of", "2015-12-31"))
    assert listed == {"mechanisms": [], "categories_without_mechanism": ["工作态度不积极",
                                                                          "推诿扯皮不主动"],
                      "register_not_recorded": []}
    # in Chinese, the refusal's reason too
    zh = cli.invoke("--lang", "zh_CN", "campaign", "advance", CAMPAIGN, "--actor", "lead",
                    "--as-of", "2015-12-31")
    assert zh.exit_code == 1 and "2 类已核实的问题尚无施行中的长效机制" in zh.output

    # only the office records, and a step needs what the definition asks of it
    assert "holds no role of side office" in cli.fails(
        1, "mechanism", "add", CAMPAIGN, "--title", "考勤规定", "--kind", "rule", "--category",
        "passive-attitude", "--actor", "head", "--as-of", "2015-12-04")
    assert "unknown mechanism kind 'law'" in cli.fails(
        1, "mechanism", "add", CAMPAIGN, "--title", "考勤规定", "--kind", "law", "--category",
        "passive-attitude", "--actor", "lead", "--as-of", "2015-12-04")
    cli.ok("mechanism", "add", CAMPAIGN, "--title", "机关考勤管理规定", "--kind", "rule",
           "--category", "passive-attitude", "--actor", "lead", "--as-of", "2015-12-04")
    cli.ok("mechanism", "add", CAMPAIGN, "--title", "首问负责制度", "--kind", "system",
           "--item", slow, "--actor", "lead", "--as-of", "2015-12-04")
    assert "'enforce' on mechanism 1 refused" in cli.fails(
        1, "mechanism", "advance", "1", "enforce", "--number", "县组发〔2015〕1号", "--on",
        "2015-12-10", "--actor", "lead", "--as-of", "2015-12-05")  # not issued yet
    cli.ok("mechanism", "advance", "1", "issue", "--actor", "lead", "--as-of", "2015-12-07")
    assert "needs its document number and date" in cli.fails(
        1, "mechanism", "advance", "1", "enforce", "--actor", "lead", "--as-of", "2015-12-08")
    assert "--number and --on belong to the step" in cli.fails(
        1, "mechanism", "advance", "2", "issue", "--number", "x", "--actor", "lead",
        "--as-of", "2015-12-08")
    assert "issued → in_force" in cli.ok(
        "mechanism", "advance", "1", "enforce", "--number", "县组发〔2015〕1号", "--on",
        "2015-12-10", "--actor", "lead", "--as-of", "2015-12-10")
    err = cli.fails(1, "campaign", "advance", CAMPAIGN, "--actor", "lead", "--as-of", "2015-12-31")
    assert "1 categor(ies) with confirmed items" in err  # buck-passing: drafted is not in force
    cli.ok("mechanism", "advance", "2", "issue", "--actor", "lead", "--as-of", "2015-12-11")
    cli.ok("mechanism", "advance", "2", "enforce", "--number", "县组发〔2015〕2号", "--on",
           "2015-12-14", "--actor", "lead", "--as-of", "2015-12-14")
    assert "[note_required]" in cli.fails(1, "mechanism", "advance", "2", "review",
                                          "--actor", "lead", "--as-of", "2015-12-20")
    cli.ok("mechanism", "advance", "2", "review", "--note", "运行良好", "--actor", "lead",
           "--as-of", "2015-12-28")
    assert "campaign wgbw-2015 concluded on 2015-12-31" in cli.ok(
        "campaign", "advance", CAMPAIGN, "--actor", "lead", "--as-of", "2015-12-31")
    assert passive

    # the register as it stood on a past day, replayed from the log
    past = json.loads(cli.ok("mechanism", "list", CAMPAIGN, "--json", "--as-of", "2015-12-08"))
    assert [(m["title"], m["state"], m["document_number"]) for m in past["mechanisms"]] == [
        ("机关考勤管理规定", "已印发", ""), ("首问负责制度", "起草中", "")]
    now = json.loads(cli.ok("mechanism", "show", "2", "--json", "--as-of", "2015-12-31"))
    assert (now["state"], now["document_number"], now["in_force_on"], now["reviewed_on"]) == (
        "已评估", "县组发〔2015〕2号", "2015-12-14", "2015-12-28")
    assert [h["trigger"] for h in now["history"]] == ["add", "issue", "enforce", "review"]
    assert [t for t, _a, _p in read_events(cli.db, "mechanism")] == [
        "add", "add", "issue", "enforce", "issue", "enforce", "review"]
    status = json.loads(cli.ok("campaign", "status", CAMPAIGN, "--json", "--as-of", "2015-12-31"))
    assert status["mechanisms"] == {"total": 2, "in_force": 2,
                                    "by_state": {"in_force": 1, "reviewed": 1}}
    assert "wgbw-2015: ok" in cli.ok("audit", "verify", CAMPAIGN)


def test_the_final_report_lists_the_mechanisms(cli: Cli, tmp_path: Path) -> None:
    code = cli.confirmed()
    cli.ok("mechanism", "add", CAMPAIGN, "--title", "限时办结制度", "--kind", "system",
           "--category", "passive-attitude", "--item", code, "--actor", "lead",
           "--as-of", "2015-08-04")
    cli.ok("mechanism", "advance", "1", "issue", "--actor", "lead", "--as-of", "2015-08-05")
    cli.ok("mechanism", "advance", "1", "enforce", "--number", "县组发〔2015〕3号", "--on",
           "2015-08-06", "--actor", "lead", "--as-of", "2015-08-06")
    cli.ok("mechanism", "advance", "1", "repeal", "--note", "被新规定取代", "--actor", "lead",
           "--as-of", "2015-08-20")
    for ext in ("md", "html"):
        path = tmp_path / f"r.{ext}"
        cli.ok("report", CAMPAIGN, "--month", "2015-08", "-o", str(path), "--as-of", "2015-08-31")
        text = path.read_text(encoding="utf-8")
        assert "十、长效机制（1 项，已施行 0 项）" in text and "限时办结制度" in text
        assert "已废止" in text
    # a repeal ends it in force: the category is uncovered again
    listed = json.loads(cli.ok("mechanism", "list", CAMPAIGN, "--json", "--as-of", "2015-08-31"))
    assert listed["categories_without_mechanism"] == ["工作态度不积极"]


@pytest.mark.parametrize(("change", "message"), [
    ("rung: accountability", "accountability.rung 'sanction' is not an escalation level"),
    ("- {key: talk, title: 谈话提醒}", "accountability.outcomes 'talk' listed twice"),
])
def test_the_sections_are_checked(cli: Cli, tmp_path: Path, change: str, message: str) -> None:
    text = WGBW.read_text(encoding="utf-8")
    replacement = ("rung: sanction" if change.startswith("rung")
                   else change + "\n    " + change)
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(change, replacement, 1), encoding="utf-8")
    out = cli.invoke("validate", str(path), db=False)
    assert out.exit_code == 1 and message in out.output and "bad.yaml:" in out.output


def test_the_registers_on_postgresql(pg_db_url: str) -> None:
    """The same commands on a PostgreSQL server: ids, links, versioned withdrawal, chain."""
    from test_cli_common import populate

    c = Cli(pg_db_url)  # type: ignore[arg-type]
    populate(c)
    c.ok("campaign", "start", str(WGBW), "--start", "2015-07-01", "--actor", "lead")
    code = c.confirmed()
    for person in ("head", "clerk"):
        c.ok("accountability", "add", CAMPAIGN, "--item", code, "--person", person, "--person",
             "edu", "--unit", "czj", "--outcome", "talk", "--actor", "lead", "--as-of", "2015-08-04")
    c.ok("accountability", "withdraw", "2", "--reason", "重复", "--actor", "lead",
         "--as-of", "2015-08-05")
    counts = json.loads(c.ok("accountability", "list", CAMPAIGN, "--json",
                             "--as-of", "2015-08-05"))["counts"]
    assert (counts["cases"], counts["people"], counts["person_times"], counts["withdrawn"]) == (
        1, 2, 2, 1)
    c.ok("mechanism", "add", CAMPAIGN, "--title", "首问负责制度", "--kind", "system", "--item", code,
         "--actor", "lead", "--as-of", "2015-08-06")
    c.ok("mechanism", "advance", "1", "issue", "--actor", "lead", "--as-of", "2015-08-06")
    c.ok("mechanism", "advance", "1", "enforce", "--number", "县组发〔2015〕5号", "--on",
         "2015-08-07", "--actor", "lead", "--as-of", "2015-08-07")
    shown = json.loads(c.ok("mechanism", "show", "1", "--json", "--as-of", "2015-08-07"))
    assert (shown["state"], shown["items"]) == ("已施行", code)
    listed = json.loads(c.ok("mechanism", "list", CAMPAIGN, "--json", "--as-of", "2015-08-07"))
    assert listed["categories_without_mechanism"] == []
    assert "wgbw-2015: ok" in c.ok("audit", "verify", CAMPAIGN)


def test_case_status_reads_in_the_listing_language(cases: tuple[Cli, list[str]]) -> None:
    cli, _codes = cases
    zh = cli.ok("accountability", "list", CAMPAIGN, "--actor", "lead", "--as-of", "2015-12-31",
                env={"LANG": "zh_CN.UTF-8"}).splitlines()
    assert sum(x.rstrip().endswith("有效") for x in zh) == 8
    assert sum(x.rstrip().endswith("已撤销（2015-12-08）") for x in zh) == 1
    assert not any("in effect" in x or "withdrawn" in x for x in zh)
    en = cli.ok("accountability", "list", CAMPAIGN, "--actor", "lead", "--as-of", "2015-12-31")
    assert "in effect" in en and "withdrawn 2015-12-08" in en
