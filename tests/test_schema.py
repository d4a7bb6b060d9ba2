"""The JSON Schema of the definition format, as `rectify schema` prints it."""

from __future__ import annotations

import copy
import glob
import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from campaigns.cli import cli
from engine.core.registry import default_registry
from engine.core.schema import build_schema
from engine.core.yamlsource import load_file

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = sorted(glob.glob(str(ROOT / "definitions" / "*.yaml")))
IDS = [os.path.basename(p) for p in DEFINITIONS]


@pytest.fixture(scope="module")
def printed_schema() -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def validator(printed_schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(printed_schema)


def data_of(path: str) -> dict[str, Any]:
    """What the schema is applied to: our loader's data (dates stay strings)."""
    doc, problems = load_file(path)
    assert problems == [] and doc is not None
    return doc.data


def test_printed_schema_is_a_valid_draft_2020_12_schema(printed_schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(printed_schema)
    assert printed_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_printed_schema_is_the_one_the_loader_uses(printed_schema: dict[str, Any]) -> None:
    assert printed_schema == json.loads(json.dumps(build_schema(default_registry())))


def test_printed_schema_includes_plugin_sections(printed_schema: dict[str, Any]) -> None:
    props = printed_schema["properties"]
    assert {"format", "stages", "machines", "roles", "timers", "escalation"} <= set(props)
    assert {"campaign", "categories", "sources", "import"} <= set(props)
    assert {"format", "stages", "campaign", "categories"} <= set(printed_schema["required"])
    assert printed_schema["additionalProperties"] is False


def test_printed_schema_is_unicode_not_escaped() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert "\\u" not in result.stdout and "治理重点" in result.stdout  # ensure_ascii=False


@pytest.mark.parametrize("path", DEFINITIONS, ids=IDS)
def test_schema_accepts_each_shipped_definition(path: str, validator: Draft202012Validator) -> None:
    errors = sorted(validator.iter_errors(data_of(path)), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


@pytest.mark.parametrize("path", DEFINITIONS, ids=IDS)
def test_schema_with_safe_load_dates_would_fail(path: str, validator: Draft202012Validator) -> None:
    """Why the schema is applied to our loader's data: safe_load turns dates into date objects."""
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    dates = [s for s in data["stages"] if not isinstance(s["start"], str)]
    if not dates:
        pytest.skip("this definition writes no absolute dates")
    assert list(validator.iter_errors(data))


def _mutate(data: dict[str, Any], *path: str | int, value: Any = None, delete: bool = False
            ) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target: Any = out
    for part in path[:-1]:
        target = target[part]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


@pytest.mark.parametrize("change, where", [
    (dict(path=("format",), value=2), ["format"]),
    (dict(path=("format",), value="1"), ["format"]),
    (dict(path=("stages",), value=[]), ["stages"]),
    (dict(path=("stages", 0, "start"), value="July 1st"), ["stages", 0, "start"]),
    (dict(path=("stages", 0, "start"), value="+5"), ["stages", 0, "start"]),
    (dict(path=("stages", 0, "start"), value="5d"), ["stages", 0, "start"]),
    (dict(path=("stages", 0, "key"), value="Mobilize"), ["stages", 0, "key"]),
    (dict(path=("stages", 0, "kind"), delete=True), ["stages", 0]),
    (dict(path=("stages", 0, "colour"), value="red"), ["stages", 0]),
    (dict(path=("deadlines",), value={"default_limit": "20 days"}), ["deadlines", "default_limit"]),
    (dict(path=("calendar",), value={"region": "us"}), ["calendar", "region"]),
    (dict(path=("calendar",), value={"days_off": ["2015-10-01T00:00"]}), ["calendar", "days_off", 0]),
    (dict(path=("roles",), value={"x": {"triggers": []}}), ["roles", "x"]),
    (dict(path=("roles",), value={"X": {"title": "t"}}), ["roles"]),
    (dict(path=("lifecycle",), value=None), ["lifecycle"]),
    (dict(path=("surprise",), value=1), []),
    (dict(path=("campaign",), delete=True), []),
])
def test_schema_rejects_wrong_shapes(change: dict[str, Any], where: list[Any],
                                     validator: Draft202012Validator) -> None:
    data = data_of(DEFINITIONS[0])
    path = change.pop("path")
    broken = _mutate(data, *path, **change)
    errors = list(validator.iter_errors(broken))
    assert errors, f"{path} {change} was accepted"
    assert any(list(e.absolute_path) == where for e in errors), \
        [(list(e.absolute_path), e.message) for e in errors]


@pytest.mark.parametrize("call", ["note_required", {"min_done_share": {"machine": "x", "share": 1}},
                                  {"window_ended": None}])
def test_calls_may_be_names_or_single_key_mappings(call: Any, validator: Draft202012Validator) -> None:
    data = _mutate(data_of(DEFINITIONS[0]), "stages", 0, "exit", value=[call])
    assert not list(validator.iter_errors(data))


@pytest.mark.parametrize("call", ["Note Required", {"a": {}, "b": {}}, {}, {"a": 5}, 5])
def test_malformed_calls_are_rejected(call: Any, validator: Draft202012Validator) -> None:
    data = _mutate(data_of(DEFINITIONS[0]), "stages", 0, "exit", value=[call])
    assert list(validator.iter_errors(data))
