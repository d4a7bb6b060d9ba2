"""Filings end to end: seed 001's monthly report (每月底前) over a few months of a campaign,
filed on time, late, returned and refiled, accepted, and missing until its notices come."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_common import CAMPAIGN, Cli, dump, scalar, seeded

REPORT = "monthly-report"


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """The seeded county, with a liaison (报送联络员) who files for 财政局 and one for 教育局."""
    c = seeded(tmp_path, tmp_path_factory)
    for key, name, unit in (("lo-czj", "赵联络", "czj"), ("lo-jyj", "钱联络", "jyj")):
        c.ok("person", "add", "--actor", "admin", key, "--name", name, "--unit", unit, "--role",
             "liaison")
    return c


def status(cli: Cli, *args: str, as_of: str) -> dict[tuple[str, str], dict[str, str]]:
    rows = json.loads(cli.ok("filing", "status", CAMPAIGN, "--json", "--as-of", as_of, *args))
    return {(r["unit"], r["period"]): r for r in rows}


def doc(tmp_path: Path, name: str = "report.docx", text: str = "七月份工作情况") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_few_months_of_monthly_reports(cli: Cli, tmp_path: Path) -> None:
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-07-01")
    july = status(cli, "--period", "2015-07", as_of="2015-07-01")
    # the units of kind department file it: czj, jyj, jw, zzb; due the month's last working day
    assert sorted(u for u, _ in july) == ["czj", "jw", "jyj", "zzb"]
    assert {r["due"] for r in july.values()} == {"2015-07-31"}
    assert {r["status"] for r in july.values()} == {"pending"}

    # on time, by the unit's own head; the office accepts it
    out = cli.ok("filing", "submit", "czj", REPORT, "--period", "2015-07", "--file",
                 doc(tmp_path), "--actor", "lo-czj", "--as-of", "2015-07-30")
    assert "on time" in out and "due 2015-07-31" in out
    cli.ok("filing", "accept", "czj", REPORT, "--period", "2015-07", "--actor", "lead",
           "--as-of", "2015-08-03")
    # jyj files late (August 4), is returned, files again
    cli.ok("filing", "submit", "jyj", REPORT, "--period", "2015-07", "--file",
           doc(tmp_path, "jyj.docx", "教育局"), "--actor", "lo-jyj", "--as-of", "2015-08-04")
    cli.ok("filing", "return", "jyj", REPORT, "--period", "2015-07", "--note", "缺少问题清单",
           "--actor", "lead", "--as-of", "2015-08-05")
    assert status(cli, "--period", "2015-07", as_of="2015-08-05")["jyj", "2015-07"]["status"] \
        == "returned"
    cli.ok("filing", "submit", "jyj", REPORT, "--period", "2015-07", "--file",
           doc(tmp_path, "jyj2.docx", "教育局（修改）"), "--actor", "lo-jyj", "--as-of", "2015-08-06")

    cli.ok("tick", CAMPAIGN, "--as-of", "2015-09-10")
    seen = status(cli, as_of="2015-09-10")
    assert seen["czj", "2015-07"]["status"] == "accepted"
    assert seen["czj", "2015-07"]["filed_on"] == "2015-07-30"
    assert seen["jyj", "2015-07"]["status"] == "late"
    assert seen["jyj", "2015-07"]["filed_on"] == "2015-08-06"
    assert seen["jw", "2015-07"]["status"] == "missing"
    assert seen["jw", "2015-08"]["due"] == "2015-08-31"
    assert ("czj", "2015-09") in seen and ("czj", "2015-10") not in seen
    # the missing one climbed the ladder: reminder before, urged the day after, circulated
    assert seen["jw", "2015-07"]["level"] == "filing-circular"
    levels = [r[0] for r in _notices(cli.db, "jw", "2015-07")]
    assert levels == ["filing-reminder", "filing-urge", "filing-circular"]
    issued = dict(_notices(cli.db, "jw", "2015-07"))
    assert issued["filing-reminder"] == "2015-07-29"  # two working days before 31 July
    assert issued["filing-urge"] == "2015-08-01"
    assert issued["filing-circular"] == "2015-08-07"  # five working days after the due date
    # czj filed on time: only the reminder before it filed; jyj was urged before it filed
    assert [r[0] for r in _notices(cli.db, "czj", "2015-07")] == ["filing-reminder"]
    assert [r[0] for r in _notices(cli.db, "jyj", "2015-07")] == ["filing-reminder", "filing-urge"]

    # the CSV and table forms, and one filing's period
    csv = cli.ok("filing", "status", CAMPAIGN, "--csv", "--period", "2015-07", "--filing", REPORT,
                 "--as-of", "2015-09-10")
    assert csv.splitlines()[0] == "filing,period,unit,unit_title,due,filed_on,status,level,document"
    assert len(csv.splitlines()) == 5
    table = cli.ok("filing", "status", CAMPAIGN, "--open", "--as-of", "2015-09-10")
    assert "missing" in table and "accepted" not in table
    zh = cli.ok("filing", "status", CAMPAIGN, "--period", "2015-07", "--as-of", "2015-09-10",
                env={"LANG": "zh_CN.UTF-8"})
    assert "已采用" in zh and "逾期未报" in zh

    # the document is kept by content hash, the history has every change as an event
    assert scalar(cli.db, "SELECT count(*) FROM blobs") >= 3
    triggers = [r[0] for r in _events(cli.db)]
    assert triggers.count("open") == 4 * 3  # July, August, September
    assert triggers.count("file") == 3
    assert {"accept-filing", "return-filing", "escalate"} <= set(triggers)
    cli.ok("audit", "verify", "--all")


def test_a_late_tick_writes_what_daily_ticks_would(cli: Cli, tmp_path: Path) -> None:
    other = Cli(tmp_path / "other.db")
    import shutil

    shutil.copy(cli.db, other.db)
    for day in ("2015-07-01", "2015-07-15", "2015-07-29", "2015-07-31", "2015-08-01",
                "2015-08-05", "2015-08-10"):
        cli.ok("tick", CAMPAIGN, "--as-of", day)
    other.ok("tick", CAMPAIGN, "--as-of", "2015-08-10")
    assert _log(cli.db) == _log(other.db)


def test_filing_before_the_clock_opens_it_brings_it_up_to_date(cli: Cli, tmp_path: Path) -> None:
    # no tick at all: the first change opens the occurrence and writes the steps owed to it
    cli.ok("filing", "submit", "jyj", REPORT, "--period", "2015-07", "--file", doc(tmp_path),
           "--actor", "lo-jyj", "--as-of", "2015-08-03")
    assert _notices(cli.db, "jyj", "2015-07") == [("filing-reminder", "2015-07-29"),
                                                  ("filing-urge", "2015-08-01")]
    assert scalar(cli.db, "SELECT count(*) FROM filings") == 1, "only the one it needed"
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-08-03")
    row = status(cli, "--period", "2015-07", as_of="2015-08-03")
    assert row["jyj", "2015-07"]["status"] == "late"
    assert row["jw", "2015-07"]["status"] == "missing"
    assert [r[0] for r in _notices(cli.db, "jyj", "2015-07")] == ["filing-reminder", "filing-urge"]
    assert [r[0] for r in _notices(cli.db, "jw", "2015-07")] == ["filing-reminder", "filing-urge"]
    # the occurrence the change opened has the date and event the clock gives the others
    opened = {r[1] for r in _events(cli.db) if r[0] == "open"}
    assert opened == {"2015-07-01", "2015-08-01"}


def test_refusals_change_nothing(cli: Cli, tmp_path: Path) -> None:
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-07-01")
    before = dump(cli.db)
    err = cli.fails(1, "filing", "submit", "czj", REPORT, "--period", "2015-07", "--actor",
                    "lo-czj", "--as-of", "2015-07-02")
    assert "needs a document" in err
    err = cli.fails(1, "filing", "submit", "jyj", REPORT, "--period", "2015-07", "--file",
                    doc(tmp_path), "--actor", "lo-czj", "--as-of", "2015-07-02")
    assert "not in the unit" in err
    err = cli.fails(1, "filing", "submit", "czj", REPORT, "--period", "2015-07", "--file",
                    doc(tmp_path), "--actor", "head", "--as-of", "2015-07-02")
    assert "holds no role that may fire it" in err
    err = cli.fails(1, "filing", "submit", "czj", REPORT, "--period", "2015-13", "--file",
                    doc(tmp_path), "--actor", "lo-czj", "--as-of", "2015-07-02")
    assert "is not a month" in err and "2015-09" in err
    err = cli.fails(1, "filing", "submit", "czj", REPORT, "--period", "2016-01", "--file",
                    doc(tmp_path), "--actor", "lo-czj", "--as-of", "2015-07-02")
    assert "no period 2016-01" in err
    err = cli.fails(1, "filing", "submit", "czj", "weekly", "--period", "2015-07", "--file",
                    doc(tmp_path), "--actor", "lo-czj", "--as-of", "2015-07-02")
    assert "no running campaign has filing 'weekly'" in err
    err = cli.fails(1, "filing", "submit", "czj-bgs", REPORT, "--period", "2015-07", "--file",
                    doc(tmp_path), "--actor", "clerk", "--as-of", "2015-07-02")
    assert "does not file" in err
    err = cli.fails(1, "filing", "accept", "czj", REPORT, "--period", "2015-07", "--actor", "lead",
                    "--as-of", "2015-07-02")
    assert "accept-filing" in err
    assert cli.invoke("filing", "return", "czj", REPORT, "--period", "2015-07", "--actor",
                      "lead", "--as-of", "2015-07-02").exit_code == 2  # --note is required
    cli.ok("filing", "submit", "czj", REPORT, "--period", "2015-07", "--file", doc(tmp_path),
           "--actor", "lo-czj", "--as-of", "2015-07-02")
    mid = dump(cli.db)
    err = cli.fails(1, "filing", "accept", "czj", REPORT, "--period", "2015-07", "--actor",
                    "lo-czj", "--as-of", "2015-07-03")
    assert "accept-filing" in err
    assert dump(cli.db) == mid
    assert before != mid


def _notices(db: Path, unit: str, period: str) -> list[tuple[str, str]]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT n.level, n.issued_on FROM filing_notices n JOIN filings f ON f.id = n.filing_id "
            "JOIN units u ON u.id = f.unit_id WHERE u.code = ? AND f.period = ? ORDER BY n.id",
            (unit, period)).fetchall()
    finally:
        conn.close()


def _events(db: Path) -> list[tuple[str, ...]]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT trigger, business_date FROM events WHERE machine = 'filing' "
                            "ORDER BY id").fetchall()
    finally:
        conn.close()


def _log(db: Path) -> list[tuple[str, ...]]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        events = conn.execute(
            "SELECT machine, subject_key, trigger, from_state, to_state, business_date, payload, "
            "rule FROM events WHERE machine = 'filing' ORDER BY business_date, subject_key, "
            "trigger, rule").fetchall()
        notices = conn.execute("SELECT filing_id, level, issued_on, deadline, days_overdue "
                               "FROM filing_notices ORDER BY filing_id, level").fetchall()
        rows = conn.execute("SELECT filing, unit_id, period, due, state, level, version, "
                            "entered_on FROM filings ORDER BY id").fetchall()
        return [*events, *notices, *rows]
    finally:
        conn.close()


@pytest.mark.parametrize("old, new, code, words", [
    ("schedule: 每月底前", "schedule: 每月32日前", "bad-schedule", "names day 32"),
    ("schedule: 每月底前", "schedule: every other week", "bad-schedule", "is not a schedule"),
    ("office: lead-office", "office: unit-head", "office-cannot-accept", "may not fire"),
    ("office: lead-office", "office: nobody", "unknown-role", "unknown role 'nobody'"),
    ("units: [department, township]", "role: unit-head\n      units: [department]", "who-files",
     "not both"),
    ("at: +5个工作日", "at: +5日", "schema", "does not say which days count"),
    ("{key: filing-urge,", "{key: supervision,", "duplicate-level", "also a level"),
    ("applies_in: [due, returned]", "applies_in: [due, gone]", "unknown-state", "'gone'"),
    ("lifecycle: standard", "lifecycle: standard\nmachines:\n  filing:\n    remove: [accept-filing]",
     "missing-trigger", "accept-filing"),
])
def test_bad_filings_are_located(tmp_path: Path, old: str, new: str, code: str,
                                 words: str) -> None:
    from test_cli_common import WGBW

    text = WGBW.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = next(i for i, x in enumerate(bad.read_text("utf-8").splitlines(), 1)
                if new.splitlines()[0] in x)
    out = Cli(tmp_path / "x.db").invoke("validate", str(bad), db=False)
    assert out.exit_code == 1
    found = [x for x in out.output.splitlines() if f"error[{code}]" in x]
    assert found and words in found[0], out.output
    if code not in ("missing-trigger", "who-files"):
        assert found[0].startswith(f"{bad}:{line}:"), found[0]


def _rows(cli: Cli, sql: str) -> list[tuple[object, ...]]:
    """Rows of ``sql`` on the CLI's database, SQLite file or PostgreSQL, dates as ISO text."""
    import sqlalchemy as sa

    url = str(cli.db)
    engine = sa.create_engine(url if "://" in url else f"sqlite:///{url}")
    try:
        with engine.connect() as conn:
            return [tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in row)
                    for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def _occurrences(cli: Cli) -> list[tuple[object, ...]]:
    return _rows(cli, "SELECT f.filing, u.code, f.period, f.state, f.deadline, f.level, "
                      "f.level_base, f.entered_on FROM filings f JOIN units u "
                      "ON u.id = f.unit_id ORDER BY f.opened_on, u.code, f.period")


