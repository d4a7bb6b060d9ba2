"""One section of the site configuration file (``RECTIFY_SITE_CONFIG``): notifications, the
serve schedule and the OpenID Connect provider each read theirs, with problems located."""

from __future__ import annotations

from typing import Any

from engine.core.errors import DefinitionInvalid, Problem


class Section:
    """The file read once, the section ``name`` as written (None when absent), and ``bad``
    collecting each problem with its file:line:column."""

    def __init__(self, path: str, name: str) -> None:
        from engine.core.yamlsource import load_file

        doc, problems = load_file(path)
        if doc is None or problems:
            raise DefinitionInvalid(problems)
        self.doc = doc
        data = doc.data if isinstance(doc.data, dict) else {}
        self.raw: Any = data.get(name)
        self.found: list[Problem] = []

    def bad(self, where: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        self.found.append(Problem("site-config", message, self.doc.locate(where), hint))
