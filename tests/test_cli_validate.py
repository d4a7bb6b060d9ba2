"""`rectify validate`: every problem, located, on stderr with exit code 1; never a traceback.

The golden file tests/golden/broken-wgbw.txt is the exact output for tests/golden/broken-wgbw.yaml
(a broken copy of definitions/wgbw-2015.yaml).  After an intended change of wording, rewrite it
with ``UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_cli_validate.py`` and review the diff.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from campaigns.cli import cli

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
DEFINITIONS = sorted(glob.glob(str(ROOT / "definitions" / "*.yaml")))
IDS = [os.path.basename(p) for p in DEFINITIONS]
ENV = {"LANGUAGE": "en", "LC_ALL": "C.UTF-8", "LC_MESSAGES": "C.UTF-8", "LANG": "C.UTF-8"}


def rectify(*args: str) -> Result:
    return CliRunner(env=ENV).invoke(cli, list(args), catch_exceptions=False)


def assert_clean_failure(result: Result) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.strip(), "the message goes to stderr"
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert "Error: unexpected" not in result.stderr, result.stderr  # the wording for a bug


@pytest.mark.parametrize("path", DEFINITIONS, ids=IDS)
def test_shipped_definitions_validate(path: str) -> None:
    result = rectify("validate", path)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.startswith(f"{path}: ok")


def test_all_shipped_definitions_at_once() -> None:
    result = rectify("validate", *DEFINITIONS)
    assert result.exit_code == 0, result.output
    headers = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert [h.split(": ok")[0] for h in headers] == DEFINITIONS


def test_json_report_for_shipped_definitions() -> None:
    result = rectify("validate", "--json", *DEFINITIONS)
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert [r["file"] for r in report] == DEFINITIONS
    assert all(r["ok"] and r["problems"] == [] and r["key"] for r in report)


# --------------------------------------------------------------------------- the golden output


def test_golden_output_for_a_broken_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN)
    result = rectify("validate", "broken-wgbw.yaml")
    assert_clean_failure(result)
    assert result.stdout == ""
    golden = GOLDEN / "broken-wgbw.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(result.stderr, encoding="utf-8")
    assert result.stderr == golden.read_text(encoding="utf-8"), (
        "output changed; if intended, rerun with UPDATE_GOLDEN=1 and review the diff")


def test_golden_output_reports_all_eleven_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN)
    result = rectify("validate", "--json", "broken-wgbw.yaml")
    assert result.exit_code == 1
    (report,) = json.loads(result.stdout)
    codes = sorted(p["code"] for p in report["problems"])
    assert codes == sorted(["bad-date", "bad-window", "unknown-guard", "unknown-trigger",
                            "ladder-order", "unknown-state", "unreachable-state", "no-done-state",
                            "timer-on-terminal", "duplicate-key", "unknown-key"])
    lines = (GOLDEN / "broken-wgbw.yaml").read_text(encoding="utf-8").splitlines()
    for p in report["problems"]:
        assert p["file"] == "broken-wgbw.yaml" and p["line"] and p["column"]
        assert 1 <= p["column"] <= len(lines[p["line"] - 1]) + 1


def test_valid_and_broken_files_together(monkeypatch: pytest.MonkeyPatch) -> None:
    result = rectify("validate", DEFINITIONS[0], str(GOLDEN / "broken-wgbw.yaml"))
    assert_clean_failure(result)
    assert ": ok" in result.stdout
    assert result.stderr.rstrip().endswith("11 problem(s) in 1 of 2 file(s)")


# --------------------------------------------------------------------------- bad input


def _billion_laughs() -> bytes:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return ("\n".join(lines) + "\n").encode()


BAD: dict[str, tuple[bytes, str]] = {
    # name: (content, a code that must be reported)
    "malformed": (b"format: 1\nstages: [\n  {key: a\n", "yaml-syntax"),
    "truncated": (b"format: 1\ncampaign:\n  key: x\n  title: \"half", "yaml-syntax"),
    "binary": (b"\x00\x01\x02\x03\xff\xfe", "encoding"),
    "nul": (b"format: 1\x00\n", "binary"),
    "non-utf8": ("format: 1\ncampaign: {title: 整治}\n".encode("utf-16"), "encoding"),
    "alias-bomb": (_billion_laughs(), "yaml-too-large"),
    "recursive-alias": (b"a: &a [*a]\n", "yaml-too-deep"),
    "deep": (b"a: " + b"[" * 10000 + b"]" * 10000, "yaml-too-deep"),
    "tabs": (b"format: 1\nstages:\n\t- key: a\n", "yaml-syntax"),
    "wrong-types": (b"format: one\nstages: {}\ncampaign: 3\ncategories: x\n", "schema"),
    "empty": (b"", "empty"),
    "top-level-list": (b"- 1\n- 2\n", "not-a-mapping"),
    "top-level-scalar": (b"42\n", "not-a-mapping"),
    "duplicate-keys": (b"format: 1\nformat: 1\n", "duplicate-key"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_fails_cleanly(name: str, tmp_path: Path) -> None:
    content, code = BAD[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(content)
    result = rectify("validate", str(path))
    assert_clean_failure(result)
    assert f"error[{code}]" in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:"), first
    line, column = first[len(str(path)) + 1:].split(":")[:2]
    assert line.isdigit() and column.isdigit(), first
    report = json.loads(rectify("validate", "--json", str(path)).stdout)
    assert report[0]["ok"] is False
    assert all(p["file"] == str(path) and p["line"] and p["column"] for p in report[0]["problems"])


def test_enormous_file_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"format: 1\n" + b"# padding padding padding\n" * 100_000)
    result = rectify("validate", str(path))
    assert_clean_failure(result)
    assert f"{path}:1:1: error[too-big]" in result.stderr


def test_missing_file_fails_cleanly(tmp_path: Path) -> None:
    result = rectify("validate", str(tmp_path / "nope.yaml"))
    assert_clean_failure(result)
    assert "error[unreadable]" in result.stderr


def test_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner(env=ENV).invoke(cli, ["validate", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_no_files_is_a_usage_error() -> None:
    result = CliRunner(env=ENV).invoke(cli, ["validate"])
    assert result.exit_code == 2


def test_real_process_exit_code_and_streams(tmp_path: Path) -> None:
    """The console script itself: exit 1, the message on stderr, nothing on stdout."""
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"- a\n")
    proc = subprocess.run([sys.executable, "-c", "from campaigns.cli import main; main()",
                           "validate", str(path)], capture_output=True, text=True,
                          env={**os.environ, **ENV}, timeout=120)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "error[not-a-mapping]" in proc.stderr and "Traceback" not in proc.stderr
