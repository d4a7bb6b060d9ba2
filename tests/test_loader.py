"""Loading definitions: every shipped one is clean, and broken copies report every problem, located.

Broken copies are made by text substitution on the shipped files.  Where a mutation edits a
value in place, the expected line is that value's line in the original file (shifted by the
lines inserted above it); where it inserts lines, they carry a unique marker that is looked
up in the final text.  Positions in the original come from PyYAML's own node marks, not from
engine.core.yamlsource, so the loader's locations are checked against an independent source.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from engine.core.errors import DefinitionInvalid, Problem
from engine.core.loader import check, load, loads, merge_machine, normalized
from engine.core.registry import default_registry
from engine.core.spec import Definition, Duration
from engine.core.yamlsource import MAX_BYTES

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = sorted(glob.glob(str(ROOT / "definitions" / "*.yaml")))
IDS = [os.path.basename(p) for p in DEFINITIONS]


def test_there_are_definitions() -> None:
    assert DEFINITIONS, "definitions/*.yaml is empty"


# --------------------------------------------------------------------------- shipped files


@pytest.mark.parametrize("path", DEFINITIONS, ids=IDS)
def test_shipped_definition_is_clean(path: str) -> None:
    assert check(path) == []


@pytest.mark.parametrize("path", DEFINITIONS, ids=IDS)
def test_shipped_definition_builds(path: str) -> None:
    definition = load(path)
    assert isinstance(definition, Definition)
    text = Path(path).read_text(encoding="utf-8")
    assert definition.source_text == text
    raw = yaml.compose(text, Loader=yaml.SafeLoader)
    top = {k.value for k, _ in raw.value}
    assert definition.stages and len({s.key for s in definition.stages}) == len(definition.stages)
    assert definition.machines
    for name, machine in definition.machines.items():
        keys = [s.key for s in machine.states]
        assert machine.name == name
        assert machine.initial in keys
        assert machine.done_states, f"machine {name} has no done state"
        for t in machine.transitions:
            assert t.dest in keys and set(t.sources) <= set(keys)
            assert definition.machine_of(t.trigger) is machine
    for role in definition.roles.values():
        assert role.triggers <= {t.trigger for m in definition.machines.values()
                                 for t in m.transitions}
    if "campaign" in top:
        campaign = next(v for k, v in raw.value if k.value == "campaign")
        key = next(v.value for k, v in campaign.value if k.value == "key")
        assert definition.key == key and definition.title
    if definition.ladder is not None:
        assert definition.ladder.machine in definition.machines
    if "lifecycle" in top:
        assert definition.lifecycle


@pytest.mark.parametrize("path", DEFINITIONS, ids=IDS)
def test_normalized_data_rebuilds_the_same_definition(path: str) -> None:
    """What a store keeps (the merged data) builds the same definition again."""
    from engine.core.loader import build

    data, definition = normalized(path)
    json.dumps(data, ensure_ascii=False)  # a store keeps it as JSON
    rebuilt = build(data, default_registry(), source_text=definition.source_text)
    assert rebuilt == definition
    again, _ = normalized(Path(path).read_text(encoding="utf-8"), is_text=True)
    assert again == data


@pytest.mark.parametrize("path", DEFINITIONS, ids=IDS)
def test_loads_and_load_agree(path: str) -> None:
    text = Path(path).read_text(encoding="utf-8")
    assert loads(text, path) == load(path)


# --------------------------------------------------------------------------- mutation helper


def misspell(name: str) -> str:
    """Swap two letters in the middle: close enough for 'did you mean', never the same."""
    i = max(1, len(name) // 2)
    out = name[: i - 1] + name[i] + name[i - 1] + name[i + 1:] if len(name) > 2 else name + "x"
    return out if out != name else name + "x"


@dataclasses.dataclass
class Expect:
    code: str
    orig_line: int | None = None  # a line of the original text (shifted by insertions)
    marker: str | None = None  # a unique string on the expected line of the final text
    line_has: str = ""  # the expected line must contain this text
    hint_has: str | None = None


class Mutator:
    """Collects text edits on one definition and builds the broken text and expectations."""

    def __init__(self, text: str) -> None:
        self.text = text if text.endswith("\n") else text + "\n"
        self.root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        self.edits: list[tuple[int, int, str]] = []
        self.inserts: list[tuple[int, list[str]]] = []  # (after 1-based line, lines)
        self.sections: dict[str, list[str]] = {}  # new top-level sections, appended
        self.tail: list[str] = []
        self.expected: list[Expect] = []

    # where things are in the original text
    def node(self, path: tuple[str | int, ...]) -> tuple[yaml.Node | None, yaml.Node | None]:
        key: yaml.Node | None = None
        node: yaml.Node | None = self.root
        for part in path:
            if isinstance(part, int):
                if not isinstance(node, yaml.SequenceNode) or part >= len(node.value):
                    return None, None
                key, node = None, node.value[part]
            else:
                if not isinstance(node, yaml.MappingNode):
                    return None, None
                pairs = [(k, v) for k, v in node.value if k.value == part]
                if not pairs:
                    return None, None
                key, node = pairs[0]
        return key, node

    def value(self, path: tuple[str | int, ...]) -> object:
        data = yaml.safe_load(self.text)
        for part in path:
            data = data[part]
        return data

    def line_of(self, path: tuple[str | int, ...]) -> int:
        """The line a problem at ``path`` should point at: its key's, or its item's."""
        key, node = self.node(path)
        assert node is not None, path
        return (key or node).start_mark.line + 1

    # edits
    def replace(self, path: tuple[str | int, ...], new: str) -> None:
        _, node = self.node(path)
        assert isinstance(node, yaml.ScalarNode), path
        assert "\n" not in new
        self.edits.append((node.start_mark.index, node.end_mark.index, new))

    def insert_into(self, path: tuple[str | int, ...], lines: list[str]) -> None:
        """Insert entries at the start of a block mapping or sequence (or append a new section)."""
        key, node = self.node(path)
        if node is None or isinstance(node, yaml.ScalarNode) and node.value == "":
            assert len(path) == 1, f"cannot create nested {path}"
            self.sections.setdefault(str(path[0]), []).extend(lines)
            return
        if isinstance(node, yaml.MappingNode):
            indent = node.value[0][0].start_mark.column if node.value else None
        elif isinstance(node, yaml.SequenceNode):
            indent = node.start_mark.column if node.value else None
        else:
            indent = None
        if indent is None or node.flow_style or key is None or \
                node.start_mark.line == key.start_mark.line:
            pytest.fail(f"the mutation helper needs {'.'.join(map(str, path))} in block style "
                        "with at least one entry; extend tests/test_loader.py for this layout")
        self.inserts.append((key.start_mark.line + 1, [" " * indent + x for x in lines]))

    def append(self, line: str) -> None:
        self.tail.append(line)

    def expect(self, code: str, *, path: tuple[str | int, ...] | None = None,
               marker: str | None = None, line_has: str = "", hint_has: str | None = None) -> None:
        orig = self.line_of(path) if path is not None else None
        self.expected.append(Expect(code, orig, marker, line_has, hint_has))

    # result
    def build(self) -> tuple[str, set[tuple[str, int]], list[Expect]]:
        text = self.text
        for start, end, new in sorted(self.edits, reverse=True):
            text = text[:start] + new + text[end:]
        lines = text.splitlines()
        for after, block in sorted(self.inserts, key=lambda x: x[0], reverse=True):
            lines[after:after] = block
        for name, block in self.sections.items():
            lines.append(f"{name}:")
            lines.extend("  " + x for x in block)
        lines.extend(self.tail)
        final = "\n".join(lines) + "\n"
        resolved: set[tuple[str, int]] = set()
        for e in self.expected:
            if e.marker is not None:
                hits = [i for i, x in enumerate(lines, 1) if e.marker in x]
                assert len(hits) == 1, f"marker {e.marker!r} found on lines {hits}"
                line = hits[0]
            else:
                assert e.orig_line is not None
                line = e.orig_line + sum(len(b) for after, b in self.inserts if after < e.orig_line)
            assert e.line_has in lines[line - 1], (e, lines[line - 1])
            e.orig_line, e.marker = line, None
            resolved.add((e.code, line))
        return final, resolved, self.expected


# --------------------------------------------------------------------------- the mutations


def _calls_in_file(m: Mutator) -> list[tuple[tuple[str | int, ...], str]]:
    """Paths of the guard calls the file itself writes (stages' entry/exit, its machines)."""
    data = yaml.safe_load(m.text)
    found: list[tuple[tuple[str | int, ...], str]] = []
    for i, stage in enumerate(data.get("stages") or []):
        for part in ("entry", "exit"):
            for j, call in enumerate(stage.get(part) or []):
                found.append((("stages", i, part, j), call if isinstance(call, str) else
                              next(iter(call))))
    for name, machine in (data.get("machines") or {}).items():
        for i, t in enumerate(machine.get("transitions") or []):
            for j, call in enumerate(t.get("guards") or []):
                found.append((("machines", name, "transitions", i, "guards", j),
                              call if isinstance(call, str) else next(iter(call))))
    return found


def mut_misspelt_guard(m: Mutator) -> None:
    calls = _calls_in_file(m)
    if not calls:
        m.insert_into(("machines",), [
            "zz-guarded:", "  initial: zz-g0",
            "  states: [{key: zz-g0}, {key: zz-g1, done: true}]",
            "  transitions:",
            "    - trigger: zz-guarded-go", "      source: zz-g0", "      dest: zz-g1",
            "      guards: [note_requierd]  # zz-misspelt-guard",
        ])
        m.expect("unknown-guard", marker="zz-misspelt-guard", hint_has="note_required")
        return
    path, name = calls[0]
    _, node = m.node(path)
    if isinstance(node, yaml.MappingNode):  # {name: {params}}: misspell the name (the key)
        key = node.value[0][0]
        m.edits.append((key.start_mark.index, key.end_mark.index, misspell(name)))
    else:
        m.replace(path, misspell(name))
    m.expect("unknown-guard", path=path, line_has=misspell(name), hint_has=f"did you mean '{name}'")


def mut_undefined_dest(m: Mutator) -> None:
    m.insert_into(("machines",), [
        "zz-jumpy:", "  initial: zz-j0",
        "  states:", "    - key: zz-j0", "    - key: zz-j1", "      done: true",
        "  transitions:",
        "    - {trigger: zz-jumpy-go, source: zz-j0, dest: zz-j1}",
        "    - {trigger: zz-jumpy-off, source: zz-j1, dest: zz-j2}",
    ])
    m.expect("unknown-state", marker="trigger: zz-jumpy-off", hint_has="did you mean")


def mut_unreachable_state(m: Mutator) -> None:
    m.insert_into(("machines",), [
        "zz-island:", "  initial: zz-i0",
        "  states:", "    - key: zz-i0", "    - key: zz-i1", "      done: true",
        "    - key: zz-lonely", "      title: 孤岛",
        "  transitions:",
        "    - {trigger: zz-island-go, source: zz-i0, dest: zz-i1}",
    ])
    m.expect("unreachable-state", marker="key: zz-lonely")


def mut_no_done_state(m: Mutator) -> None:
    m.insert_into(("machines",), [
        "zz-stuck:  # zz-no-done", "  initial: zz-a",
        "  states: [{key: zz-a}, {key: zz-b}]",
        "  transitions:",
        "    - {trigger: zz-stuck-ab, source: zz-a, dest: zz-b}",
        "    - {trigger: zz-stuck-ba, source: zz-b, dest: zz-a}",
    ])
    m.expect("no-done-state", marker="zz-no-done", hint_has="done: true")


def mut_timer_on_terminal(m: Mutator) -> None:
    m.insert_into(("machines",), [
        "zz-timed:", "  initial: zz-t0",
        "  states: [{key: zz-t0}, {key: zz-t9, done: true}]",
        "  transitions: [{trigger: zz-timed-end, source: zz-t0, dest: zz-t9}]",
    ])
    m.insert_into(("timers",), [
        "- {key: zz-timer, machine: zz-timed, trigger: zz-timed-end, state: zz-t9, "
        "after: 3 calendar days}",
    ])
    m.expect("timer-on-terminal", marker="key: zz-timer")


def mut_stage_window(m: Mutator) -> None:
    m.replace(("stages", 0, "start"), "2015-07-10")
    m.replace(("stages", 0, "end"), "2015-07-01")
    m.expect("bad-window", path=("stages", 0, "end"), line_has="end")


def mut_duplicate_key(m: Mutator) -> None:
    first = m.root.value[0][0].value
    _, node = m.node((first,))
    assert isinstance(node, yaml.ScalarNode), "the first top-level key should hold a scalar"
    m.append(f"{first}: {node.value}  # zz-duplicate")
    m.expect("duplicate-key", marker="zz-duplicate")


def mut_impossible_date(m: Mutator) -> None:
    m.insert_into(("stages",), [
        "- {key: zz-bad-date, kind: zz, title: 坏日期, start: 2015-02-30, end: 2015-03-31}",
    ])
    m.expect("bad-date", marker="zz-bad-date", line_has="2015-02-30")


def mut_unknown_top_level_key(m: Mutator) -> None:
    m.append("calender: {region: cn}  # zz-unknown-key")
    m.expect("unknown-key", marker="zz-unknown-key", hint_has="did you mean 'calendar'")


def mut_ladder_order(m: Mutator) -> None:
    _, levels = m.node(("escalation", "levels"))
    if isinstance(levels, yaml.SequenceNode) and len(levels.value) >= 2:
        first = str(m.value(("escalation", "levels", 0, "at")))
        m.replace(("escalation", "levels", 1, "at"), first)
        m.expect("ladder-order", path=("escalation", "levels", 1, "at"), line_has="at")
    elif levels is None:
        m.insert_into(("machines",), [
            "zz-laddered:", "  initial: zz-l0",
            "  states: [{key: zz-l0}, {key: zz-l1, done: true}]",
            "  transitions: [{trigger: zz-laddered-end, source: zz-l0, dest: zz-l1}]",
        ])
        m.sections["escalation"] = [
            "machine: zz-laddered",
            "levels:",
            "  - {key: zz-late, title: 晚, at: +5 calendar days}",
            "  - {key: zz-early, title: 早, at: +2 calendar days}  # zz-misordered",
        ]
        m.expect("ladder-order", marker="zz-misordered")
    else:
        m.insert_into(("escalation", "levels"), [
            "- {key: zz-late, title: 晚, at: +400 calendar days}",
        ])
        m.expect("ladder-order", path=("escalation", "levels", 0, "at"))


def mut_role_unknown_trigger(m: Mutator) -> None:
    data = yaml.safe_load(m.text)
    for name, role in (data.get("roles") or {}).items():
        if role.get("triggers"):
            trigger = role["triggers"][0]
            m.replace(("roles", name, "triggers", 0), misspell(trigger))
            m.expect("unknown-trigger", path=("roles", name, "triggers", 0),
                     line_has=misspell(trigger), hint_has=f"did you mean '{trigger}'")
            return
    m.insert_into(("roles",), ["zz-role: {title: 角色, triggers: [zz-nonesuch]}  # zz-role"])
    m.expect("unknown-trigger", marker="zz-role")


MUTATIONS: dict[str, Callable[[Mutator], None]] = {
    "misspelt-guard": mut_misspelt_guard,
    "transition-to-undefined-state": mut_undefined_dest,
    "unreachable-state": mut_unreachable_state,
    "stage-window-ends-before-start": mut_stage_window,
    "duplicate-yaml-key": mut_duplicate_key,
    "date-2015-02-30": mut_impossible_date,
    "unknown-top-level-key": mut_unknown_top_level_key,
    "thresholds-out-of-order": mut_ladder_order,
    "timer-on-terminal-state": mut_timer_on_terminal,
    "role-unknown-trigger": mut_role_unknown_trigger,
    "no-done-state-reachable": mut_no_done_state,
}


def broken_copy(path: str, names: list[str]) -> tuple[str, set[tuple[str, int]], list[Expect]]:
    m = Mutator(Path(path).read_text(encoding="utf-8"))
    for name in names:
        MUTATIONS[name](m)
    return m.build()


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(DefinitionInvalid) as info:
        load(str(path))
    return info.value.problems


def assert_problems(problems: list[Problem], file: Path, expected: set[tuple[str, int]],
                    details: list[Expect]) -> None:
    got = {(p.code, p.location.line) for p in problems}
    listing = "\n".join(p.format() for p in problems)
    assert got == expected, f"expected {sorted(expected)}, got:\n{listing}"
    assert len(problems) == len(expected), listing
    for p in problems:
        assert isinstance(p, Problem)
        assert p.location.file == str(file)
        assert p.location.line is not None and p.location.column is not None
    for e in details:
        if e.hint_has:
            matching = [p for p in problems if (p.code, p.location.line) == (e.code, e.orig_line)]
            assert any(e.hint_has in (p.hint or "") for p in matching), (e, listing)


@pytest.mark.parametrize("mutation", list(MUTATIONS))
@pytest.mark.parametrize("path", DEFINITIONS, ids=IDS)
def test_each_mutation_is_reported_where_it_is(path: str, mutation: str, tmp_path: Path) -> None:
    text, expected, details = broken_copy(path, [mutation])
    broken = tmp_path / os.path.basename(path)
    broken.write_text(text, encoding="utf-8")
    assert_problems(problems_of(broken), broken, expected, details)


@pytest.mark.parametrize("path", DEFINITIONS, ids=IDS)
def test_all_mutations_at_once_are_all_reported(path: str, tmp_path: Path) -> None:
    text, expected, details = broken_copy(path, list(MUTATIONS))
    assert len(expected) == len(MUTATIONS)
    broken = tmp_path / os.path.basename(path)
    broken.write_text(text, encoding="utf-8")
    problems = problems_of(broken)
    assert_problems(problems, broken, expected, details)
    assert check(str(broken)) == problems
    lines = [p.location.line or 0 for p in problems]
    assert lines == sorted(lines), "problems are listed in file order"


# --------------------------------------------------------------------------- bad input


def _billion_laughs() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "format: 1\n" + "\n".join(lines) + "\n"


BAD_INPUTS: dict[str, tuple[bytes, set[str], tuple[int, int] | None]] = {
    # name: (file content, acceptable problem codes, (line, column) of the first problem)
    "malformed": (b"format: 1\nstages: [\n  {key: a, kind: b\n", {"yaml-syntax"}, None),
    "unclosed-quote": (b'format: 1\ncampaign:\n  title: "unterminated\n', {"yaml-syntax"}, None),
    "bad-indentation": (b"format: 1\nstages:\n  - key: a\n   kind: b\n", {"yaml-syntax"}, (4, 4)),
    "binary": (b"format: 1\n\x00\x01\x02\x03", {"binary"}, (1, 1)),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {"encoding", "binary"}, (1, 1)),
    "latin-1": ("format: 1\ncampaign:\n  title: café\n".encode("latin-1"), {"encoding"}, (3, 13)),
    "gbk": ("format: 1\ncampaign: {title: 整治}\n".encode("gbk"), {"encoding"}, (2, 19)),
    "tabs": (b"format: 1\nstages:\n\t- key: a\n", {"yaml-syntax"}, (3, 1)),
    "empty": (b"", {"empty"}, (1, 1)),
    "blank": (b"\n\n   \n", {"empty"}, (1, 1)),
    "comment-only": (b"# nothing here\n", {"empty"}, (1, 1)),
    "explicit-empty-document": (b"---\n", {"empty", "not-a-mapping"}, (1, 1)),
    "top-level-list": (b"- format: 1\n- stages: []\n", {"not-a-mapping"}, (1, 1)),
    "top-level-scalar": (b"just some words\n", {"not-a-mapping"}, (1, 1)),
    "alias-bomb": (_billion_laughs().encode(), {"yaml-too-large"}, (1, 1)),
    "recursive-alias": (b"format: 1\nstages: &s [*s]\n", {"yaml-too-large", "yaml-too-deep"}, None),
    "deep-nesting": (b"format: 1\nstages: " + b"[" * 5000 + b"]" * 5000 + b"\n",
                     {"yaml-too-deep"}, None),
    "deep-mapping": ("".join("  " * i + f"k{i}:\n" for i in range(600)).encode(),
                     {"yaml-too-deep"}, None),
    "wrong-types": (b"format: '1'\nstages: 5\ncampaign: [a]\ncategories: {a: 1}\nroles: []\n",
                    {"schema", "no-machines"}, None),
    "non-string-key": (b"format: 1\n[a, b]: c\n", {"bad-key", "missing-key", "no-machines"}, None),
    "bad-base64": (b"format: 1\nx: !!binary '#'\n", {"bad-value", "unknown-key", "missing-key",
                                                     "no-machines"}, None),
    "python-tag": (b"format: !!python/object/apply:os.system ['true']\n",
                   {"bad-value", "schema", "missing-key", "no-machines"}, None),
    "bom-then-list": (b"\xef\xbb\xbf- a\n", {"not-a-mapping"}, (1, 1)),
}


