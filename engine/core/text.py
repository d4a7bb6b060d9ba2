"""Messages a person reads, in English, that a plugin can show in another language.

The engine knows no catalogue and no language.  A message it raises or a guard returns is a
``Text``: a ``str`` holding the English words, which also remembers its template and values.
A plugin that speaks another language translates the template and fills in the values
(``localize``); anything else sees plain English.  ``Text("...")`` with a literal template is
what the catalogue's extraction looks for.

Reasons are also stored in events as plain English (a log must not depend on the language of
the run that wrote it); ``TEMPLATES`` holds every template declared at import time, so a plugin
can recognise such a stored sentence again and show it translated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# every template declared at import time (guard reasons and the like), in declaration order
TEMPLATES: list[str] = []


class Text(str):
    """English text with its template and values, e.g. ``Text("only {done} are done", done=3)``."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Text:
        """A list or tuple value reads as its items joined by '; ' (several reasons)."""
        shown = {k: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v
                 for k, v in params.items()}
        self = super().__new__(cls, template.format(**shown) if params else template)
        self.template = template
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # copies and pickles keep the template
        return (_rebuild, (self.template, self.params))

    def localize(self, translate: Callable[[str], str]) -> str:
        """The message with its template (and every ``Text`` value) put through ``translate``."""
        values = {k: localize(v, translate) for k, v in self.params.items()}
        try:
            return translate(self.template).format(**values) if values else translate(self.template)
        except (KeyError, IndexError, ValueError):  # a broken translation: the English stands
            return str(self)


def _rebuild(template: str, params: dict[str, Any]) -> Text:
    return Text(template, **params)


def declare(template: str) -> str:
    """Mark a template known before it is used (a guard's reason), so stored sentences made
    from it can be recognised again; returns it unchanged."""
    if template not in TEMPLATES:
        TEMPLATES.append(template)
    return template


def localize(value: Any, translate: Callable[[str], str]) -> Any:
    """``value`` with every ``Text`` in it translated; lists become '; '-joined text."""
    if isinstance(value, Text):
        return value.localize(translate)
    if isinstance(value, (list, tuple)):
        return "; ".join(str(localize(v, translate)) for v in value)
    return value


def joined(parts: Iterable[str], sep: str = "; ") -> Text:
    """Several messages as one, each still translatable."""
    items = list(parts)
    return Text(sep.join("{p" + str(i) + "}" for i in range(len(items))),
                **{f"p{i}": p for i, p in enumerate(items)})


_LOCALIZE: list[Callable[[Any], str]] = [str]


def set_localizer(localize_fn: Callable[[Any], str]) -> None:
    """A plugin that speaks another language installs how a message is shown (it receives a
    ``Text`` or a plain ``str``).  The engine itself never picks a language."""
    _LOCALIZE[0] = localize_fn


def shown(message: Any) -> str:
    """``message`` as the installed localizer shows it (plain English by default): for text the
    engine draws itself, such as the legends of diagrams."""
    return _LOCALIZE[0](message)