def _live_notices(cli: Cli) -> list[tuple[object, ...]]:
    """The filings' notices in force (withdrawn ones aside), as the ladder steps gave them."""
    return _rows(cli, "SELECT u.code, f.period, n.level, n.issued_on, n.deadline, n.days_overdue "
                      "FROM filing_notices n JOIN filings f ON f.id = n.filing_id JOIN units u "
                      "ON u.id = f.unit_id WHERE n.withdrawn_on IS NULL AND n.event_id NOT IN "
                      "(SELECT event_id FROM undone) ORDER BY u.code, f.period, n.level")


def _undone_tick(cli: Cli) -> None:
    """Undoing a tick reverses its filings' ladder steps by compensating events (each occurrence
    back to its level and deadline before, its notices withdrawn) and removes the occurrences it
    opened (an undo event each, going to no state); ticking again opens and chases them again,
    and the log explains every stored occurrence all along."""
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-08-03")
    opened = _occurrences(cli)
    first_notices = _live_notices(cli)
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-09-02")  # opens September's, chases July's, August's
    chased = _occurrences(cli)
    notices = _live_notices(cli)
    assert chased[:len(opened)] != opened and len(chased) > len(opened)
    assert len(notices) > len(first_notices)
    out = cli.ok("campaign", "undo", CAMPAIGN, "--actor", "lead", "--note", "误操作",
                 "--as-of", "2015-09-02")
    assert "undid tick of 2015-09-02" in out
    # every occurrence as it stood after the first tick; those the second opened are gone
    assert _occurrences(cli) == opened
    assert {r[2] for r in chased[len(opened):]} == {"2015-09"}
    assert status(cli, "--period", "2015-09", as_of="2015-09-02") == {}
    assert _live_notices(cli) == first_notices
    [(undone,)] = _rows(cli, "SELECT count(*) FROM undone u JOIN events e ON e.id = u.event_id "
                             "WHERE e.machine = 'filing'")
    [(undos, removed)] = _rows(cli, "SELECT count(*), sum(CASE WHEN to_state IS NULL THEN 1 "
                                    "ELSE 0 END) FROM events WHERE machine = 'filing' "
                                    "AND trigger = 'undo'")
    assert undone and undos == len(chased) and removed == len(chased) - len(opened)
    cli.ok("audit", "verify", CAMPAIGN)  # the stored occurrences are what their events say
    # ticking again chases them again: the same occurrences and notices as the undone tick's
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-09-02")
    assert [r[:7] for r in _occurrences(cli)] == [r[:7] for r in chased]
    assert _live_notices(cli) == notices
    cli.ok("audit", "verify", CAMPAIGN)


