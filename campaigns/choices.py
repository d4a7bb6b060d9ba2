"""A definition's categories or sources as built by the plugin: titles by key, and synonyms.

Kept apart from ``valuemaps`` (which reads the campaign's log) so that loading a definition
needs no database library.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any


class Choices(dict[str, str]):
    """A definition's categories or sources (key → title) with their synonyms (word → key)."""

    def __init__(self, titles: Mapping[str, str], synonyms: Mapping[str, str] | None = None) -> None:
        super().__init__(titles)
        self.synonyms: dict[str, str] = dict(synonyms or {})


def build_choices(raw: Iterable[Any], titles: Mapping[str, str]) -> Choices:
    """``titles`` (key → title) with the ``synonyms`` of each ``{key, title, synonyms}`` entry."""
    synonyms = {norm(word): entry["key"] for entry in raw if isinstance(entry, dict)
                for word in entry.get("synonyms") or ()}
    return Choices(titles, synonyms)


def norm(text: str) -> str:
    """A value as compared: full-width forms folded, spaces dropped."""
    return "".join(unicodedata.normalize("NFKC", text).split())
