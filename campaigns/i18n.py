"""What the command line says, in the user's language: stdlib gettext, English as the source.

The catalog is ``locale/<lang>/LC_MESSAGES/rectify.po`` with its compiled ``.mo`` beside it
(``pybabel compile -d campaigns/locale -D rectify``).  The language is ``--lang`` when given,
else the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set; a language
without a catalog (or ``C``/``POSIX``) means English.

``_()`` translates at call time, so a string is looked up in whatever language is chosen when it
is shown; ``N_()`` only marks a string for the catalog where it must stay English until then.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
import os
import re
from collections.abc import Iterator

DOMAIN = "rectify"
LOCALEDIR = os.path.join(os.path.dirname(__file__), "locale")
SOURCE_LANGUAGE = "en"

_current: gettext.NullTranslations | None = None
# the language of what is being answered right now (a web request, a document being written):
# it wins over the process's choice, and is private to the task or thread that set it
_answering: contextvars.ContextVar[gettext.NullTranslations | None] = contextvars.ContextVar(
    "rectify_answering", default=None)


def available() -> list[str]:
    """Languages with a compiled catalog, plus English (the source language)."""
    names = sorted(os.listdir(LOCALEDIR)) if os.path.isdir(LOCALEDIR) else []
    found = [name for name in names
             if os.path.isfile(os.path.join(LOCALEDIR, name, "LC_MESSAGES", DOMAIN + ".mo"))]
    return [SOURCE_LANGUAGE, *found]


def normalize(lang: str) -> str:
    """'zh-cn', 'zh_CN.UTF-8', 'zh' → 'zh_CN'; 'en_US' → 'en'; 'C' → 'en'."""
    code = lang.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_")
    if code in ("", "C", "POSIX"):
        return SOURCE_LANGUAGE
    base, _sep, region = code.partition("_")
    base = base.lower()
    if base == "en":
        return SOURCE_LANGUAGE
    if base == "zh":
        return "zh_CN"  # the only Chinese catalog: simplified, as the seed documents
    return f"{base}_{region.upper()}" if region else base


def from_environment() -> str:
    """The language the environment asks for (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").strip()
        if value:
            # LANGUAGE may list several ('zh_CN:en'); the first we have wins
            for part in value.split(":"):
                lang = normalize(part)
                if lang in available():
                    return lang
            return normalize(value.split(":", 1)[0])
    return SOURCE_LANGUAGE


def use(lang: str | None = None) -> str:
    """Choose the language of everything shown from now on; returns its code.

    An explicit ``lang`` without a catalog raises ``LookupError``; the environment's choice
    falls back to English quietly.
    """
    global _current
    code = normalize(lang) if lang else from_environment()
    if code == SOURCE_LANGUAGE or code not in available():
        if lang and code not in available():
            raise LookupError(code)
        _current = gettext.NullTranslations()
        return SOURCE_LANGUAGE
    with open(os.path.join(LOCALEDIR, code, "LC_MESSAGES", DOMAIN + ".mo"), "rb") as fh:
        _current = gettext.GNUTranslations(fh)
    return code


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` alone, leaving the process's choice as it is: a server answers
    each request in the language it asks for (English when there is no catalog)."""
    code = normalize(lang)
    if code == SOURCE_LANGUAGE or code not in available():
        return gettext.NullTranslations()
    with open(os.path.join(LOCALEDIR, code, "LC_MESSAGES", DOMAIN + ".mo"), "rb") as fh:
        return gettext.GNUTranslations(fh)


def current() -> gettext.NullTranslations:
    answering = _answering.get()
    if answering is not None:
        return answering
    if _current is None:
        use()
    assert _current is not None
    return _current


def _(message: str) -> str:
    """``message`` in the chosen language (itself when there is no translation)."""
    return current().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return current().ngettext(singular, plural, n)


def column_label(key: str) -> str:
    """The header of a table column or record field named ``key`` (context "column")."""
    return current().pgettext("column", key)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it now."""
    return message


def P_(context: str, message: str) -> str:
    """``message`` in the chosen language, looked up under ``context`` (e.g. "column")."""
    return current().pgettext(context, message)


def translating() -> bool:
    """Whether messages are shown in a language other than the source (English)."""
    return type(current()) is not gettext.NullTranslations


def localize(value: object) -> str:
    """A message in the chosen language, whatever made it.

    An engine ``Text`` is translated by its template, its values too (a state or trigger key
    shown by the title the campaign's definition gives it); a plain English sentence (a reason
    stored in an event) by its catalogue entry, else by recognising which declared template
    made it and translating that with the same values.
    """
    from engine.core.text import Text

    if isinstance(value, (list, tuple)):
        return "; ".join(localize(v) for v in value)
    if isinstance(value, Text):
        if not translating():
            return str(value)
        return _fill(value.template, value.params, str(value))
    text = str(value)
    if not translating() or not text:
        return text
    found = _(text)
    if found != text:
        return found
    for pattern, template in _patterns():
        match = pattern.fullmatch(text)
        if match:
            return _fill(template, match.groupdict(), text)
    return text


def _fill(template: str, params: dict[str, object], fallback: str) -> str:
    values = {k: _value(k, v) for k, v in params.items()}
    try:
        return _(template).format(**values) if values else _(template)
    except (KeyError, IndexError, ValueError):  # a broken translation: the English stands
        return fallback


def _value(name: str, value: object) -> object:
    if type(value) is str:
        if value in _KINDS.get(name, {}):
            return _(_KINDS[name][value])
        if name in _LISTS and name not in _WORDS:  # "submitted, planned": each by its title
            words = _WORDS.get(_LISTS[name], {})
            return "、".join(words.get(v, v) for v in value.split(", "))
        return _WORDS.get(name, {}).get(value, value)
    if isinstance(value, (str, list, tuple)):
        return localize(value)
    return value


# values the engine names by a word of its own (what a definition calls): shown translated
_KINDS = {"kind": {"guard": N_("guard"), "action": N_("action")}}


# value names whose values list a definition's keys, comma-separated: the key they are named by
_LISTS = {"sources": "state"}


# value names whose values are a definition's keys, shown by their titles (use_words)
_WORDS: dict[str, dict[str, str]] = {}


def use_words(words: dict[str, dict[str, str]]) -> None:
    """Show values named like the keys of ``words`` (state, trigger …) by their titles: the
    definition of the campaign the command works on (campaigns.wording.remember)."""
    _WORDS.clear()
    _WORDS.update(words)


def error_text(exc: Exception) -> str:
    """An engine error as the user reads it: message and hint in the chosen language."""
    from engine.core.errors import DefinitionInvalid, EngineError

    if not isinstance(exc, EngineError):
        return str(exc)
    if isinstance(exc, DefinitionInvalid) or type(exc).format is not EngineError.format:
        return exc.format(localize)  # located problems, each in the reader's language
    text = localize(exc.message)
    if exc.hint:
        text += "\n" + _("  hint: {hint}").format(hint=localize(exc.hint))
    return text


def _patterns() -> list[tuple[re.Pattern[str], str]]:
    """The declared templates as patterns, the most specific (longest literal text) first."""
    from engine.core.text import TEMPLATES

    if _SEEN[0] != len(TEMPLATES):
        _SEEN[0] = len(TEMPLATES)
        _PATTERNS.clear()
        for template in sorted(TEMPLATES, key=lambda t: -len(re.sub(r"\{[^}]*\}", "", t))):
            parts = re.split(r"\{(\w+)(?::[^}]*)?\}", template)
            if len(parts) == 1:
                continue
            regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)"
                            for i, p in enumerate(parts))
            try:
                _PATTERNS.append((re.compile(regex, re.DOTALL), template))
            except re.error:  # a field named twice: not recognisable, shown as stored
                continue
    return _PATTERNS


_PATTERNS: list[tuple[re.Pattern[str], str]] = []
_SEEN = [0]


def chinese(value: object) -> str:
    """``value`` in Chinese whatever language the command speaks: the words of an official
    document (督办通知书, a notice to the office) are always Chinese."""
    with speaking("zh_CN"):
        return localize(value)


@contextlib.contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Everything shown inside speaks ``lang`` (a document's language, a web request's), then
    what was spoken before; only the task or thread inside sees it, so a server's requests,
    each in its own language, do not mix."""
    token = _answering.set(translations(lang))
    try:
        yield
    finally:
        _answering.reset(token)


def shown(kind: str, key: str | None) -> str:
    """A state or trigger key (``kind``: "state", "trigger") as the reader names it: its title
    in the definition of the campaign worked on, when translating; else the key itself."""
    if not key or not translating():
        return key or ""
    return _WORDS.get(kind, {}).get(key, key)


def _install() -> None:
    """What the engine draws itself (diagram legends) is shown through this catalogue."""
    from engine.core.text import set_localizer

    set_localizer(localize)


_install()
