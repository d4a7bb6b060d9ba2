"""Mutated definitions either load or raise DefinitionInvalid with located problems; never a crash."""

from __future__ import annotations

import copy
import functools
import glob
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.core.errors import DefinitionInvalid, Problem
from engine.core.loader import load, loads
from engine.core.spec import Definition
from engine.core.yamlsource import load_text

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = sorted(glob.glob(str(ROOT / "definitions" / "*.yaml")))
FUZZ = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
FILE = "fuzz.yaml"


@functools.cache
def source(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


@functools.cache
def data_of(path: str) -> Any:
    doc, problems = load_text(source(path), path)
    assert doc is not None and not problems
    return doc.data


def assert_accepted_or_located(run: Any, file: str) -> None:
    """The one contract: a Definition, or DefinitionInvalid whose problems are all located."""
    try:
        result = run()
    except DefinitionInvalid as exc:
        assert exc.problems, "DefinitionInvalid with no problems"
        for p in exc.problems:
            assert isinstance(p, Problem), p
            assert p.location.file == file, p
            assert isinstance(p.code, str) and p.code and isinstance(p.message, str)
            assert isinstance(p.format(), str)
            json.dumps(p.as_dict(), ensure_ascii=False)  # what `rectify validate --json` prints
        assert exc.format()
        return
    assert isinstance(result, Definition)


# --------------------------------------------------------------------------- data mutations

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["", "*", "+0d", "-3d", "+1m", "2015-02-30", "2015-07-01", "0000-01-01",
                     "10 working days", "-3 calendar days", "0 calendar days", "standard",
                     "item", "rectification", "confirm", "note_required", "reported", "closed",
                     "within_stage_window", "min_done_share", "fire", "deadline"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)


def paths(data: Any, trail: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [trail]
    if isinstance(data, dict):
        for k, v in data.items():
            out.extend(paths(v, (*trail, k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.extend(paths(v, (*trail, i)))
    return out


def get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


@st.composite
def mutated_data(draw: st.DrawFn) -> Any:
    data = copy.deepcopy(data_of(draw(st.sampled_from(DEFINITIONS))))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        # choose a depth first, so top-level sections are hit as often as deep leaves
        depth = draw(st.integers(1, max(len(p) for p in paths(data))))
        where = [p for p in paths(data) if len(p) == depth]
        kind = draw(st.sampled_from(["delete", "replace", "insert", "duplicate-entry"]))
        if kind == "insert" or not where:
            containers = [p for p in paths(data) if isinstance(get(data, p), (dict, list))
                          and len(p) <= depth]
            target = get(data, draw(st.sampled_from(containers)))
            if isinstance(target, dict):
                key = draw(st.one_of(st.text(max_size=15),
                                     st.sampled_from(["key", "trigger", "source", "dest", "guards",
                                                      "actions", "states", "transitions", "done",
                                                      "initial", "remove", "timers", "machines"])))
                target[key] = draw(VALUES)
            else:
                target.insert(draw(st.integers(0, len(target))), draw(VALUES))
            continue
        path = draw(st.sampled_from(where))
        parent = get(data, path[:-1])
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "replace":
            parent[path[-1]] = draw(VALUES)
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
    return data


@FUZZ
@given(mutated_data())
def test_mutated_data_is_accepted_or_located(data: Any) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    assert_accepted_or_located(lambda: loads(text, FILE), FILE)


@FUZZ
@given(mutated_data())
def test_mutated_data_with_lifecycle_overrides(data: Any) -> None:
    """The preset merge is the least schema-shaped path: aim mutations at machine overrides."""
    if isinstance(data, dict):
        data.setdefault("lifecycle", "standard")
        machines = data.get("machines")
        if not isinstance(machines, dict):
            data["machines"] = {"item": {"states": [{"key": "closed", "title": 5}]}}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    assert_accepted_or_located(lambda: loads(text, FILE), FILE)


OVERRIDES = st.dictionaries(
    st.sampled_from(["item", "rectification", "extra"]),
    st.one_of(VALUES, st.fixed_dictionaries({}, optional={
        "initial": SCALARS, "title": SCALARS,
        "remove": st.one_of(SCALARS, st.lists(SCALARS, max_size=3)),
        "states": st.one_of(SCALARS, st.lists(st.one_of(VALUES, st.fixed_dictionaries(
            {"key": st.one_of(SCALARS, VALUES)}, optional={"done": SCALARS, "title": SCALARS})),
            max_size=3)),
        "transitions": st.one_of(SCALARS, st.lists(st.one_of(VALUES, st.fixed_dictionaries(
            {"trigger": st.one_of(SCALARS, VALUES)}, optional={"source": VALUES, "dest": SCALARS,
                                            "guards": VALUES, "actions": VALUES})), max_size=3)),
    })), max_size=3)


@FUZZ
@given(st.sampled_from(DEFINITIONS), st.one_of(OVERRIDES, VALUES))
def test_random_machine_overrides(path: str, overrides: Any) -> None:
    data = copy.deepcopy(data_of(path))
    data["lifecycle"] = "standard"
    data["machines"] = overrides
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    assert_accepted_or_located(lambda: loads(text, FILE), FILE)


# --------------------------------------------------------------------------- text mutations


@FUZZ
@given(st.sampled_from(DEFINITIONS), st.data())
def test_char_corruption(path: str, data: st.DataObject) -> None:
    text = list(source(path))
    for _ in range(data.draw(st.integers(1, 8), label="edits")):
        i = data.draw(st.integers(0, len(text) - 1), label="at")
        how = data.draw(st.sampled_from(["replace", "delete", "insert"]), label="how")
        char = data.draw(st.one_of(st.characters(), st.sampled_from(list(" \t\n:-[]{}&*!|>'\"#%@`,?"))),
                         label="char")
        if how == "replace":
            text[i] = char
        elif how == "delete":
            del text[i]
        else:
            text.insert(i, char)
    corrupted = "".join(text)
    assert_accepted_or_located(lambda: loads(corrupted, FILE), FILE)


@FUZZ
@given(st.sampled_from(DEFINITIONS), st.data())
def test_byte_corruption(path: str, data: st.DataObject) -> None:
    raw = bytearray(source(path).encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 8), label="edits")):
        i = data.draw(st.integers(0, len(raw) - 1), label="at")
        raw[i] = data.draw(st.integers(0, 255), label="byte")
    with tempfile.TemporaryDirectory() as tmp:
        file = os.path.join(tmp, "corrupt.yaml")
        Path(file).write_bytes(bytes(raw))
        assert_accepted_or_located(lambda: load(file), file)


@FUZZ
@given(st.sampled_from(DEFINITIONS), st.data())
def test_truncation(path: str, data: st.DataObject) -> None:
    raw = source(path).encode("utf-8")
    cut = data.draw(st.integers(0, len(raw)), label="cut")
    with tempfile.TemporaryDirectory() as tmp:
        file = os.path.join(tmp, "cut.yaml")
        Path(file).write_bytes(raw[:cut])
        assert_accepted_or_located(lambda: load(file), file)
    text = source(path)[:cut]
    assert_accepted_or_located(lambda: loads(text, FILE), FILE)


@FUZZ
@given(st.sampled_from(DEFINITIONS), st.data())
def test_line_shuffles(path: str, data: st.DataObject) -> None:
    """Whole lines moved, doubled or re-indented: structure goes wrong in plausible ways."""
    lines = source(path).splitlines()
    for _ in range(data.draw(st.integers(1, 5), label="edits")):
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        how = data.draw(st.sampled_from(["dup", "drop", "indent", "dedent", "move"]), label="how")
        if how == "dup":
            lines.insert(i, lines[i])
        elif how == "drop" and len(lines) > 1:
            del lines[i]
        elif how == "indent":
            lines[i] = "  " + lines[i]
        elif how == "dedent":
            lines[i] = lines[i][2:] if lines[i].startswith("  ") else lines[i]
        elif how == "move":
            j = data.draw(st.integers(0, len(lines) - 1), label="to")
            lines.insert(j, lines.pop(i))
    text = "\n".join(lines) + "\n"
    assert_accepted_or_located(lambda: loads(text, FILE), FILE)