def test_an_undone_tick_puts_back_the_filings_it_opened_and_chased(cli: Cli) -> None:
    _undone_tick(cli)


def test_an_undone_tick_of_filings_on_postgresql(pg_db_url: str) -> None:
    from test_cli_common import PEOPLE, START, WGBW, populate

    c = Cli(pg_db_url)  # type: ignore[arg-type]
    populate(c, [*PEOPLE, ("lo-czj", "赵联络", "czj", ["liaison"])])
    c.ok("campaign", "start", str(WGBW), "--start", START, "--actor", "lead")
    _undone_tick(c)


def test_on_postgresql(tmp_path: Path, pg_db_url: str) -> None:
    from test_cli_common import PEOPLE, START, WGBW, populate

    c = Cli(pg_db_url)  # type: ignore[arg-type]
    populate(c, [*PEOPLE, ("lo-czj", "赵联络", "czj", ["liaison"])])
    c.ok("campaign", "start", str(WGBW), "--start", START, "--actor", "lead")
    c.ok("filing", "submit", "czj", REPORT, "--period", "2015-07", "--file", doc(tmp_path),
         "--actor", "lo-czj", "--as-of", "2015-08-04")
    c.ok("tick", CAMPAIGN, "--as-of", "2015-08-10")
    c.ok("filing", "accept", "czj", REPORT, "--period", "2015-07", "--actor", "lead",
         "--as-of", "2015-08-10")
    seen = status(c, "--period", "2015-07", as_of="2015-08-10")
    assert {k[0]: (r["due"], r["filed_on"], r["status"]) for k, r in seen.items()} == {
        "czj": ("2015-07-31", "2015-08-04", "accepted"),
        "jyj": ("2015-07-31", "", "missing"), "jw": ("2015-07-31", "", "missing"),
        "zzb": ("2015-07-31", "", "missing")}
    assert seen["jw", "2015-07"]["level"] == "filing-circular"
    assert status(c, "--period", "2015-07", as_of="2015-08-03")["czj", "2015-07"]["status"] \
        == "missing", "as of a day before it was filed"
    c.ok("audit", "verify", CAMPAIGN)


