"""Random argument lists for every command of the click tree, against a small real SQLite
database: no "unexpected" error, no traceback, an exit code of the documented set, and the
database unchanged (every table dumped) whenever a command fails.

Values come from a pool of what users type and what probes type (real keys and codes, dates
out of range, formulas, path tricks, over-long keys, bytes that are not UTF-8), drawn per
option; output options write only into a scratch folder.  Derandomized, so a run in CI is
the run a developer repeats.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st
from test_cli_common import ENV, copy_db, dump, template

from campaigns.cli import cli

EXIT_CODES = {0, 1, 2, 3, 4}  # docs/cli.md#exit-codes
OUTPUTS = {"output", "folder"}  # options naming a file or folder to write
INPUTS = {"definition", "file", "files", "definition_file", "evidence", "from_file"}

TEXT = ["wgbw-2015", "WGBW-2015-0001", "WGBW-2015-0002", "WGBW-2015-9999", "czj", "czj-bgs",
        "county", "sup", "lead", "head", "clerk", "nobody", "confirm", "verify", "submit",
        "dismiss", "return", "2015-08-03", "2015-09-30", "2015-07-01", "9999-12-31",
        "0000-00-00", "2015-02-30", "1899-12-31", "2015-09", "9999-12", "", " ", "=1+2", "-3",
        "@x", "+1", "../../x", "k" * 70, "9" * 200, "a\nb", "key\n", "\udcff\udcfe", "-",
        "--", "passive-attitude", "public-report", "服务群众不热心", "群众反映举报", "supervision",
        "reminder", "unit-head", "lead-office", "<script>alert(1)</script>", "'; DROP TABLE items;--",
        "%s", "{x}", "0", "-1", "99999999999999999999", "zh_CN", "NaN"]


def _commands() -> list[tuple[list[str], click.Command]]:
    ctx = click.Context(cli)
    found: list[tuple[list[str], click.Command]] = []

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, [*path, name])
        else:
            found.append((path, command))

    walk(cli, [])
    return found


# 'serve' runs until stopped, so it is no argv-in, exit-code-out command; tests/test_web_*
# cover it, and tests/test_web_access.py its refusals
COMMANDS = [(path, command) for path, command in _commands() if path != ["serve"]]


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A seeded database with two items (one planned), its dump, and files to read."""
    from test_cli_common import Cli

    base = tmp_path_factory.mktemp("fuzz")
    seed = base / "seed.db"
    copy_db(template(tmp_path_factory), seed)
    c = Cli(seed)
    first = c.add_item()
    c.ok("item", "advance", "confirm", first, "--actor", "sup", "--as-of", "2015-08-03")
    c.ok("item", "rectify", first, "--measures", "m", "--deadline", "2015-09-30", "--actor",
         "head", "--as-of", "2015-08-03")
    c.add_item(title="=1+2")
    files = base / "in"
    files.mkdir()
    (files / "items.csv").write_text("序号,单位,问题描述,问题类别,问题来源\n1,czj,t,服务群众不热心,自查\n",
                                     encoding="utf-8")
    (files / "bad.csv").write_text('a,"b\n', encoding="utf-8")
    (files / "codes.txt").write_text("WGBW-2015-0001\n", encoding="utf-8")
    (files / "def.yaml").write_text("campaign: [\n", encoding="utf-8")
    inputs = [str(p) for p in sorted(files.iterdir())] + [
        str(Path(__file__).resolve().parent.parent / "definitions" / "wgbw-2015.yaml"),
        str(files), str(files / "missing.csv"), "/dev/null", "/etc/passwd"]
    out = base / "out"
    out.mkdir()
    outputs = [str(out / n) for n in ("l.xlsx", "l.csv", "r.md", "r.html", "d.svg", "d.dot",
                                      "x.pdf", "noext", "dir")] + [str(out / "no" / "x.csv")]
    yield {"seed": seed, "dump": dump(seed), "work": base / "work.db", "inputs": inputs,
           "outputs": outputs, "cwd": out}


def _value(param: click.Parameter, place: dict[str, Any]) -> st.SearchStrategy[str]:
    if param.name in OUTPUTS:
        return st.sampled_from(place["outputs"])
    if param.name in INPUTS:
        return st.sampled_from(place["inputs"])
    if isinstance(param.type, click.Choice):
        return st.sampled_from([*map(str, param.type.choices), "nope"])
    if isinstance(param.type, click.types.IntParamType):
        return st.sampled_from(["0", "1", "3", "-1", "x", "99999999999999999999"])
    return st.one_of(st.sampled_from(TEXT), st.text(max_size=12))


@st.composite
def argv(draw: st.DrawFn, place: dict[str, Any]) -> list[str]:
    path, command = draw(st.sampled_from(COMMANDS))
    args: list[str] = []
    if draw(st.booleans()) and draw(st.booleans()):
        args += ["--lang", draw(st.sampled_from(["en", "zh_CN", "xx"]))]
    args += path
    params = [p for p in command.params if p.name != "db"]
    for param in params:
        if isinstance(param, click.Argument):
            count = param.nargs if param.nargs > 0 else draw(st.integers(0, 3))
            if draw(st.integers(0, 9)) == 0:
                count = max(0, count - 1)  # now and then one missing
            args += [draw(_value(param, place)) for _ in range(count)]
        elif isinstance(param, click.Option) and draw(st.integers(0, 2)) == 0:
            flag = draw(st.sampled_from(param.opts))
            if param.is_flag:
                args.append(flag)
            else:
                args += [flag, draw(_value(param, place))]
    if draw(st.integers(0, 19)) == 0:
        args.append(draw(st.sampled_from(["--nope", "extra", "-x"])))
    names = {p.name for p in command.params}
    if "as_of" in names and "--as-of" not in args:
        # without it a command works up to today: the clock catching up ten years of a 2015
        # campaign is a question of speed (docs/performance.md), not of safety
        args += ["--as-of", draw(st.sampled_from(["2015-08-03", "2015-10-31", "2016-01-05"]))]
    if "db" in names:
        args += ["--db", str(place["work"])]
    return args


@settings(max_examples=int(os.environ.get("RECTIFY_FUZZ_EXAMPLES", "250")), deadline=None,
          derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_commands_fail_cleanly(place: dict[str, Any], data: st.DataObject) -> None:
    args = data.draw(argv(place), label="argv")
    copy_db(place["seed"], place["work"])
    here = os.getcwd()
    os.chdir(place["cwd"])  # default output names land in the scratch folder
    try:
        env = {**ENV, "RECTIFY_DB": str(place["work"]), "RECTIFY_ACTOR": None}
        result = CliRunner().invoke(cli, args, env=env, prog_name="rectify")
    finally:
        os.chdir(here)
    output = result.output
    shown = f"rectify {' '.join(map(repr, args))} → {result.exit_code}\n{output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        shown + f"\nraised {result.exception!r}")
    assert result.exit_code in EXIT_CODES, shown
    assert "Traceback" not in output and "Error: unexpected" not in output, shown
    if result.exit_code != 0:
        assert dump(place["work"]) == place["dump"], f"a failed command changed the data: {shown}"
