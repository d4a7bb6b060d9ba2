"""engine.core.yamlsource: safe, bounded YAML loading that remembers where every value came from."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest
import yaml

from engine.core.errors import Location, Problem
from engine.core.yamlsource import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    Document,
    format_path,
    load_file,
    load_text,
)

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = sorted(glob.glob(str(ROOT / "definitions" / "*.yaml")))

TEXT = """\
# a comment
format: 1
stages:
  - key: one
    start: 2015-07-01
    end: "2015-07-31"
  - {key: two, start: 2015-08-01}
roles:
  head:
    triggers: [confirm, plan]
"""


def parse(text: str, file: str = "f.yaml") -> tuple[Document | None, list[Problem]]:
    return load_text(text, file)


def only_problem(text: str, file: str = "f.yaml") -> Problem:
    doc, problems = parse(text, file)
    assert doc is None, "a fatal problem yields no document"
    (problem,) = problems
    assert problem.location.file == file
    return problem


# --------------------------------------------------------------------------- data and positions


def test_plain_data_with_dates_as_strings() -> None:
    doc, problems = parse(TEXT)
    assert problems == [] and doc is not None
    assert doc.data == {
        "format": 1,
        "stages": [{"key": "one", "start": "2015-07-01", "end": "2015-07-31"},
                   {"key": "two", "start": "2015-08-01"}],
        "roles": {"head": {"triggers": ["confirm", "plan"]}},
    }
    assert doc.text == TEXT and doc.file == "f.yaml"


@pytest.mark.parametrize("path, line, column", [
    (("format",), 2, 1),
    (("stages",), 3, 1),
    (("stages", 0), 4, 5),
    (("stages", 0, "start"), 5, 5),
    (("stages", 0, "end"), 6, 5),
    (("stages", 1), 7, 5),
    (("stages", 1, "start"), 7, 16),
    (("roles", "head", "triggers"), 10, 5),
    (("roles", "head", "triggers", 1), 10, 25),
])
def test_every_value_is_located(path: tuple[str | int, ...], line: int, column: int) -> None:
    doc, _ = parse(TEXT)
    assert doc is not None
    assert doc.locate(path) == Location("f.yaml", line, column, format_path(path))


def test_locate_walks_up_to_the_nearest_known_parent() -> None:
    doc, _ = parse(TEXT)
    assert doc is not None
    loc = doc.locate(("stages", 1, "end"))  # not written: points at the stage
    assert (loc.line, loc.column, loc.path) == (7, 5, "stages[1].end")
    loc = doc.locate(("nowhere", "at", 3))
    assert (loc.line, loc.column) == (2, 1), "the document itself"


def test_format_path() -> None:
    assert format_path(()) == ""
    assert format_path(("stages", 0, "end")) == "stages[0].end"
    assert format_path(("machines", "item", "states", 2, "key")) == "machines.item.states[2].key"


@pytest.mark.parametrize("path", DEFINITIONS, ids=[os.path.basename(p) for p in DEFINITIONS])
def test_shipped_definitions_parse_without_problems(path: str) -> None:
    doc, problems = load_file(path)
    assert problems == [] and doc is not None
    # every key's recorded position is where PyYAML saw that key
    root = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)

    def walk(node: yaml.Node, trail: tuple[str | int, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                assert doc.positions[(*trail, k.value)] == (k.start_mark.line + 1,
                                                            k.start_mark.column + 1)
                walk(v, (*trail, k.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                assert doc.positions[(*trail, i)] == (v.start_mark.line + 1, v.start_mark.column + 1)
                walk(v, (*trail, i))

    walk(root, ())


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfformat: 1\n")
    doc, problems = load_file(str(path))
    assert problems == [] and doc is not None and doc.data == {"format": 1}


# --------------------------------------------------------------------------- refusals


def test_duplicate_keys_are_reported_and_the_first_is_kept() -> None:
    doc, problems = parse("a: 1\nb:\n  c: 2\n  c: 3\na: 4\n")
    assert doc is not None and doc.data == {"a": 1, "b": {"c": 2}}
    assert [(p.code, p.location.line, p.location.column) for p in problems] == [
        ("duplicate-key", 4, 3), ("duplicate-key", 5, 1)]
    assert "first defined on line 3" in problems[0].message
    assert problems[0].location.path == "b.c"


def test_non_scalar_keys_are_reported() -> None:
    doc, problems = parse("? [a, b]\n: 1\nok: 2\n")
    assert doc is not None and doc.data == {"ok": 2}
    assert [(p.code, p.location.line) for p in problems] == [("bad-key", 1)]


def test_unconstructable_scalars_are_reported() -> None:
    doc, problems = parse("a: !!binary 'a'\nb: !!python/name:os.system x\nc: 1\n")
    assert doc is not None and doc.data == {"a": None, "b": None, "c": 1}
    assert [(p.code, p.location.line) for p in problems] == [("bad-value", 1), ("bad-value", 2)]


def test_explicit_timestamps_are_not_strings() -> None:
    doc, problems = parse("a: 2015-07-01\nb: !!timestamp 2015-07-01\n")
    assert doc is not None and problems == []
    assert doc.data["a"] == "2015-07-01"
    assert doc.data["b"] != "2015-07-01"  # the schema then says it is not a date string


def test_impossible_dates_do_not_crash_parsing() -> None:
    doc, problems = parse("a: 2015-02-30\nb: 2015-13-01\n")
    assert problems == [] and doc is not None
    assert doc.data == {"a": "2015-02-30", "b": "2015-13-01"}


@pytest.mark.parametrize("text, code, line, column", [
    ("a: [1, 2\n", "yaml-syntax", 2, 1),
    ("a: b: c\n", "yaml-syntax", 1, 5),
    ("a:\n\t- b\n", "yaml-syntax", 2, 1),
    ("a: 'x\n", "yaml-syntax", 2, 1),
    ("a: &x 1\nb: *y\n", "yaml-syntax", 2, 4),
    ("", "empty", 1, 1),
    ("# only a comment\n\n", "empty", 1, 1),
    ("a: 1\x00\n", "binary", 1, 1),
])
def test_fatal_problems_are_located(text: str, code: str, line: int, column: int) -> None:
    p = only_problem(text)
    assert (p.code, p.location.line, p.location.column) == (code, line, column), p.format()


def test_tabs_get_a_hint() -> None:
    p = only_problem("a:\n\t- b\n")
    assert p.hint and "tab" in p.hint


def test_an_explicit_empty_document_has_no_data() -> None:
    doc, problems = parse("---\n")
    assert problems == [] and doc is not None and doc.data is None  # the loader refuses it


def test_multiple_documents_are_refused() -> None:
    p = only_problem("a: 1\n---\nb: 2\n")
    assert p.code == "yaml-syntax" and p.location.line == 2


def test_not_utf8_points_at_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("a: 1\nb: ok\ntitle: café\n".encode("latin-1"))
    (p,) = load_file(str(path))[1]
    assert (p.code, p.location.line, p.location.column) == ("encoding", 3, 11)
    assert p.hint and "UTF-8" in p.hint


def test_too_big_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("a: 1\n")
        fh.write(("# " + "y" * 98 + "\n") * (MAX_BYTES // 100 + 1))
    doc, (p,) = load_file(str(path))
    assert doc is None and (p.code, p.location.line, p.location.column) == ("too-big", 1, 1)


def test_just_under_the_size_limit_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    line = "# " + "y" * 97 + "\n"
    path.write_text("a: 1\n" + line * ((MAX_BYTES - 10) // len(line)), encoding="utf-8")
    assert path.stat().st_size <= MAX_BYTES
    doc, problems = load_file(str(path))
    assert problems == [] and doc is not None and doc.data == {"a": 1}


def test_unreadable_file(tmp_path: Path) -> None:
    doc, (p,) = load_file(str(tmp_path / "missing.yaml"))
    assert doc is None and p.code == "unreadable" and p.location.file.endswith("missing.yaml")


def billion_laughs(levels: int = 10, width: int = 10) -> str:
    lines = ["lol0: &l0 lol"]
    for i in range(1, levels):
        lines.append(f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused() -> None:
    p = only_problem(billion_laughs())
    assert (p.code, p.location.line, p.location.column) == ("yaml-too-large", 1, 1)
    assert f"{MAX_NODES:,}" in p.message


def test_modest_aliases_are_fine() -> None:
    doc, problems = parse("base: &b {x: 1, y: [1, 2]}\ncopy: *b\n")
    assert problems == [] and doc is not None
    assert doc.data["copy"] == {"x": 1, "y": [1, 2]}


def test_alias_inside_its_own_anchor_is_refused() -> None:
    p = only_problem("a: 1\nloop: &me [1, *me]\n")
    assert p.code in ("yaml-too-deep", "yaml-too-large")
    assert (p.location.line, p.location.column) == (2, 7)


def test_recursive_mapping_alias_is_refused() -> None:
    p = only_problem("a: &me\n  b: *me\n")
    assert p.code in ("yaml-too-deep", "yaml-too-large") and p.location.line is not None


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 400, 3000, 50_000])
def test_deep_nesting_is_refused_where_it_gets_too_deep(depth: int) -> None:
    p = only_problem("a: " + "[" * depth + "]" * depth + "\n")
    assert p.code == "yaml-too-deep"
    # the root mapping is level 1, so the MAX_DEPTH-th bracket is one level too many
    assert (p.location.line, p.location.column) == (1, 3 + MAX_DEPTH)


def test_nesting_within_the_limit_is_fine() -> None:
    depth = MAX_DEPTH - 2
    doc, problems = parse("a: " + "[" * depth + "]" * depth + "\n")
    assert problems == [] and doc is not None


def test_aliases_that_multiply_depth_are_refused() -> None:
    lines = ["a0: &a0 " + "[" * 40 + "]" * 40]
    for i in range(1, 6):
        lines.append(f"a{i}: &a{i} " + "[" * 40 + f"*a{i - 1}" + "]" * 40)
    p = only_problem("\n".join(lines) + "\n")
    assert p.code == "yaml-too-deep" and p.location.line is not None
