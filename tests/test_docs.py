"""docs/cli.md documents every command there is: its section, its options, the exit codes and the
environment variables; and every command has help text."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from campaigns.cli import COMMANDS, cli
from engine.core.errors import ExitCode

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def walk(command: click.Command, path: list[str], parent: click.Context | None = None,
         ) -> list[tuple[str, click.Command, click.Context]]:
    """Every command below ``command``; lazy groups are made to load all of theirs."""
    ctx = click.Context(command, info_name=path[-1], parent=parent)
    found = [(" ".join(path), command, ctx)]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"'{' '.join([*path, name])}' is listed but does not load"
            found += walk(sub, [*path, name], ctx)
    return found


COMMAND_TREE = walk(cli, ["rectify"])
LEAVES = [(p, c, ctx) for p, c, ctx in COMMAND_TREE if not isinstance(c, click.Group)]


def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def section(path: str) -> str:
    """The part of docs/cli.md under '### `PATH`', up to the next heading."""
    match = re.search(rf"^### `{re.escape(path)}`\n(.*?)(?=^#)", doc() + "\n#", re.S | re.M)
    assert match, f"docs/cli.md has no section '### `{path}`': add one (purpose, options, example)"
    return match.group(1)


def test_the_tree_is_loaded_whole() -> None:
    paths = {p for p, _c, _ctx in COMMAND_TREE}
    assert {f"rectify {name}" for name in COMMANDS} <= paths
    assert {"rectify item advance", "rectify campaign start", "rectify unit add",
            "rectify person add"} <= paths


@pytest.mark.parametrize(("path", "command"), [(p, c) for p, c, _ctx in COMMAND_TREE],
                         ids=[p for p, _c, _ctx in COMMAND_TREE])
def test_every_command_has_help(path: str, command: click.Command) -> None:
    assert (command.help or "").strip(), f"{path} has no help text (its docstring)"
    if path.count(" ") == 1:
        assert COMMANDS[path.split()[1]][1].strip(), f"{path} has no one-line summary in COMMANDS"


@pytest.mark.parametrize("path", [p for p, _c, _ctx in LEAVES])
def test_every_command_is_documented_with_an_example(path: str) -> None:
    text = section(path)
    assert text.strip().splitlines()[0].strip(), f"{path}: the section starts with its purpose"
    assert f"$ {path}" in text, f"{path}: the section needs an example ('$ {path} ...' with its output)"


@pytest.mark.parametrize(("path", "command", "ctx"), LEAVES, ids=[p for p, _c, _ctx in LEAVES])
def test_every_option_is_documented(path: str, command: click.Command, ctx: click.Context) -> None:
    listed = " ".join(line.split(" — ")[0] for line in section(path).splitlines() if line.startswith("- `"))
    for param in command.get_params(ctx):
        if isinstance(param, click.Option) and "--help" not in param.opts:
            for name in (*param.opts, *param.secondary_opts):
                if name.startswith("--"):
                    assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", listed), (
                        f"{path}: option {name} is not listed in its docs/cli.md section")


def test_the_groups_are_documented() -> None:
    text = doc()
    for path, command, _ctx in COMMAND_TREE:
        if isinstance(command, click.Group) and path != "rectify":
            assert f"### `{path} " in text, f"no subcommand of {path} is documented"


def test_the_exit_codes_are_documented() -> None:
    text = doc()
    rows = dict(re.findall(r"^\| (\d) \| ([^|]+) \|", text, re.M))
    assert sorted(int(code) for code in rows) == [int(c) for c in ExitCode]
    assert "conflict" in rows["3"] and "environment" in rows["4"] and "usage" in rows["2"]


def test_the_environment_is_documented() -> None:
    text = doc()
    variables = {"RECTIFY_DB", "RECTIFY_ACTOR", "LANG", "LC_ALL", "LANGUAGE"}
    for _path, command, ctx in COMMAND_TREE:
        for param in command.get_params(ctx):
            envvar = getattr(param, "envvar", None)
            variables.update([envvar] if isinstance(envvar, str) else (envvar or []))
    table = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    for name in sorted(variables):
        assert f"`{name}`" in table, f"environment variable {name} is not in docs/cli.md's table"


def test_the_global_options_are_documented() -> None:
    text = doc().split("## Global options", 1)[1].split("\n## ", 1)[0]
    for param in cli.get_params(click.Context(cli)):
        for name in param.opts:
            if name.startswith("--"):
                assert f"`{name}" in text, f"global option {name} is not documented"


def test_no_placeholder_is_left() -> None:
    assert "@@" not in doc() and "TODO" not in doc()
