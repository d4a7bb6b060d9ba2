"""A real county ledger in one round: tests/data/county-ledger.xlsx (48 rows, merged title,
Chinese headers, dates typed three ways and as Excel dates, 17 units and ~95 people named,
the office's own words for categories and sources, reporters written into 备注) imported with
one command into a site that holds only the county and its administrator; and what one
command tells when it cannot: every problem once, grouped, with the fix for each."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_cli_common import ROOT, Cli, dump, scalar

DATA = ROOT / "tests" / "data"
LEDGER = DATA / "county-ledger.xlsx"
DEFINITION = ROOT / "definitions" / "zuofeng-datong-2015.yaml"
CAMPAIGN = "zuofeng-datong-2015"
AS_OF = "2015-10-31"
MAPS = ("--category", "纪律作风=work-discipline", "--category", "窗口服务=public-service",
        "--source", "督查发现=patrol")
ONE_COMMAND = ("--create-missing", "units,people", "--parent", "datong", "--remarks-to-reporter")


@pytest.fixture
def site(tmp_path: Path) -> Cli:
    """A fresh database: the county, its administrator, and the campaign started."""
    cli = Cli(tmp_path / "r.db")
    cli.ok("init", "--admin", "admin", "--name", "县作风办管理员")
    cli.ok("unit", "add", "datong", "--title", "大通县", "--kind", "county", "--actor", "admin")
    cli.ok("campaign", "start", str(DEFINITION), "--start", "2015-09-01", "--actor", "admin")
    return cli


def ledger_rows(path: Path = LEDGER) -> list[tuple[object, ...]]:
    wb = load_workbook(path, read_only=True)
    try:
        return [r for r in wb.worksheets[0].iter_rows(min_row=3, values_only=True) if any(r)]
    finally:
        wb.close()


def importing(cli: Cli, path: Path, *extra: str) -> tuple[str, ...]:
    return ("item", "import", CAMPAIGN, str(path), "--actor", "admin", "--as-of", AS_OF, *extra)


def rows_of(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_the_county_ledger_imports_in_one_command(site: Cli) -> None:
    site.ok("campaign", "map", CAMPAIGN, *MAPS, "--actor", "admin")
    rows = ledger_rows()
    assert len(rows) == 48
    before = dump(site.db)
    dry = site.ok(*importing(site, LEDGER, *ONE_COMMAND, "--dry-run"))
    assert "would import 48 new item(s)" in dry and "would create 17 unit(s)" in dry
    assert dump(site.db) == before  # a dry run writes nothing

    errors = site.db.parent / "errors.csv"
    errors.write_text("an earlier run's problems\n", encoding="utf-8")
    out = site.ok(*importing(site, LEDGER, *ONE_COMMAND, "--errors", str(errors)))
    assert "imported 48 new item(s): ZFDT-2015-0001 … ZFDT-2015-0048" in out
    assert errors.read_text(encoding="utf-8-sig").splitlines() == [
        "sheet,row,column,header,value,problem,hint"]  # none now: no stale list left behind
    assert scalar(site.db, "SELECT count(*) FROM items") == 48
    units = {t for t, in rows_of(site.db, "SELECT title FROM units WHERE path LIKE '/datong/%'")}
    assert units == {r[1] for r in rows} and len(units) == 17
    # one person per name within a unit: the leaders and persons of the file, by their unit
    named = {(r[1], r[8]) for r in rows} | {(r[1], r[9]) for r in rows}
    people = set(rows_of(site.db, "SELECT u.title, p.name FROM people p "
                                  "JOIN units u ON u.id = p.unit_id WHERE p.key != 'admin'"))
    assert people == named
    assert len(rows_of(site.db, "SELECT key FROM people WHERE name = '张伟'")) == 2  # two units
    # generated keys: the parent's code and a digest of the title; the unit's code and one of
    # the name: the same in every run
    keys = rows_of(site.db, "SELECT u.code, p.key FROM people p JOIN units u ON u.id = p.unit_id "
                            "WHERE p.name = '张伟'")
    assert all(key.startswith(f"{code}-") and code.startswith("datong-") for code, key in keys)
    # the people are where their rows put them: each item's 责任人 sits in its unit
    assert rows_of(site.db, """SELECT count(*) FROM items i JOIN rectifications r
                               ON r.item_id = i.id JOIN people p ON p.id = r.person_id
                               WHERE p.unit_id != i.unit_id""") == [(0,)]
    # created by the administrator, in the site log, naming the file's row
    site_events = rows_of(site.db, "SELECT machine, actor, payload FROM site_events "
                                   "WHERE trigger = 'add' AND machine IN ('unit', 'person')")
    added = [(m, a, json.loads(p)) for m, a, p in site_events]
    assert sum(1 for m, _, _ in added if m == "unit") == 1 + 17
    assert sum(1 for m, _, _ in added if m == "person") == 1 + len(named)
    assert all(a == "admin" for _, a, _ in added)
    assert sum(1 for _, _, p in added if (p.get("import") or {}).get("file")
               == "county-ledger.xlsx") == 17 + len(named)
    # categories by title, by synonym and by the campaign's mapping; sources likewise
    by_ref = dict(rows_of(site.db, "SELECT i.title, i.category FROM items i"))
    assert by_ref["县政府办公室去向牌未注明去向，脱岗离岗"] == "work-discipline"  # mapped
    assert by_ref["县政府办公室公务用车私用接送子女"] == "official-car"  # synonym 公车私用
    assert by_ref["县政府办公室开会迟到、会上玩手机"] == "meeting-discipline"  # title
    assert {s for s, in rows_of(site.db, "SELECT DISTINCT source FROM items")} == {
        "spot-check", "public-report", "patrol", "self-inspection"}
    # dates typed three ways and an Excel date cell
    deadlines = dict(rows_of(site.db, "SELECT i.title, r.deadline FROM items i "
                                      "JOIN rectifications r ON r.item_id = i.id"))
    assert deadlines["县政府办公室去向牌未注明去向，脱岗离岗"] == "2015-10-07"  # 2015.10.7
    assert deadlines["县政府办公室开会迟到、会上玩手机"] == "2015-10-23"  # an Excel date
    assert deadlines["县政府办公室未实行签到签退，迟到早退"] == "2015-11-04"  # 2015年11月4日


def test_reporters_in_remarks_are_kept_sealed_and_never_shown(site: Cli) -> None:
    from campaigns.db import Database
    from campaigns.runs import load_run
    from campaigns.secrets import campaign_secrets

    site.ok("campaign", "map", CAMPAIGN, *MAPS, "--actor", "admin")
    out = site.ok(*importing(site, LEDGER, *ONE_COMMAND))
    assert "备注 with reporter details (kept as the confidential reporter): rows 7, 21, 32, 43" \
        in out
    with Database(str(site.db)).read() as conn:
        secrets = campaign_secrets(conn, load_run(conn, CAMPAIGN).id)
    kept = sorted(secrets.values(), key=lambda s: s.get("reporter", ""))
    assert {"reporter": "马某某", "reporter_contact": "13997001234"} in kept  # prefix stripped
    assert {"reporter": "祁某"} in kept
    assert {"reporter": "群众", "reporter_contact": "0971-2741234"} in kept
    assert len(kept) == 4
    # the values are in no event and in no column of the items
    assert "马某某" not in "\n".join(str(p) for p, in rows_of(site.db, "SELECT payload FROM events"))
    assert "马某某" not in dump(site.db).split("INSERT INTO \"secrets\"")[0]


def test_remarks_with_reporters_are_refused_by_row_number_or_left_out(site: Cli) -> None:
    site.ok("campaign", "map", CAMPAIGN, *MAPS, "--actor", "admin")
    err = site.fails(1, *importing(site, LEDGER, "--create-missing", "units,people",
                                   "--parent", "datong"))
    assert "column K (备注): 备注 holds what looks like a reporter's details (举报人, 反映人 or a " \
           "phone number): rows 7, 21, 32, 43 (4)" in err
    assert "--remarks-to-reporter" in err
    assert "马某某" not in err and "1399700" not in err
    out = site.ok(*importing(site, LEDGER, "--create-missing", "units,people", "--parent",
                             "datong", "--ignore-remarks"))
    assert "(left out): rows 7, 21, 32, 43" in out
    assert scalar(site.db, "SELECT count(*) FROM secrets WHERE item_id IS NOT NULL") == 0


def test_every_problem_in_one_pass_grouped_with_its_fix(site: Cli, tmp_path: Path) -> None:
    errors = tmp_path / "errors.csv"
    err = site.fails(1, *importing(site, LEDGER, "--errors", str(errors)))
    # nothing of the file (only the clock's catch-up to the import's date stands, as a tick's)
    assert [scalar(site.db, f"SELECT count(*) FROM {t}") for t in ("items", "units", "people")] \
        == [0, 1, 1]
    lines = err.splitlines()
    # one line per distinct value, with every row it affects
    assert [line for line in lines if "县政府办公室'" in line] == [
        "  sheet '问题台账' column B (责任单位): unknown unit '县政府办公室': rows 3, 4, 5, 6, 7, 8, "
        "9 (7)"]
    assert "    → add the unit ('rectify unit add', or import with --create-missing units " \
           "--parent UNIT)" in lines
    # every kind of problem at once: units, people, the words to map, the remarks
    assert "unknown category '纪律作风': rows 3, 19, 35 (3) — did you mean '工作纪律' " \
           "(work-discipline)? or map it: rectify campaign map zuofeng-datong-2015 --category " \
           "纪律作风=work-discipline" in err
    assert "unknown source '督查发现'" in err
    assert "unknown person '张伟': rows 13, 47 (2)" in err
    assert "备注 holds what looks like a reporter's details" in err
    assert "more" not in err  # no cut-off
    total = int(lines[0].split()[1])
    with open(errors, encoding="utf-8-sig", newline="") as fh:
        cells = list(csv.DictReader(fh))
    assert len(cells) == total
    assert len([c for c in cells if c["value"] == "县政府办公室"]) == 7
    unit_cell = next(c for c in cells if c["value"] == "县政府办公室")
    assert (unit_cell["row"], unit_cell["column"], unit_cell["header"]) == ("3", "B", "责任单位")
    assert unit_cell["hint"].startswith("add the unit")
    remarks = [c for c in cells if c["header"] == "备注"]
    assert [c["row"] for c in remarks] == ["7", "21", "32", "43"]
    assert all(c["value"] == "" for c in remarks)  # never the reporter's details


def test_json_failure_is_json_with_the_same_exit_code(site: Cli) -> None:
    result = site.invoke(*importing(site, LEDGER, "--json"))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["count"] == len(data["problems"])
    group = next(g for g in data["groups"] if g["message"] == "unknown unit '县政府办公室'")
    assert group["rows"] == [3, 4, 5, 6, 7, 8, 9] and group["column"] == "B"
    # an error that is not about the rows is JSON too
    other = site.invoke("item", "import", CAMPAIGN, str(LEDGER), "--actor", "nobody", "--json",
                        "--as-of", AS_OF)
    assert other.exit_code == 1 and json.loads(other.stdout)["error"] == "unknown actor 'nobody'"


def test_a_dry_run_runs_the_checks_the_import_runs(site: Cli, tmp_path: Path) -> None:
    """Item codes the import would give that another campaign holds: refused by the dry run
    as by the import, with exit 1 (a retry cannot help), never 'would import'."""
    site.ok("campaign", "map", CAMPAIGN, *MAPS, "--actor", "admin")
    site.ok("campaign", "start", str(ROOT / "definitions" / "wgbw-2015.yaml"), "--start",
            "2015-07-01", "--actor", "admin")
    site.ok("unit", "add", "jw", "--title", "县纪委", "--parent", "datong", "--actor", "admin")
    site.ok("item", "add", "wgbw-2015", "--title", "旧库遗留", "--unit", "jw", "--category",
            "passive-attitude", "--source", "self-inspection", "--actor", "admin",
            "--as-of", "2015-08-03")
    with sqlite3.connect(site.db) as conn:  # a database from before codes were checked
        conn.execute("UPDATE items SET code = 'ZFDT-2015-0001'")
    before = dump(site.db)
    err = site.fails(1, *importing(site, LEDGER, *ONE_COMMAND, "--dry-run"))
    assert "item codes such as ZFDT-2015-0001 are already used by another campaign" in err
    assert dump(site.db) == before
    assert "already used by another campaign" in site.fails(1, *importing(site, LEDGER,
                                                                          *ONE_COMMAND))
    assert scalar(site.db, "SELECT count(*) FROM items") == 1


def test_only_an_administrator_creates_and_created_units_need_a_parent(site: Cli) -> None:
    site.ok("unit", "add", "jw", "--title", "县纪委", "--parent", "datong", "--actor", "admin")
    site.ok("person", "add", "office", "--name", "赵纪检", "--unit", "jw", "--role",
            "lead-office", "--actor", "admin")
    err = site.fails(1, "item", "import", CAMPAIGN, str(LEDGER), "--actor", "office",
                     "--as-of", AS_OF, *ONE_COMMAND)
    assert "'office' is not an administrator" in err
    usage = site.invoke(*importing(site, LEDGER, "--create-missing", "units"))
    assert usage.exit_code == 2 and "--parent" in usage.stderr
    assert site.invoke(*importing(site, LEDGER, "--create-missing", "rooms",
                                  "--parent", "datong")).exit_code == 2
    assert scalar(site.db, "SELECT count(*) FROM units") == 2


@pytest.mark.parametrize("ext", ["ods", "xls"])
def test_ods_and_xls_read_as_the_xlsx(site: Cli, tmp_path: Path, ext: str) -> None:
    site.ok("campaign", "map", CAMPAIGN, *MAPS, "--actor", "admin")
    small = DATA / f"county-ledger-small.{ext}"
    out = site.ok(*importing(site, small, *ONE_COMMAND))
    assert "imported 6 new item(s)" in out
    got = rows_of(site.db, "SELECT i.title, i.category, i.source, i.found_on, r.deadline "
                           "FROM items i JOIN rectifications r ON r.item_id = i.id ORDER BY i.seq")
    other = Cli(tmp_path / "xlsx.db")
    other.ok("init", "--admin", "admin")
    other.ok("unit", "add", "datong", "--title", "大通县", "--actor", "admin")
    other.ok("campaign", "start", str(DEFINITION), "--start", "2015-09-01", "--actor", "admin")
    other.ok("campaign", "map", CAMPAIGN, *MAPS, "--actor", "admin")
    other.ok(*importing(other, LEDGER, *ONE_COMMAND))
    want = rows_of(other.db, "SELECT i.title, i.category, i.source, i.found_on, r.deadline "
                             "FROM items i JOIN rectifications r ON r.item_id = i.id "
                             "ORDER BY i.seq LIMIT 6")
    assert got == want
    assert dt.date.fromisoformat(str(got[1][4])) == dt.date(2015, 10, 23)  # an Excel date


def test_a_wps_et_file_is_refused_with_the_way_out(site: Cli, tmp_path: Path) -> None:
    et = tmp_path / "台账.et"
    et.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    err = site.fails(1, *importing(site, et))
    assert "台账.et is a WPS spreadsheet (.et)" in err
    assert "save it as an Excel workbook" in err and ".xlsx" in err


def test_the_county_ledger_in_one_command_on_postgresql(pg_db_url: str, tmp_path: Path) -> None:
    """The same one command on a PostgreSQL server: the units, people and items in one
    transaction, with the site's log and the campaign's log both written."""
    import sqlalchemy as sa

    cli = Cli(tmp_path / "unused.db")
    env: dict[str, str | None] = {"RECTIFY_DB": pg_db_url}

    def ok(*args: str) -> str:
        result = cli.invoke(*args, db=False, env=env)
        assert result.exit_code == 0, result.output
        return result.stdout

    ok("init", "--admin", "admin")
    ok("unit", "add", "datong", "--title", "大通县", "--actor", "admin")
    ok("campaign", "start", str(DEFINITION), "--start", "2015-09-01", "--actor", "admin")
    ok("campaign", "map", CAMPAIGN, *MAPS, "--actor", "admin")
    assert "imported 48 new item(s)" in ok(*importing(cli, LEDGER, *ONE_COMMAND))
    engine = sa.create_engine(pg_db_url)
    try:
        with engine.connect() as conn:
            counts = [conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                      for t in ("items", "units", "people")]
    finally:
        engine.dispose()
    rows = ledger_rows()
    named = {(r[1], r[8]) for r in rows} | {(r[1], r[9]) for r in rows}
    assert counts == [48, 18, 1 + len(named)]


def test_a_name_above_the_rows_unit_is_that_person_not_a_new_one(site: Cli, tmp_path: Path) -> None:
    """The county's 分管县领导 named as 责任领导 of a bureau's rows is the county's person; a
    name known only in an unrelated unit is a new person in the row's unit."""
    site.ok("person", "add", "fu-xianzhang", "--name", "马副县长", "--unit", "datong",
            "--actor", "admin")
    site.ok("unit", "add", "qtz", "--title", "桥头镇", "--parent", "datong", "--actor", "admin")
    site.ok("person", "add", "li-qtz", "--name", "李干事", "--unit", "qtz", "--actor", "admin")
    ledger = tmp_path / "l.csv"
    ledger.write_text("序号,单位,问题描述,问题类别,问题来源,责任领导,责任人\n"
                      "1,县教育局,上班时间玩游戏,上班纪律,暗访,马副县长,李干事\n"
                      "2,桥头镇,公车停放农家乐,公车私用,暗访,马副县长,李干事\n", encoding="utf-8")
    out = site.ok(*importing(site, ledger, *ONE_COMMAND))
    assert "created 1 unit(s): 县教育局" in out and "created 1 person(s): 李干事" in out
    people = rows_of(site.db, """SELECT i.external_ref, l.key, p.key, pu.title FROM items i
                                 JOIN rectifications r ON r.item_id = i.id
                                 JOIN people l ON l.id = r.leader_id
                                 JOIN people p ON p.id = r.person_id
                                 JOIN units pu ON pu.id = p.unit_id ORDER BY i.seq""")
    assert [row[1] for row in people] == ["fu-xianzhang", "fu-xianzhang"]
    assert people[1][2:] == ("li-qtz", "桥头镇")  # the one in the row's own unit
    assert people[0][2] != "li-qtz" and people[0][3] == "县教育局"  # unrelated: a new person
