"""Bad input and a bad environment: one clear error naming the thing and the fix, the exit code
of docs/cli.md, no traceback, and the database exactly as it was."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from test_cli_common import CAMPAIGN, Cli, dump, seeded

INVALID, USAGE, CONFLICT, ENVIRONMENT = 1, 2, 3, 4


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


@pytest.fixture
def code(cli: Cli) -> str:
    return cli.planned()


def refused(cli: Cli, exit_code: int, *args: str, names: tuple[str, ...], fix: str) -> str:
    """The command fails with ``exit_code``, names every one of ``names`` and gives ``fix``."""
    before = dump(cli.db)
    err = cli.fails(exit_code, *args)
    first, *rest = err.splitlines()
    for name in names:
        assert name in first, f"{name!r} not named in: {first}"
    assert fix in err, f"no fix ({fix!r}) in: {err}"
    assert "unexpected" not in err
    assert all(line.startswith("  ") for line in rest), err  # detail and hint lines are indented
    assert dump(cli.db) == before
    return err


# --- names that do not exist --------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["campaign", "status", "wgbw-2051"],
    ["campaign", "advance", "wgbw-2051", "--actor", "lead"],
    ["item", "list", "wgbw-2051"],
    ["item", "add", "wgbw-2051", "--title", "t", "--unit", "jyj", "--category", "no-drive",
     "--source", "media", "--actor", "sup"],
])
def test_unknown_campaign(cli: Cli, args: list[str]) -> None:
    refused(cli, INVALID, *args, "--as-of", "2015-08-05", names=("unknown campaign 'wgbw-2051'",),
            fix="did you mean 'wgbw-2015'?")


@pytest.mark.parametrize("args", [
    ["item", "show", "WGBW-2015-0404"],
    ["item", "triggers", "WGBW-2015-0404", "--actor", "sup"],
    ["item", "advance", "confirm", "WGBW-2015-0404", "--actor", "sup"],
    ["item", "rectify", "WGBW-2015-0404", "--measures", "m", "--actor", "head"],
    ["item", "progress", "WGBW-2015-0404", "--note", "n", "--actor", "head"],
    ["item", "edit", "WGBW-2015-0404", "--title", "t", "--actor", "sup"],
    ["item", "merge", "WGBW-2015-0404", "--into", "WGBW-2015-0001", "--actor", "sup"],
])
def test_unknown_item_code(cli: Cli, code: str, args: list[str]) -> None:
    refused(cli, INVALID, *args, "--as-of", "2015-08-05", names=("unknown item code", "WGBW-2015-0404"),
            fix=f"closest codes of campaign 'wgbw-2015': {code}")


def test_unknown_item_codes_are_all_named(cli: Cli, code: str) -> None:
    err = refused(cli, INVALID, "item", "advance", "submit", code, "WGBW-2015-0404", "X-1",
                  "--actor", "head", "--as-of", "2015-08-05",
                  names=("unknown item codes", "WGBW-2015-0404", "X-1"), fix="hint:")
    assert code not in err.splitlines()[0]


@pytest.mark.parametrize("args", [
    ["item", "add", CAMPAIGN, "--title", "t", "--unit", "县财正局", "--category", "no-drive",
     "--source", "media", "--actor", "sup"],
    ["item", "list", CAMPAIGN, "--unit", "县财正局"],
    ["person", "list", "--unit", "县财正局"],
    ["unit", "add", "--actor", "admin", "new", "--title", "新", "--parent", "县财正局"],
])
def test_unknown_unit(cli: Cli, args: list[str]) -> None:
    """A unit a change would record is invalid input (1); one a listing filters by is a usage
    error (2): the command line names nothing (docs/cli.md, "Exit codes")."""
    dated = [] if args[:2] == ["person", "list"] else ["--as-of", "2015-08-05"]
    code = USAGE if "list" in args else INVALID
    refused(cli, code, *args, *dated, names=("unknown unit '县财正局'",),
            fix="did you mean '县财政局'?")


def test_unknown_category_and_source(cli: Cli) -> None:
    base = ["item", "add", CAMPAIGN, "--title", "t", "--unit", "jyj", "--actor", "sup",
            "--as-of", "2015-08-05"]
    refused(cli, INVALID, *base, "--category", "lazy", "--source", "media",
            names=("unknown category 'lazy'",), fix="hint:")
    refused(cli, INVALID, *base, "--category", "no-drive", "--source", "hotline",
            names=("unknown source 'hotline'",), fix="hint:")


def test_unknown_trigger(cli: Cli, code: str) -> None:
    refused(cli, INVALID, "item", "advance", "sumbit", code, "--actor", "head", "--as-of", "2015-08-05",
            names=("unknown trigger 'sumbit'",), fix="did you mean 'submit'?")


def test_unknown_actor(cli: Cli, code: str) -> None:
    refused(cli, INVALID, "item", "advance", "submit", code, "--actor", "ghost", "--as-of", "2015-08-05",
            names=("unknown actor 'ghost'",), fix="rectify person add")
    refused(cli, INVALID, "item", "advance", "submit", code, "--as-of", "2015-08-05",
            names=("--actor is required",), fix="RECTIFY_ACTOR")
    refused(cli, INVALID, "item", "advance", "submit", code, "--actor", "system", "--as-of", "2015-08-05",
            names=("'system' is reserved",), fix="your own person key")


def test_the_actor_comes_from_rectify_actor(cli: Cli, code: str) -> None:
    out = cli.ok("item", "advance", "submit", code, "--as-of", "2015-08-05", env={"RECTIFY_ACTOR": "head"})
    assert out == f"{code}: submit in_progress → submitted\n"


def test_unknown_role(cli: Cli, code: str) -> None:
    refused(cli, INVALID, "person", "add", "--actor", "admin", "liu", "--name", "刘", "--role", "督查",
            names=("role '督查' is not a valid role key",), fix="roles are keys from the definition")
    # a role the campaign does not define gives no right at all
    cli.ok("person", "add", "--actor", "admin", "liu", "--name", "刘", "--unit", "dcs", "--role", "inspector")
    refused(cli, INVALID, "item", "advance", "submit", code, "--actor", "liu", "--as-of", "2015-08-05",
            names=("'submit' refused",), fix="rectify item triggers CODE")


def test_unknown_person_as_leader(cli: Cli) -> None:
    item = cli.confirmed()
    refused(cli, INVALID, "item", "rectify", item, "--measures", "m", "--leader", "nobody-here",
            "--actor", "head", "--as-of", "2015-08-05", names=("unknown person 'nobody-here'",),
            fix="rectify person add")


# --- refused by the domain --------------------------------------------------------------------------


def test_a_trigger_not_allowed_in_the_current_state(cli: Cli, code: str) -> None:
    err = refused(cli, INVALID, "item", "advance", "verify", code, "--actor", "sup", "--as-of", "2015-08-05",
                  names=("'verify' refused",), fix="rectify item triggers CODE")
    assert "not allowed from state 'in_progress' (only from submitted)" in err


def test_a_trigger_refused_by_a_guard(cli: Cli) -> None:
    item = cli.add_item()
    err = refused(cli, INVALID, "item", "rectify", item, "--measures", "m", "--actor", "head",
                  "--as-of", "2015-08-05", names=("'plan'", item, "refused"), fix="rectify item triggers")
    assert "has not been confirmed yet" in err and "[item_confirmed]" in err


def test_plan_goes_through_item_rectify(cli: Cli) -> None:
    """'plan' without measures or a deadline would leave a blank line in the ledger."""
    item = cli.confirmed()
    refused(cli, INVALID, "item", "advance", "plan", item, "--actor", "head", "--as-of", "2015-08-05",
            names=("'plan' records the rectification plan itself",), fix="rectify item rectify CODE")


def test_a_trigger_refused_for_the_role(cli: Cli, code: str) -> None:
    err = refused(cli, INVALID, "item", "advance", "submit", code, "--actor", "sup", "--as-of", "2015-08-05",
                  names=("'submit' refused",), fix="rectify item triggers CODE")
    assert "actor 'sup' holds no role that may fire it (roles that may: unit-head)" in err


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--as-of", "2015-13-01", "--as-of '2015-13-01' is not a real date"),
    ("--as-of", "2015-02-30", "--as-of '2015-02-30' is not a real date"),
    ("--as-of", "yesterday", "--as-of 'yesterday' is not a date"),
    ("--as-of", "08/05/2015", "--as-of '08/05/2015' is not a date"),
    ("--deadline", "30.9.2015", "--deadline '30.9.2015' is not a date"),
])
def test_a_date_in_the_wrong_format(cli: Cli, option: str, value: str, says: str) -> None:
    item = cli.confirmed()
    args = ["item", "rectify", item, "--measures", "m", "--actor", "head"]
    args += [option, value] if option == "--as-of" else [option, value, "--as-of", "2015-08-05"]
    refused(cli, INVALID, *args, names=(says,), fix="hint:")


def test_other_date_forms_offices_type_are_accepted(cli: Cli) -> None:
    item = cli.confirmed()
    assert cli.ok("item", "rectify", item, "--measures", "m", "--deadline", "2015年9月30日",
                  "--actor", "head", "--as-of", "2015/8/5") == \
        f"{item}: rectification planned, deadline 2015-09-30\n"


# --- usage errors (exit 2) ----------------------------------------------------------------------------


def test_usage_errors_exit_2(cli: Cli) -> None:
    before = dump(cli.db)
    result = cli.invoke("itme", "list", CAMPAIGN, db=False)
    assert result.exit_code == USAGE and "Did you mean 'item'?" in result.stderr
    result = cli.invoke("item", "add", CAMPAIGN)
    assert result.exit_code == USAGE and "Missing option '--title'" in result.stderr
    result = cli.invoke("item", "advance", "confirm", "--actor", "sup")
    assert result.exit_code == USAGE and "give at least one item CODE" in result.stderr
    for r in (result,):
        assert "Traceback" not in r.output
    assert dump(cli.db) == before


# --- the environment -------------------------------------------------------------------------------


def test_a_locked_database_is_busy_retry(cli: Cli, code: str) -> None:
    before = dump(cli.db)
    holder = sqlite3.connect(cli.db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        err = cli.fails(CONFLICT, "item", "advance", "submit", code, "--actor", "head",
                        "--as-of", "2015-08-05")
        assert err.splitlines()[0] == "Error: the database is busy (locked by another writer)"
        assert "hint: retry in a moment" in err
        # readers are not blocked by a writer
        assert code in cli.ok("item", "list", CAMPAIGN)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert dump(cli.db) == before
    cli.ok("item", "advance", "submit", code, "--actor", "head", "--as-of", "2015-08-05")  # retry works


def test_a_read_only_database_is_an_environment_problem(cli: Cli, code: str) -> None:
    # SQLite's own read-only mode: works even as root, whom file permissions do not stop
    url = f"sqlite:///file:{cli.db}?mode=ro&uri=true"
    before = dump(cli.db)
    result = cli.invoke("item", "advance", "submit", code, "--actor", "head", "--as-of", "2015-08-05",
                        "--db", url, db=False)
    assert result.exit_code == ENVIRONMENT, result.output
    assert "Traceback" not in result.output and not result.stdout
    first = result.stderr.splitlines()[0]
    assert first.startswith("Error: cannot write the database") and "readonly" in first
    assert "hint: check the file's permissions" in result.stderr
    assert dump(cli.db) == before
    # reading still works
    assert cli.invoke("item", "list", CAMPAIGN, "--db", url, db=False).exit_code == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="file permissions do not stop root from writing; "
                                              "test_a_read_only_database_is_an_environment_problem "
                                              "covers read-only files with SQLite's mode=ro")
def test_a_read_only_file_is_an_environment_problem(cli: Cli, code: str) -> None:
    before = dump(cli.db)
    folder = cli.db.parent
    modes = {p: p.stat().st_mode for p in (folder, *folder.glob("rectify.db*"))}
    try:
        for path in modes:
            path.chmod(stat.S_IRUSR | (stat.S_IXUSR if path.is_dir() else 0))
        err = cli.fails(ENVIRONMENT, "item", "advance", "submit", code, "--actor", "head",
                        "--as-of", "2015-08-05")
        assert "cannot write the database" in err or "unable to open" in err
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    assert dump(cli.db) == before


def test_a_database_from_a_newer_rectify(cli: Cli, code: str) -> None:
    conn = sqlite3.connect(cli.db)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    before = dump(cli.db)
    for args in (["item", "list", CAMPAIGN], ["unit", "list"],
                 ["item", "advance", "submit", code, "--actor", "head", "--as-of", "2015-08-05"],
                 ["init"]):
        err = cli.fails(ENVIRONMENT, *args)
        assert "schema (9999) is newer than this version of rectify" in err.splitlines()[0], args
        assert "hint: upgrade rectify" in err
    assert dump(cli.db) == before


def test_no_database_yet(tmp_path: Path) -> None:
    missing = Cli(tmp_path / "missing.db")
    err = missing.fails(ENVIRONMENT, "unit", "list")
    assert err.splitlines()[0] == f"Error: no database at {missing.db}"
    assert "hint: run 'rectify init'" in err
    assert not missing.db.exists()  # looking did not create it
    err = Cli(tmp_path / "no" / "such" / "folder.db").fails(ENVIRONMENT, "init")
    assert f"folder {tmp_path / 'no' / 'such'} does not exist" in err


def test_a_database_without_our_schema(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()
    err = Cli(other).fails(ENVIRONMENT, "unit", "list")
    assert "has no Rectify schema" in err and "rectify init" in err


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("not a database\n" * 100, encoding="utf-8")
    for args in (["unit", "list"], ["init"]):
        err = Cli(text).fails(ENVIRONMENT, *args)
        assert "is not a usable database" in err.splitlines()[0] and "--db" in err
    assert text.read_text(encoding="utf-8") == "not a database\n" * 100
