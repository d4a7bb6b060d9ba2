"""How plugins extend the engine: definition sections, lifecycle presets, guards, actions.

Built-in guards and actions are registered exactly as a third-party plugin's are: through
the entry-point groups below, loaded lazily the first time a registry is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import Problem
from .spec import DutySpec

FieldType = type | tuple[type, ...]  # ``type(None)`` among them: the field may be cleared

PLUGIN_GROUP = "rectify.plugins"
GUARD_GROUP = "rectify.guards"
ACTION_GROUP = "rectify.actions"


@dataclass(frozen=True)
class Param:
    """One parameter of a guard or action, checked when the definition loads."""

    type: type | tuple[type, ...]
    required: bool = True
    description: str = ""
    # what the value names, checked against the plugins' declarations: a field of the
    # subject ("field"), a value a command supplies ("param"), or the value an action
    # writes into its field ("value", absent: the field is cleared)
    refers: Literal["field", "param", "value"] | None = None
    choices: tuple[Any, ...] = ()  # the only values it may take, when not empty


@dataclass(frozen=True)
class GuardDef:
    """A named check; ``fn(ctx, **params)`` returns None to allow or a reason to refuse.

    ``title`` is what the check means to the people it stops, in their words (shown by triggers
    listings and diagrams); it may name parameters as ``str.format`` fields, e.g. ``{name}``.
    """

    name: str
    fn: Callable[..., str | None]
    description: str
    params: Mapping[str, Param] = field(default_factory=dict)
    title: str = ""

    def describe(self, params: Mapping[str, Any]) -> str:
        """The title with the call's parameters filled in ("" without a title)."""
        try:
            return self.title.format(**params)
        except (KeyError, IndexError, ValueError, TypeError):
            return self.title


@dataclass(frozen=True)
class ActionDef:
    """A named effect run after a transition; ``fn(ctx, **params)`` records changes on ctx."""

    name: str
    fn: Callable[..., None]
    description: str
    params: Mapping[str, Param] = field(default_factory=dict)
    writes: type | None = None  # the type it writes into its field, when no parameter says
    sets: tuple[str, ...] = ()  # fields it always sets, whatever its parameters


@dataclass(frozen=True)
class Section:
    """A top-level key of the definition format contributed by a plugin."""

    name: str
    schema: Mapping[str, Any]
    required: bool = False
    check: Callable[[Any, Any], Iterable[Problem]] | None = None  # (raw, CheckContext)
    build: Callable[[Any], Any] | None = None
    description: str = ""


@dataclass(frozen=True)
class Upgrade:
    """An obsolete form a plugin's ``upgrade`` rewrote as it read a definition: where it stood,
    what it means now, and what to write instead (shown by ``validate`` as a warning)."""

    code: str
    path: tuple[str | int, ...]
    message: str
    hint: str


@dataclass(frozen=True)
class Plugin:
    """Everything one plugin adds; registered under the ``rectify.plugins`` entry point."""

    name: str
    sections: tuple[Section, ...] = ()
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    identify: Callable[[Mapping[str, Any]], tuple[str, str]] | None = None
    # per machine, the fields actions may set and their types: the store has a column for each
    fields: Mapping[str, Mapping[str, FieldType]] = field(default_factory=dict)
    # the values a command may supply to a trigger (``Context.params``), e.g. a new deadline
    params: Mapping[str, type] = field(default_factory=dict)
    # per preset, the escalation keys a definition on it gets unless it writes them (where
    # the ladder applies, e.g. only in the preset's working states)
    escalation_defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # the sides a role may act for (key → meaning), a role's side when it names none, and per
    # trigger what firing it takes besides a role listing it (engine.core.spec.DutySpec)
    sides: Mapping[str, str] = field(default_factory=dict)
    role_side: Callable[[Mapping[str, Any]], str] | None = None
    duties: Mapping[str, DutySpec] = field(default_factory=dict)
    # rewrites obsolete forms of the (merged) data before it is built: the same rule for a
    # file and for a stored snapshot, whose text and hash stay as they were.  It returns None
    # when there is nothing to rewrite (the data is left alone, and not copied), else a
    # rewritten copy and what it rewrote
    upgrade: Callable[[Mapping[str, Any]], tuple[dict[str, Any], list[Upgrade]] | None] | None \
        = None
