"""The registry that guard and action names in a definition resolve against."""

from __future__ import annotations

import difflib
import functools
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .plugins import ACTION_GROUP, GUARD_GROUP, PLUGIN_GROUP, ActionDef, FieldType, GuardDef, Plugin
from .text import Text


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

    def fields(self, machine: str) -> dict[str, FieldType]:
        """The fields actions may set on subjects of ``machine``, as the plugins declare them."""
        return {k: v for p in self.plugins.values() for k, v in p.fields.get(machine, {}).items()}

    @property
    def params(self) -> dict[str, type]:
        """The values commands may supply to a trigger, as the plugins declare them."""
        return {k: v for p in self.plugins.values() for k, v in p.params.items()}

    def suggest(self, name: str, kind: str) -> str:
        known = sorted(self.guards if kind == "guard" else self.actions)
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            return Text("did you mean '{name}'?", name=close[0])
        if kind == "guard":
            return Text("known guards: {names}", names=", ".join(known))
        return Text("known actions: {names}", names=", ".join(known))


_default: Registry | None = None


def default_registry() -> Registry:
    """The registry built from installed entry points, once per process."""
    global _default
    if _default is None:
        _default = _from_entry_points()
    return _default


def _from_entry_points() -> Registry:
    registry = Registry()
    for target in entry_points(PLUGIN_GROUP):
        plugin = _load(target)
        if not isinstance(plugin, Plugin):
            raise TypeError(f"entry point {target} is not a Plugin")
        registry.add_plugin(plugin)
    for target in entry_points(GUARD_GROUP):
        registry.add_guards(_as_list(_load(target)))
    for target in entry_points(ACTION_GROUP):
        registry.add_actions(_as_list(_load(target)))
    return registry


def entry_points(group: str) -> list[str]:
    """``module:attr`` targets of an entry-point group, read from installed distributions."""
    return list(_installed_entry_points().get(group, ()))


@functools.cache
def _installed_entry_points() -> dict[str, list[str]]:
    """Every group's targets, from one read of each distribution's ``entry_points.txt``.

    Read directly: ``importlib.metadata`` costs ~25 ms to import, a tenth of a short
    command's whole budget.
    """
    import os

    groups: dict[str, list[str]] = {}
    seen: set[str] = set()
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in sorted(names):
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            dist = name.rsplit(".", 1)[0].split("-")[0].lower().replace("_", "-")
            if dist in seen:
                continue  # the first on sys.path wins, as with imports
            seen.add(dist)
            _read_groups(os.path.join(folder or ".", name, "entry_points.txt"), groups)
    return groups


def _read_groups(path: str, groups: dict[str, list[str]]) -> None:
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return
    current: list[str] | None = None
    for line in lines:
        line = line.strip()
        if line.startswith("["):
            current = groups.setdefault(line.strip("[]").strip(), [])
        elif current is not None and "=" in line and not line.startswith(("#", ";")):
            current.append(line.split("=", 1)[1].strip())


def _load(target: str) -> object:
    import importlib

    module, _, attr = target.partition(":")
    obj: object = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


def _as_list(obj: object) -> list[Any]:
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]