def test_filed_by_the_units_of_a_role_weekly_without_a_document(cli: Cli, tmp_path: Path) -> None:
    from test_cli_common import WGBW

    text = WGBW.read_text(encoding="utf-8").replace(
        "      schedule: 每月底前\n      units: [department, township]\n      document: true\n",
        "      schedule: 每周一\n      role: unit-head\n      document: false\n") \
        .replace("key: wgbw-2015", "key: weekly-2015").replace("code_prefix: WGBW",
                                                              "code_prefix: WEEK")
    path = tmp_path / "weekly.yaml"
    path.write_text(text, encoding="utf-8")
    cli.ok("campaign", "start", str(path), "--start", "2015-09-28", "--actor", "lead")
    cli.ok("tick", "weekly-2015", "--as-of", "2015-10-09")
    rows = json.loads(cli.ok("filing", "status", "weekly-2015", "--json", "--as-of", "2015-10-09"))
    # the units of the people holding unit-head: 财政局, its 办公室 (clerk), 教育局
    assert sorted({r["unit"] for r in rows}) == ["czj", "czj-bgs", "jyj"]
    # Monday 5 October is National Day: due the next working day, Thursday the 8th
    assert {r["period"]: r["due"] for r in rows} == {"2015-W40": "2015-09-28",
                                                     "2015-W41": "2015-10-08"}
    cli.ok("person", "add", "--actor", "admin", "lo", "--name", "孙联络", "--unit", "jyj",
           "--role", "liaison")
    out = cli.ok("filing", "submit", "jyj", REPORT, "--period", "2015-W41", "--campaign",
                 "weekly-2015", "--actor", "lo", "--as-of", "2015-10-09")
    assert "late" in out
    err = cli.fails(1, "filing", "submit", "jyj", REPORT, "--period", "2015-W41", "--actor",
                    "lo", "--as-of", "2015-10-09")
    assert "several running campaigns" in err and "--campaign" in err
