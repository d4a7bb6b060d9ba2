"""A Chinese reader of seed 001's replayed campaign meets no English word in the listings:
every Latin word left in what the commands print is an identifier someone typed (a person's
key, a unit's code, a category's key, an item code) or a name the program cannot translate
(a time zone, a package).  Catches a status, a kind or a rule shown by its key, which the
static catalogue test cannot see."""

from __future__ import annotations

import re
import sqlite3

import pytest
from click.testing import CliRunner

from campaigns.cli import cli
from tests.test_cli_common import example_replay

replay_module = example_replay("wgbw-2015")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9]")
NAMES = {"Asia/Shanghai", "chinesecalendar", "holidays", "rectify", "CODE"}
COMMANDS = [
    "campaign list", "campaign status wgbw-2015", "item list wgbw-2015",
    "item show WGBW-2015-0013", "item show WGBW-2015-0001", "notices wgbw-2015",
    "accountability list wgbw-2015", "mechanism list wgbw-2015", "unit list",
    "audit verify wgbw-2015", "item triggers WGBW-2015-0050 --actor liu-dcs",
    "calendar show 2015", "tick wgbw-2015 --dry-run", "filing status wgbw-2015",
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("zh") / "wgbw.db")
    replay_module.replay(path)
    return path


def identifiers(db: str) -> set[str]:
    """What people typed as keys: they stay as typed in any language."""
    with sqlite3.connect(db) as conn:
        found = {r[0] for q in ("SELECT key FROM people", "SELECT code FROM units",
                                "SELECT key FROM campaigns", "SELECT code FROM items",
                                "SELECT category FROM items", "SELECT source FROM items",
                                "SELECT key FROM stages", "SELECT filing FROM filings")
                 for r in conn.execute(q) if r[0]}
    return found | {p for k in found for p in k.split("-")}


@pytest.mark.parametrize("command", COMMANDS)
def test_no_english_word_reaches_a_chinese_reader(db: str, command: str) -> None:
    dated = [] if command.startswith(("campaign list", "calendar")) else ["--as-of", "2015-12-31"]
    result = CliRunner().invoke(cli, ["--lang", "zh_CN", *command.split(), "--db", db, *dated])
    assert result.exit_code == 0, result.output
    known = identifiers(db) | NAMES
    text = re.sub(r"'rectify [^']*'", "", result.output)  # a command to type stays a command
    left = sorted({w for w in WORD.findall(text)
                   if w not in known and not re.fullmatch(r"WGBW-\d{4}-\d{4}", w)})
    assert not left, f"rectify {command}: {left}\n{result.output[:3000]}"


@pytest.fixture(scope="module")
def zuofeng(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Seed 002's commitments over 2009 (examples/zuofeng-2009)."""
    path = str(tmp_path_factory.mktemp("zh") / "zuofeng.db")
    example_replay("zuofeng-2009", "replay_commitments.py").replay(path)
    return path


# the stage kinds seed 002 names itself (攻坚, 深化 …) are its definition's keys, like a category
KINDS = {"tackle", "implement", "deepen", "advance"}


@pytest.mark.parametrize("command", [
    "commitment list zuofeng-2009", "commitment list zuofeng-2009 --checkins",
    "mechanism list zuofeng-2009", "campaign status zuofeng-2009"])
def test_no_english_word_in_the_registers(zuofeng: str, command: str) -> None:
    result = CliRunner().invoke(cli, ["--lang", "zh_CN", *command.split(), "--db", zuofeng,
                                      "--as-of", "2009-12-31"])
    assert result.exit_code == 0, result.output
    known = identifiers(zuofeng) | NAMES | KINDS
    left = sorted({w for w in WORD.findall(result.output)  # a period's code (2009-W14) is a date
                   if w not in known and not re.fullmatch(r"[WQH]\d{1,2}", w)})
    assert not left, f"rectify {command}: {left}\n{result.output[:3000]}"
