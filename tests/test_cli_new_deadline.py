"""`item advance` says the deadline a move set (return, reopen, approval), in text and --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_common import Cli, seeded


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


def test_return_prints_the_default_or_the_given_deadline(cli: Cli) -> None:
    a = cli.submitted(as_of="2015-08-03")
    # after_return: 10 working days from Monday 08-10 = 08-24
    out = cli.ok("item", "advance", "return", a, "--note", "材料不全", "--actor", "sup",
                 "--as-of", "2015-08-10")
    assert out == f"{a}: return submitted → in_progress; new deadline 2015-08-24\n"
    cli.ok("item", "advance", "submit", a, "--actor", "head", "--as-of", "2015-08-11")
    moved = json.loads(cli.ok("item", "advance", "return", a, "--note", "仍不全", "--deadline",
                              "2015-09-15", "--actor", "sup", "--as-of", "2015-08-12", "--json"))
    assert [(m["code"], m["to"], m["new_deadline"]) for m in moved] == [
        (a, "in_progress", "2015-09-15")]


def test_reopen_prints_its_deadline_and_moves_without_one_print_none(cli: Cli) -> None:
    a, b, c = (cli.submitted(as_of="2015-08-03") for _ in range(3))
    out = cli.ok("item", "advance", "return", b, c, "--note", "材料不全", "--actor", "sup",
                 "--as-of", "2015-08-04")
    assert out == "return: 2 items advanced; new deadline 2015-08-18\n"
    moved = json.loads(cli.ok("item", "advance", "submit", b, "--actor", "head", "--as-of",
                              "2015-08-04", "--json"))
    assert moved[0]["new_deadline"] is None
    verified = cli.ok("item", "advance", "verify", a, "--actor", "sup", "--as-of", "2015-08-04")
    assert "deadline" not in verified
    assert json.loads(cli.ok("item", "show", a, "--json"))["state"] == "closed"
    out = cli.ok("item", "advance", "reopen", a, "--note", "回头看发现反弹", "--deadline",
                 "2015-10-30", "--actor", "sup", "--as-of", "2015-09-01")
    assert out == (f"{a}: reopen closed → confirmed; rework verified → in_progress (automatic); "
                   "new deadline 2015-10-30\n")
