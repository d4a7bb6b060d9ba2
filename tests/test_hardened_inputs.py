"""Inputs that used to hang, crash or slip through: special files, time zones, keys and texts
longer than their columns, values refused by one door and accepted by another, and every
"unexpected" error of the trust probe, each now a clear message with its exit code."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest
from test_cli_common import CAMPAIGN, WGBW, Cli, dump, seeded

HEAD = "序号,单位,问题描述,问题类别,问题来源\n"


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


def _definition(tmp_path: Path, old: str, new: str, name: str = "d.yaml") -> Path:
    text = WGBW.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


# --- only regular files --------------------------------------------------------------------------


def _fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


def _no_writer_blocked(cli: Cli) -> None:
    """Another writer gets the database straight away: nothing holds its lock."""
    conn = sqlite3.connect(cli.db, timeout=0.5)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.rollback()
    finally:
        conn.close()


def _validate(cli: Cli, path: Path) -> str:
    result = cli.invoke("validate", str(path), db=False)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    return result.stderr


def test_validate_refuses_a_fifo(cli: Cli, tmp_path: Path) -> None:
    fifo = _fifo(tmp_path, "d.yaml")
    assert "named pipe (FIFO), not a regular file" in _validate(cli, fifo)


@pytest.mark.parametrize("args", [
    ("campaign", "start", "{fifo}.yaml", "--start", "2016-07-01", "--key", "x", "--actor", "lead"),
    ("item", "import", CAMPAIGN, "{fifo}.csv", "--actor", "lead", "--as-of", "2015-08-03"),
    ("item", "import", CAMPAIGN, "{fifo}.xlsx", "--actor", "lead", "--as-of", "2015-08-03"),
    ("unit", "import", "{fifo}.csv"),
    ("item", "advance", "confirm", "--from-file", "{fifo}.txt", "--actor", "sup"),
])
def test_a_fifo_is_refused_at_once(cli: Cli, tmp_path: Path, args: tuple[str, ...]) -> None:
    fifo = _fifo(tmp_path, "pipe" + os.path.splitext(args[-1] if "{" in args[-1] else
                                                    next(a for a in args if "{" in a))[1])
    argv = [a.replace("{fifo}" + os.path.splitext(a)[1], str(fifo)) if "{fifo}" in a else a
            for a in args]
    before = dump(cli.db)
    done: list[str] = []
    worker = threading.Thread(target=lambda: done.append(cli.fails(1, *argv)), daemon=True)
    worker.start()
    worker.join(20)
    if worker.is_alive():  # unblock the reader, then fail
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        worker.join(5)
        pytest.fail(f"rectify {' '.join(args)} blocked on a FIFO")
    assert "named pipe (FIFO), not a regular file" in done[0], done[0]
    _no_writer_blocked(cli)
    assert dump(cli.db) == before


def test_a_directory_or_device_is_refused(cli: Cli, tmp_path: Path) -> None:
    out = cli.fails(1, "item", "advance", "confirm", "--from-file", "/dev/null", "--actor", "sup")
    assert "character device, not a regular file" in out
    out = cli.fails(1, "item", "advance", "confirm", "--from-file", str(tmp_path), "--actor",
                    "sup")
    assert "is a directory, not a regular file" in out


def test_import_reads_its_file_before_the_write_transaction(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(HEAD + '1,czj,"unterminated,服务群众不热心,自查\n2,czj,b,服务群众不热心,自查\n',
                    encoding="utf-8")
    out = cli.fails(1, "item", "import", CAMPAIGN, str(path), "--actor", "lead",
                    "--as-of", "2015-08-03")
    assert "row 2: a quote (\") is opened and never closed" in out, out
    assert "is empty" not in out


def test_from_file_never_echoes_the_file(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "codes.txt"
    path.write_text("WGBW-2015-0001\nroot:x:0:0:secret:/root:/bin/bash\n", encoding="utf-8")
    out = cli.fails(1, "item", "advance", "confirm", "--from-file", str(path), "--actor", "sup")
    assert "line(s) 2 hold no item code" in out and "secret" not in out and "/bin" not in out
    out = cli.fails(1, "item", "advance", "confirm", "--from-file", "/etc/passwd", "--actor", "sup")
    assert "root:" not in out and "/bin" not in out


# --- time zones, keys and lengths ----------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../../../etc/passwd"])
def test_time_zone_checked_at_validate(cli: Cli, tmp_path: Path, zone: str) -> None:
    path = _definition(tmp_path, "timezone: Asia/Shanghai", f'timezone: "{zone}"')
    out = _validate(cli, path)
    assert "error[bad-timezone]" in out and "is not a time zone of the tz database" in out
    assert f"{path}:" in out.splitlines()[0]  # located: file:line:column
    before = dump(cli.db)
    cli.fails(1, "campaign", "start", str(path), "--start", "2016-07-01", "--key", "tz",
              "--actor", "lead")
    assert dump(cli.db) == before


def test_keys_with_a_trailing_newline_are_refused(cli: Cli, tmp_path: Path) -> None:
    path = _definition(tmp_path, "key: wgbw-2015", 'key: "wgbw-2016\\n"')
    assert "campaign.key" in _validate(cli, path)
    assert "is not valid" in cli.fails(1, "unit", "add", "abc\n", "--title", "x", "--actor", "admin")
    assert "is not valid" in cli.fails(1, "person", "add", "abc\n", "--name", "x", "--unit",
                                       "czj", "--actor", "admin")
    assert "not a campaign key" in cli.fails(1, "campaign", "start", str(WGBW), "--start",
                                             "2016-07-01", "--key", "k\n", "--actor", "lead")


def test_campaign_keys_fit_and_stay_in_the_folder(cli: Cli, tmp_path: Path) -> None:
    before = dump(cli.db)
    for key in ("k" * 70, "../../x", "A"):
        out = cli.fails(1, "campaign", "start", str(WGBW), "--start", "2016-07-01", "--key", key,
                        "--actor", "lead")
        assert "is not a campaign key" in out
    long_key = _definition(tmp_path, "key: wgbw-2015", "key: " + "k" * 70)
    out = _validate(cli, long_key)
    assert "campaign.key" in out and "is too long" in out
    assert dump(cli.db) == before
    from campaigns.safecells import file_stem

    assert "/" not in file_stem("../../x-stages") and not file_stem("..").startswith(".")


def test_long_import_cells_are_located_errors(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(HEAD + "9" * 200 + ",czj,a,服务群众不热心,自查\n", encoding="utf-8")
    out = cli.fails(1, "item", "import", CAMPAIGN, str(path), "--actor", "lead",
                    "--as-of", "2015-08-03")
    assert "row 2" in out and "序号 is 200 characters long; at most 32 fit" in out


# --- one rule whichever door ---------------------------------------------------------------------


def test_edit_refuses_an_empty_title_like_add(cli: Cli) -> None:
    code = cli.add_item()
    before = dump(cli.db)
    assert "an item needs a title" in cli.fails(1, "item", "edit", code, "--title", " ",
                                                "--actor", "lead", "--as-of", "2015-08-03")
    assert dump(cli.db) == before


def test_import_refuses_a_deadline_before_its_business_date_like_add(cli: Cli,
                                                                      tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("序号,单位,问题描述,问题类别,问题来源,整改时限\n"
                    "1,czj,a,服务群众不热心,自查,2015-07-31\n", encoding="utf-8")
    out = cli.fails(1, "item", "import", CAMPAIGN, str(path), "--actor", "lead",
                    "--as-of", "2015-08-03")
    assert "deadline 2015-07-31 is before the item was found (2015-08-03)" in out
    assert "row 2" in out


# --- the "unexpected" errors ---------------------------------------------------------------------


@pytest.mark.parametrize(("args", "code", "text"), [
    (("report", CAMPAIGN, "--month", "9999-12", "-o", "x.md"), 1, "out of range"),
    (("item", "list", CAMPAIGN, "--as-of", "9999-12-31"), 1, "out of range"),
    (("ledger", CAMPAIGN, "-o", "/nonexistent/dir/x.csv"), 4,
     "cannot write or read /nonexistent/dir/x.csv: No such file or directory"),
    (("campaign", "list", "--db", "mysql://u:pw@h/x"), 1, "works with SQLite and PostgreSQL"),
    (("campaign", "list", "--db", "://::"), 1, "is not a database URL"),
    (("campaign", "status", "\udcff\udcfe"), 2, "argument 3 is not valid UTF-8 text"),
    (("db", "backup", "\x00"), 2, "argument 3 holds a NUL character"),
    (("item", "list", "", "--json"), 1, "unknown campaign ''"),
])
def test_unexpected_errors_are_clear(cli: Cli, args: tuple[str, ...], code: int,
                                     text: str) -> None:
    result = cli.invoke(*args, db="--db" not in args)
    assert result.exit_code == code, result.output
    assert text in result.output and "unexpected" not in result.output
    assert "pw" not in result.output and "Traceback" not in result.output


# --- item codes ----------------------------------------------------------------------------------


def test_a_second_campaign_numbering_the_same_series_is_refused(cli: Cli, tmp_path: Path) -> None:
    before = dump(cli.db)
    out = cli.fails(1, "campaign", "start", str(WGBW), "--start", "2015-09-01", "--key", "again",
                    "--actor", "lead")
    assert "campaign 'wgbw-2015' already numbers its items WGBW-2015-NNNN" in out
    assert "code_prefix" in out and dump(cli.db) == before
    other = _definition(tmp_path, "code_prefix: WGBW", "code_prefix: WGBWB")
    cli.ok("campaign", "start", str(other), "--start", "2015-09-01", "--key", "again",
           "--actor", "lead")
    cli.ok("campaign", "start", str(WGBW), "--start", "2016-07-01", "--key", "next-year",
           "--actor", "lead")
    assert cli.add_item().startswith("WGBW-2015-")
