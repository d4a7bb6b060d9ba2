"""The registry that guard and action names in a definition resolve against."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from .plugins import ACTION_GROUP, GUARD_GROUP, PLUGIN_GROUP, ActionDef, GuardDef, Plugin


@dataclass
class Registry:
    """Plugins, guards and actions known to this process."""

    plugins: dict[str, Plugin] = field(default_factory=dict)
    guards: dict[str, GuardDef] = field(default_factory=dict)
    actions: dict[str, ActionDef] = field(default_factory=dict)

    def add_plugin(self, plugin: Plugin) -> None:
        self.plugins[plugin.name] = plugin

    def add_guards(self, defs: Iterable[GuardDef]) -> None:
        for d in defs:
            self.guards[d.name] = d

    def add_actions(self, defs: Iterable[ActionDef]) -> None:
        for d in defs:
            self.actions[d.name] = d

    def suggest(self, name: str, kind: str) -> str:
        known = sorted(self.guards if kind == "guard" else self.actions)
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            return f"did you mean '{close[0]}'?"
        return f"known {kind}s: {', '.join(known)}"


_default: Registry | None = None


def default_registry() -> Registry:
    """The registry built from installed entry points, once per process."""
    global _default
    if _default is None:
        _default = _from_entry_points()
    return _default


def _from_entry_points() -> Registry:
    from importlib import metadata

    registry = Registry()
    for ep in metadata.entry_points(group=PLUGIN_GROUP):
        registry.add_plugin(ep.load())
    for ep in metadata.entry_points(group=GUARD_GROUP):
        registry.add_guards(_as_list(ep.load()))
    for ep in metadata.entry_points(group=ACTION_GROUP):
        registry.add_actions(_as_list(ep.load()))
    return registry


def _as_list(obj: object) -> list:
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]
