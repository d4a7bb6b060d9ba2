"""The root command: --version, --help, --debug, and how a bug is reported."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_cli_common import ENV, Cli, seeded

from campaigns.cli import cli as rectify


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a process of its own (tracebacks are the interpreter's)."""
    import os

    environ = {k: v for k, v in os.environ.items() if k not in ENV}
    environ.update({"LANG": "C.UTF-8", **(env or {})})
    return subprocess.run([sys.executable, "-c", "from campaigns.cli import main; main()", *args],
                          capture_output=True, text=True, env=environ, timeout=120)


def test_version(cli: Cli) -> None:
    assert cli.ok("--version", db=False) == f"rectify {version('rectify')}\n"


def test_help_lists_the_commands(cli: Cli) -> None:
    out = cli.ok("--help", db=False)
    assert out.startswith("Usage: rectify [OPTIONS] COMMAND [ARGS]...")
    for name in ("campaign", "unit", "person", "item", "init", "--debug", "--lang", "--version"):
        assert name in out
    assert cli.ok("-h", db=False) == out


def test_no_traceback_without_debug(cli: Cli) -> None:
    result = run("campaign", "status", "nope", "--db", str(cli.db))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: unknown campaign 'nope'")
    assert "Traceback" not in result.stderr + result.stdout


def test_debug_shows_the_traceback(cli: Cli) -> None:
    result = run("--debug", "campaign", "status", "nope", "--db", str(cli.db))
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "engine.core.errors.NotFound: unknown campaign 'nope'" in result.stderr


def test_a_bug_says_so_and_points_to_debug(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import campaigns.runs

    def broken(conn: object) -> list[dict[str, str]]:
        raise RuntimeError("the ledger fell over")

    monkeypatch.setattr(campaigns.runs, "list_runs", broken)
    result = CliRunner().invoke(rectify, ["campaign", "list", "--db", str(cli.db)], env=ENV)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["Error: unexpected RuntimeError: the ledger fell over",
                                          "  hint: run again with --debug and report the traceback"]
    assert "Traceback" not in result.output
    debug = CliRunner().invoke(rectify, ["--debug", "campaign", "list", "--db", str(cli.db)], env=ENV)
    assert isinstance(debug.exception, RuntimeError)  # left to the interpreter, which prints it


def test_rectify_db_names_the_database(cli: Cli) -> None:
    out = cli.ok("campaign", "list", db=False, env={"RECTIFY_DB": str(cli.db)})
    assert "wgbw-2015" in out
    # --db wins over the environment
    assert "wgbw-2015" in cli.ok("campaign", "list", env={"RECTIFY_DB": "/nonexistent/x.db"})