def _expect_located(problems: list[Problem], file: str, codes: set[str],
                    first: tuple[int, int] | None) -> None:
    assert problems, "DefinitionInvalid without problems"
    text = "\n".join(p.format() for p in problems)
    for p in problems:
        assert isinstance(p, Problem)
        assert p.location.file == file, text
        assert p.location.line is not None and p.location.line >= 1, text
        assert p.location.column is not None and p.location.column >= 1, text
        assert p.code in codes, text
    if first is not None:
        assert (problems[0].location.line, problems[0].location.column) == first, text


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_invalid_and_located(name: str, tmp_path: Path) -> None:
    content, codes, first = BAD_INPUTS[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(content)
    _expect_located(problems_of(path), str(path), codes, first)


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not content.startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("name", [n for n, (c, _, _) in BAD_INPUTS.items() if _is_utf8(c)])
def test_bad_text_is_invalid_and_located(name: str) -> None:
    content, codes, first = BAD_INPUTS[name]
    with pytest.raises(DefinitionInvalid) as info:
        loads(content.decode("utf-8"), "text.yaml")
    _expect_located(info.value.problems, "text.yaml", codes, first)


def test_malformed_yaml_points_at_the_error(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("format: 1\ncampaign:\n  key: a\n  title: [x, y\nstages: []\n", encoding="utf-8")
    (p,) = problems_of(path)
    assert p.code == "yaml-syntax" and p.location.line in (4, 5)


def test_tabs_get_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(b"format: 1\nstages:\n\t- key: a\n")
    (p,) = problems_of(path)
    assert "tab" in (p.hint or "")


@pytest.mark.parametrize("path", DEFINITIONS, ids=IDS)
def test_truncated_definition_is_invalid_and_located(path: str, tmp_path: Path) -> None:
    raw = Path(path).read_bytes()
    for cut in sorted({1, 7, len(raw) // 3, len(raw) // 2, len(raw) * 2 // 3, len(raw) - 40}):
        target = tmp_path / f"cut-{cut}.yaml"
        target.write_bytes(raw[:cut])
        try:
            load(str(target))
        except DefinitionInvalid as exc:
            for p in exc.problems:
                assert p.location.file == str(target)
                assert p.location.line is not None and p.location.column is not None, p.format()
        # a cut that still leaves a valid definition is fine too


def test_enormous_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    base = (ROOT / "definitions" / os.path.basename(DEFINITIONS[0])).read_text(encoding="utf-8")
    filler = "# " + "x" * 1000 + "\n"
    path.write_text(base + filler * (MAX_BYTES // len(filler) + 10), encoding="utf-8")
    assert path.stat().st_size > MAX_BYTES
    (p,) = problems_of(path)
    assert p.code == "too-big" and (p.location.line, p.location.column) == (1, 1)
    assert p.location.file == str(path)


def test_alias_bomb_fails_fast_with_bounded_memory(tmp_path: Path) -> None:
    import tracemalloc

    path = tmp_path / "bomb.yaml"
    path.write_text(_billion_laughs(), encoding="utf-8")
    tracemalloc.start()
    try:
        (p,) = problems_of(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert p.code == "yaml-too-large" and "alias" in (p.hint or "") + p.message
    assert peak < 32 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while refusing an alias bomb"


def test_unreadable_path_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    (p,) = check(str(missing))
    assert p.code == "unreadable" and p.location.file == str(missing)
    (p,) = check(str(tmp_path))  # a directory
    assert p.code == "unreadable"


# --------------------------------------------------------------------------- targeted checks


def _wgbw_like() -> str:
    """A shipped definition that uses the standard lifecycle without its own machines."""
    for path in DEFINITIONS:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        if data.get("lifecycle") and "machines" not in data:
            return Path(path).read_text(encoding="utf-8")
    pytest.skip("no shipped definition uses a lifecycle without overrides")


def _problems_in(text: str, file: str = "x.yaml") -> list[Problem]:
    with pytest.raises(DefinitionInvalid) as info:
        loads(text, file)
    return info.value.problems


@pytest.mark.parametrize("machines", ["[1]", "hello", "{item: 5}", "{item: [1, 2]}",
                                      "{item: {states: [{key: [1]}]}}",
                                      "{item: {transitions: [{trigger: {a: 1}}]}}",
                                      "{item: {remove: [[1]]}}"])
def test_bad_overrides_of_a_lifecycle_are_reported(machines: str) -> None:
    text = _wgbw_like() + f"\nmachines: {machines}  # zz-here\n"
    line = text.splitlines().index(f"machines: {machines}  # zz-here") + 1
    problems = _problems_in(text)
    assert all(p.location.line is not None for p in problems)
    assert any(p.location.line == line for p in problems), "\n".join(p.format() for p in problems)


def test_preset_override_problems_point_at_the_users_entry() -> None:
    """Merged entries are renumbered; a problem must still point at the entry the user wrote."""
    text = _wgbw_like() + (
        "\nmachines:\n"
        "  item:\n"
        "    states:\n"
        "      - key: reported\n"
        "        title: 待核实\n"
        "      - key: extra\n"
        "        title: 额外\n"
        "      - key: closed\n"
        "        done: 'yes'  # zz-bad-done\n"
        "    transitions:\n"
        "      - {trigger: zz-go-extra, source: confirmed, dest: extra}\n"
        "      - {trigger: zz-back, source: extra, dest: confirmed}\n"
    )
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "zz-bad-done" in x)
    (p,) = _problems_in(text)
    assert (p.code, p.location.line) == ("schema", line), p.format()


def test_preset_overrides_merge_by_key() -> None:
    base = {"initial": "a", "states": [{"key": "a"}, {"key": "b", "title": "B"}],
            "transitions": [{"trigger": "go", "source": "a", "dest": "b"},
                            {"trigger": "back", "source": "b", "dest": "a"}]}
    out = merge_machine(base, {"states": [{"key": "b", "done": True}, {"key": "c"}],
                               "transitions": [{"trigger": "go", "dest": "c"}],
                               "remove": ["back"]})
    assert out["states"] == [{"key": "a"}, {"key": "b", "title": "B", "done": True}, {"key": "c"}]
    assert out["transitions"] == [{"trigger": "go", "source": "a", "dest": "c"}]
    assert out["remove"] == ["back"], "kept, so that the schema checks what the user wrote"
    assert base["states"][1] == {"key": "b", "title": "B"}, "the preset itself is untouched"


@pytest.mark.parametrize("start, end", [("+0d", "+99999999999d"), ("+0d", "+9999999m"),
                                        ("+99999999999999999999w", "2015-07-31")])
def test_absurd_offsets_are_refused_not_crashed_on(start: str, end: str) -> None:
    m = Mutator(_wgbw_like())
    m.replace(("stages", 0, "start"), start)
    m.replace(("stages", 0, "end"), end)
    wrong = ("stages", 0, "start") if start.startswith("+99") else ("stages", 0, "end")
    m.expect("schema", path=wrong)
    text, expected, _ = m.build()
    assert {(p.code, p.location.line) for p in _problems_in(text)} == expected


def test_override_typos_are_not_dropped_silently() -> None:
    text = _wgbw_like() + "\nmachines:\n  item:\n    intial: confirmed  # zz-typo\n"
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "zz-typo" in x)
    (p,) = _problems_in(text)
    assert (p.code, p.location.line) == ("unknown-key", line)
    assert "did you mean 'initial'" in (p.hint or "")


def test_unknown_lifecycle_names_the_known_ones() -> None:
    text = _wgbw_like().replace("lifecycle: standard", "lifecycle: standrad")
    problems = _problems_in(text)
    line = text.splitlines().index("lifecycle: standrad") + 1
    assert ("unknown-lifecycle", line) in {(p.code, p.location.line) for p in problems}
    assert any("standard" in (p.hint or "") for p in problems)


def test_guard_parameters_are_checked() -> None:
    text = _wgbw_like()
    m = Mutator(text)
    path = next(p for p, name in _calls_in_file(m) if name == "min_done_share")
    _, call = m.node(path)
    assert isinstance(call, yaml.MappingNode)
    params = call.value[0][1]
    assert isinstance(params, yaml.MappingNode) and params.flow_style
    bad = text[:params.start_mark.index] + "{machin: item, share: most}" + \
        text[params.end_mark.index:]
    problems = _problems_in(bad)
    assert {p.code for p in problems} == {"unknown-param", "bad-param", "missing-param"}
    assert {p.location.line for p in problems} == {call.start_mark.line + 1}
    assert any("did you mean 'machine'" in (p.hint or "") for p in problems)


def test_duplicate_key_keeps_the_first_and_says_where() -> None:
    text = _wgbw_like().replace("format: 1\n", "format: 1\nformat: 2\n", 1)
    (p,) = _problems_in(text)
    first = text.splitlines().index("format: 1") + 1
    assert p.code == "duplicate-key" and p.location.line == first + 1
    assert f"line {first}" in p.message


def test_dates_stay_strings_and_are_checked() -> None:
    m = Mutator(_wgbw_like())
    m.replace(("stages", 0, "end"), "2015-07-32")
    m.expect("bad-date", path=("stages", 0, "end"))
    text, expected, _ = m.build()
    problems = _problems_in(text)
    assert {(p.code, p.location.line) for p in problems} == expected
    assert "2015-07-32" in problems[0].message
    m = Mutator(_wgbw_like())
    m.replace(("stages", 0, "start"), "2016-02-29")  # a real date in a leap year
    m.replace(("stages", 0, "end"), "2016-03-01")
    definition = loads(m.build()[0])
    assert str(definition.stages[0].start) == "2016-02-29"


def test_durations_carry_units() -> None:
    assert Duration.parse("10 working days") == Duration(10, "working")
    assert Duration.parse("-3 calendar days") == Duration(-3, "calendar")
    assert str(Duration(1, "calendar")) == "1 calendar day"
    with pytest.raises(ValueError):
        Duration.parse("10 days")
