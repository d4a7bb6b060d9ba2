"""`rectify validate` checks what guards and actions name: fields, supplied values, parameters.

Before these checks a misspelt action field passed `validate` and failed at `item advance` with
an unexpected database error.  Each problem is located at the value written, with a hint.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Table
from test_cli_common import dump, seeded

from campaigns.cli import cli
from campaigns.plugin import ACTION_FIELDS, PLUGIN, SUPPLIED
from campaigns.tables import ITEMS, RECTIFICATIONS
from engine.core.errors import DefinitionInvalid
from engine.core.loader import loads
from engine.core.plugins import Plugin
from engine.core.registry import Registry, default_registry

ROOT = Path(__file__).resolve().parent.parent
WGBW = ROOT / "definitions" / "wgbw-2015.yaml"
ENV = {"LANGUAGE": "en", "LC_ALL": "C.UTF-8", "LC_MESSAGES": "C.UTF-8", "LANG": "C.UTF-8"}


def override(machine: str, trigger: str, part: str, calls: list[str]) -> str:
    """The shipped wgbw-2015 definition with one transition's guards or actions replaced."""
    lines = "".join(f"          - {c}\n" for c in calls)
    return (WGBW.read_text(encoding="utf-8") + f"\nmachines:\n  {machine}:\n    transitions:\n"
            f"      - trigger: {trigger}\n        {part}:\n{lines}")


def validate(tmp_path: Path, text: str) -> tuple[Result, str]:
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner(env=ENV).invoke(cli, ["validate", str(path)], catch_exceptions=False)
    return result, str(path)


def position(text: str, needle: str) -> tuple[int, int]:
    """Line and column (1-based) of the last occurrence of ``needle``."""
    index = text.rindex(needle)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def only_problem(result: Result) -> tuple[str, str | None]:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "unexpected" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("1 problem(s)"), result.stderr
    hint = lines[1].strip().removeprefix("hint: ") if lines[1].startswith("  hint:") else None
    return lines[0], hint


CASES = [
    # (machine, trigger, part, call, where it points, code, hint)
    ("rectification", "return", "actions", "set_field: {field: deadlne}", "field: deadlne",
     "unknown-field", "did you mean 'deadline'?"),
    ("item", "reopen", "actions", "set_field: {field: closed_on, vaule: 1}", "vaule: 1",
     "unknown-param", "did you mean 'value'?"),
    ("rectification", "approve-extension", "actions", "copy_param: {name: deadline}",
     "copy_param", "missing-param", "write {copy_param: {field: ...}}"),
    ("item", "reopen", "actions", "increment: {field: 3}", "field: 3", "bad-param", None),
    ("rectification", "approve-extension", "actions",
     "copy_param: {name: dedline, field: deadline}", "name: dedline", "unknown-supplied",
     "did you mean 'deadline'?"),
    ("rectification", "approve-extension", "guards", "param_not_past: {name: deadlin}",
     "name: deadlin", "unknown-supplied", "did you mean 'deadline'?"),
    ("item", "reopen", "actions", "increment: {field: closed_on}", "field: closed_on",
     "field-type",
     "a date is stamped (stamp_date) or copied from what a command supplies (copy_param)"),
    ("item", "reopen", "actions", "stamp_date: {field: reopen_count}", "field: reopen_count",
     "field-type", None),
    ("rectification", "return", "actions", "set_field: {field: returns}", "field: returns",
     "field-type", "give the value to set: {set_field: {field: ..., value: ...}}"),
    ("item", "reopen", "actions", "set_field: {field: reopen_count, value: yes}",
     "field: reopen_count", "field-type", None),
    ("item", "reopen", "actions", "copy_param: {name: deadline, field: reopen_count}",
     "field: reopen_count", "field-type", None),
    # a field of the other machine
    ("item", "close", "actions", "stamp_date: {field: completed_on}", "field: completed_on",
     "unknown-field", "did you mean 'closed_on'?"),
]


@pytest.mark.parametrize("machine, trigger, part, call, token, code, hint", CASES,
                         ids=[f"{c[5]}:{c[3]}" for c in CASES])
