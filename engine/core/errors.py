"""One error hierarchy for the whole tool, each class carrying its exit code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from .text import Text

# how a message is shown: plain English by default; a plugin passes one that translates a
# ``Text`` (its template and values) into the reader's language
Show = Callable[[Any], str]


class ExitCode(IntEnum):
    """The exit codes every command uses (documented in docs/cli.md)."""

    OK = 0
    INVALID = 1  # invalid input, or refused by the domain
    USAGE = 2
    CONFLICT = 3  # worth retrying: changed by someone else, database locked
    ENVIRONMENT = 4  # missing program, schema newer than the tool


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file position and/or a path inside a document."""

    file: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    path: str = ""

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True)
class Problem:
    """One located finding, printed like a compiler diagnostic."""

    code: str
    message: str
    location: Location = field(default_factory=Location)
    hint: str | None = None

    def format(self, show: Show = str) -> str:
        """As a compiler would print it; ``show`` puts each message in the reader's language."""
        text = show(Text("{location}: error[{code}]: {message}", location=str(self.location),
                         code=self.code, message=show(self.message)))
        if self.location.path:
            text += show(Text(" (at {path})", path=self.location.path))
        if self.hint:
            text += "\n" + show(Text("  hint: {hint}", hint=show(self.hint)))
        return text

    def as_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "file": loc.file,
            "line": loc.line,
            "column": loc.column,
            "path": loc.path,
        }


class EngineError(Exception):
    """Base of every error a user may see; never shown with a traceback."""

    exit_code: ExitCode = ExitCode.INVALID

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def format(self, show: Show = str) -> str:
        """The message and its hint; ``show`` puts them in the reader's language."""
        text = show(self.message)
        if self.hint:
            text += "\n" + show(Text("  hint: {hint}", hint=show(self.hint)))
        return text


class InvalidInput(EngineError):
    """Input that cannot be accepted as given."""


class NotFound(InvalidInput):
    """A named thing (record, trigger, file) that does not exist."""


class Refused(EngineError):
    """The domain refuses the request: illegal trigger, guard refused, permission."""


class Conflict(EngineError):
    """Someone else changed the data first, or the database is busy; retrying may work."""

    exit_code = ExitCode.CONFLICT


class EnvironmentProblem(EngineError):
    """The machine lacks something: a program, a writable file, a schema we understand."""

    exit_code = ExitCode.ENVIRONMENT


class DefinitionInvalid(InvalidInput):
    """A definition with one or more located problems; all of them are reported at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        super().__init__(Text("{count} problem(s) in definition", count=count))

    def format(self, show: Show = str) -> str:
        return "\n".join(p.format(show) for p in self.problems)
