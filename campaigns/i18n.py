"""What the command line says, in the user's language: stdlib gettext, English as the source.

The catalog is ``locale/<lang>/LC_MESSAGES/rectify.po`` with its compiled ``.mo`` beside it
(``pybabel compile -d campaigns/locale -D rectify``).  The language is ``--lang`` when given,
else the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set; a language
without a catalog (or ``C``/``POSIX``) means English.

``_()`` translates at call time, so a string is looked up in whatever language is chosen when it
is shown; ``N_()`` only marks a string for the catalog where it must stay English until then.
"""

from __future__ import annotations

import gettext
import os

DOMAIN = "rectify"
LOCALEDIR = os.path.join(os.path.dirname(__file__), "locale")
SOURCE_LANGUAGE = "en"

_current: gettext.NullTranslations | None = None


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


def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` alone, leaving the process's choice as it is: a server answers
    each request in the language it asks for (English when there is no catalog)."""
    code = normalize(lang)
    if code == SOURCE_LANGUAGE or code not in available():
        return gettext.NullTranslations()
    with open(os.path.join(LOCALEDIR, code, "LC_MESSAGES", DOMAIN + ".mo"), "rb") as fh:
        return gettext.GNUTranslations(fh)


def current() -> gettext.NullTranslations:
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