def test_each_problem_is_located_with_a_hint(tmp_path: Path, machine: str, trigger: str,
                                             part: str, call: str, token: str, code: str,
                                             hint: str | None) -> None:
    text = override(machine, trigger, part, [call])
    result, path = validate(tmp_path, text)
    first, given = only_problem(result)
    line, column = position(text, token)
    assert first.startswith(f"{path}:{line}:{column}: error[{code}]: "), first
    assert given == hint


def test_every_problem_at_once(tmp_path: Path) -> None:
    text = override("rectification", "approve-extension", "actions", [
        "set_field: {field: deadlne}", "copy_param: {name: dedline, field: deadline}",
        "increment: {feild: returns}", "stamp_date: {field: 5}"])
    result, _ = validate(tmp_path, text)
    assert result.exit_code == 1
    codes = [line.split("error[")[1].split("]")[0] for line in result.stderr.splitlines()
             if "error[" in line]
    assert sorted(codes) == ["bad-param", "missing-param", "unknown-field", "unknown-param",
                             "unknown-supplied"]  # 'feild' is unknown and 'field' missing


def test_what_the_shipped_lifecycle_writes_is_valid(tmp_path: Path) -> None:
    """Values of the right type, clearing where a field may be empty, a supplied deadline."""
    text = override("rectification", "approve-extension", "actions", [
        "copy_param: {name: deadline, field: deadline}", "set_field: {field: level}",
        "set_field: {field: level, value: 督办}", "set_field: {field: returns, value: 0}",
        "increment: {field: returns}", "stamp_date: {field: submitted_on}"])
    result, path = validate(tmp_path, text)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{path}: ok")


def test_a_definition_that_failed_at_advance_cannot_start(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    cli = seeded(tmp_path, tmp_path_factory, campaign=False)
    text = override("rectification", "return", "actions", ["set_field: {field: deadlne}"])
    path = tmp_path / "site.yaml"
    path.write_text(text.replace("key: wgbw-2015", "key: wgbw-typo", 1), encoding="utf-8")
    before = dump(cli.db)
    error = cli.fails(1, "campaign", "start", str(path), "--start", "2015-07-01",
                      "--actor", "lead")
    assert "error[unknown-field]" in error and "did you mean 'deadline'?" in error
    assert dump(cli.db) == before


# --------------------------------------------------------------------------- the declarations


@pytest.mark.parametrize("machine, table", [("item", ITEMS), ("rectification", RECTIFICATIONS)])
def test_declared_fields_are_columns_of_the_same_type(machine: str, table: Table) -> None:
    fields = ACTION_FIELDS[machine]
    assert PLUGIN.fields[machine] is fields
    for name, declared in fields.items():
        column = table.c[name]
        types = declared if isinstance(declared, tuple) else (declared,)
        assert column.type.python_type in types, name
        assert (type(None) in types) == bool(column.nullable), name


def test_supplied_values_are_what_advance_supplies() -> None:
    assert SUPPLIED == {"deadline": dt.date}
    assert default_registry().params == SUPPLIED


def test_a_machine_no_plugin_declares_has_no_settable_fields() -> None:
    """The engine knows no field of its own: fields come from the plugins' declarations."""
    registry = default_registry()
    bare = Registry(plugins={"campaigns": Plugin("campaigns", PLUGIN.sections, PLUGIN.presets,
                                                 PLUGIN.identify)},
                    guards=registry.guards, actions=registry.actions)
    text = WGBW.read_text(encoding="utf-8")
    loads(text, "wgbw.yaml", registry)
    with pytest.raises(DefinitionInvalid) as info:
        loads(text, "wgbw.yaml", bare)
    problems = info.value.problems
    # nor any side of the separation of duties: the roles' sides are refused too
    assert {p.code for p in problems} == {"unknown-field", "unknown-supplied", "unknown-side"}
    assert all(p.location.line for p in problems)
    assert any("fields an action may set: none" == p.hint for p in problems)
