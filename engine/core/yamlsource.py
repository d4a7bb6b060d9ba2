"""Safe, bounded YAML loading that remembers where every value came from.

PyYAML's ``safe_load`` silently keeps the last of duplicate keys, turns ``2015-02-30`` into a
traceback and happily expands alias bombs once the data is walked.  Here we compose the node
graph ourselves, refuse what is dangerous, and return plain data plus a map from each value's
path to its line and column, so later layers can point at the exact spot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from .errors import Location, Problem
from .text import Text

MAX_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000  # counted with aliases expanded; a definition has a few thousand
MAX_DEPTH = 100  # nesting, aliases expanded; a definition nests about seven deep

Path = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps: dates stay strings and are checked by us."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Document:
    """Parsed YAML data with the position of every mapping key and value."""

    data: Any
    file: str
    positions: dict[Path, tuple[int, int]]
    text: str = ""

    def locate(self, path: Path) -> Location:
        """The nearest known position for ``path`` (walking up to its parents)."""
        probe = tuple(path)
        while probe not in self.positions and probe:
            probe = probe[:-1]
        line, col = self.positions.get(probe, (None, None))
        return Location(self.file, line, col, format_path(path))


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class YamlProblem(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def load_text(text: str, file: str) -> tuple[Document | None, list[Problem]]:
    """Parse ``text``; returns the document (or None) and the problems found."""
    if "\x00" in text:
        return None, [_problem(file, "binary", "file is binary, not YAML text", 1, 1)]
    try:
        node = yaml.compose(text, Loader=_Loader)
    except RecursionError:  # PyYAML composes recursively: nested a few hundred deep
        mark = _deep_mark(text)
        return None, [_too_deep(file, *((mark.line + 1, mark.column + 1) if mark else (1, 1)))]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        message = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        hint = "YAML indents with spaces, never tabs" if "'\\t'" in message else None
        return None, [_problem(file, "yaml-syntax", message, line, col, hint)]
    except yaml.YAMLError as exc:
        return None, [_problem(file, "yaml-syntax", str(exc), None, None)]
    if node is None:
        return None, [_problem(file, "empty", "file is empty", 1, 1, "start from docs/tutorial.md")]
    problems: list[Problem] = []
    shape, where = _expanded_shape(node)
    if shape == "deep":
        return None, [_too_deep(file, where.start_mark.line + 1, where.start_mark.column + 1)]
    if shape == "large":
        return None, [
            _problem(
                file,
                "yaml-too-large",
                f"document expands to more than {MAX_NODES:,} values (alias bomb?)",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                "write values out instead of nesting aliases",
            )
        ]
    positions: dict[Path, tuple[int, int]] = {}
    data = _build(node, (), positions, problems, file)
    return Document(data, file, positions, text), problems


def load_file(path: str) -> tuple[Document | None, list[Problem]]:
    """Read and parse a definition file, refusing what is too big or not UTF-8."""
    from .files import special_kind

    kind = special_kind(path)  # a FIFO or a device would block or never end
    if kind is not None:
        return None, [_problem(path, "unreadable", f"cannot read file: it is {kind}, not a "
                               "regular file", None, None, "give the path of an ordinary file")]
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return None, [_problem(path, "unreadable", f"cannot read file: {exc.strerror}", None, None)]
    if len(raw) > MAX_BYTES:
        return None, [
            _problem(path, "too-big", f"file is larger than {MAX_BYTES // 1024 // 1024} MiB", 1, 1)
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            _problem(path, "encoding", "file is not UTF-8 text", line, col, "save it as UTF-8")
        ]
    return load_text(text, path)


def _problem(file: str, code: str, message: str, line: int | None, col: int | None,
             hint: str | None = None) -> Problem:
    return Problem(code, message, Location(file, line, col), hint)


def _too_deep(file: str, line: int, col: int) -> Problem:
    return _problem(file, "yaml-too-deep", f"values are nested more than {MAX_DEPTH} levels deep",
                    line, col, "flatten the structure; an alias must not contain itself")


def _expanded_shape(node: yaml.Node) -> tuple[str, yaml.Node]:
    """Walk the values as if every alias were copied out, stopping at the first limit passed.

    Iterative and bounded by MAX_NODES steps, so neither an alias bomb, nor an alias inside
    its own anchor, nor deep nesting can exhaust memory or the stack.
    """
    count = 0
    todo: list[tuple[yaml.Node, int]] = [(node, 1)]
    while todo:
        current, depth = todo.pop()
        count += 1
        if depth > MAX_DEPTH:
            return "deep", current
        if count > MAX_NODES:
            return "large", node
        if isinstance(current, yaml.MappingNode):
            todo.extend((n, depth + 1) for pair in current.value for n in pair)
        elif isinstance(current, yaml.SequenceNode):
            todo.extend((n, depth + 1) for n in current.value)
    return "ok", node


def _deep_mark(text: str) -> yaml.Mark | None:
    """Where nesting first passes MAX_DEPTH, found from parser events (which do not recurse)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark  # type: ignore[return-value]
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    return None


def _build(node: yaml.Node, path: Path, positions: dict[Path, tuple[int, int]],
           problems: list[Problem], file: str) -> Any:
    positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(_problem(file, "bad-key", "mapping keys must be plain text",
                                         key_node.start_mark.line + 1,
                                         key_node.start_mark.column + 1))
                continue
            key = key_node.value
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key in seen:
                problems.append(Problem(
                    "duplicate-key",
                    Text("duplicate key '{key}' (first defined on line {value})", key=key, value=seen[key]),
                    Location(file, line, col, format_path((*path, key))),
                    Text("YAML keeps only one of them; remove or rename the other"),
                ))
                continue
            seen[key] = line
            positions[(*path, key)] = (line, col)
            out[key] = _build(value_node, (*path, key), positions, problems, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, (*path, i), positions, problems, file) for i, v in enumerate(node.value)]
    try:
        return _Loader.construct_scalar_value(node)  # type: ignore[attr-defined]
    except Exception as exc:  # a scalar PyYAML cannot construct, e.g. a bad !!binary
        problems.append(_problem(file, "bad-value", f"cannot read value: {exc}",
                                 node.start_mark.line + 1, node.start_mark.column + 1))
        return None


def _construct_scalar_value(node: yaml.ScalarNode) -> Any:
    loader = _Loader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


_Loader.construct_scalar_value = staticmethod(_construct_scalar_value)  # type: ignore[attr-defined]
