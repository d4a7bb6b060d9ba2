"""Words a ledger uses for categories and sources, and the keys they mean.

A cell names a category (or source) by its key, its title, one of the definition's
``synonyms``, or a value the campaign's office mapped with ``rectify campaign map``.  A
definition is frozen once a campaign runs, so the mapping lives in the campaign's own event
log (``values mapped`` events): the latest mapping of a value wins, and the log says who
mapped what and when.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound

from .choices import norm
from .i18n import _
from .runs import Run
from .tables import EVENTS as E

FIELDS = ("category", "source")
SECTIONS = {"category": "categories", "source": "sources"}


def mapped_values(conn: Connection, run: Run) -> dict[str, dict[str, str]]:
    """The campaign's mappings (field → value → key), replayed from its log in order."""
    out: dict[str, dict[str, str]] = {f: {} for f in FIELDS}
    query = (select(E.c.payload).where(E.c.campaign_id == run.id, E.c.item_id.is_(None),
                                       E.c.machine == "campaign", E.c.trigger == "map")
             .order_by(E.c.id))
    for (payload,) in conn.execute(query):
        if isinstance(payload, dict) and payload.get("field") in out:
            for value, key in (payload.get("values") or {}).items():
                if not key:
                    out[payload["field"]].pop(norm(value), None)
                else:
                    out[payload["field"]][norm(value)] = key
    return out


class Resolver:
    """Finds the key a cell means, for one field of one campaign."""

    def __init__(self, run: Run, field: str, mapped: Mapping[str, str]) -> None:
        self.run, self.field = run, field
        section = run.definition.sections.get(SECTIONS[field]) or {}
        self.choices: Mapping[str, str] = section
        self.words: dict[str, str] = {norm(k): k for k in section}
        self.words.update((norm(t), k) for k, t in section.items())
        self.words.update(getattr(section, "synonyms", {}))
        self.words.update(mapped)

    def find(self, text: str) -> str:
        if text in self.choices:
            return text
        key = self.words.get(norm(text))
        if key is not None and key in self.choices:
            return key
        close = difflib.get_close_matches(norm(text), list(self.words), n=1, cutoff=0.5)
        flag = "--category" if self.field == "category" else "--source"
        example = self.words[close[0]] if close else next(iter(self.choices), "KEY")
        hint = _("map it: rectify campaign map {campaign} {flag} {value}={key}").format(
            campaign=self.run.key, flag=flag, value=text, key=example)
        if close:
            hint = _("did you mean '{word}' ({key})? or {hint}").format(
                word=close[0], key=self.words[close[0]], hint=hint)
        else:
            hint += _(" (keys: {keys})").format(keys=", ".join(self.choices))
        what = _("category") if self.field == "category" else _("source")
        raise NotFound(_("unknown {what} '{value}'").format(what=what, value=text), hint)


def check_mapping(run: Run, field: str, pairs: Mapping[str, str]) -> dict[str, str]:
    """``pairs`` (value → key, or '' to drop a mapping) checked against the definition."""
    section = run.definition.sections.get(SECTIONS[field]) or {}
    out: dict[str, str] = {}
    for value, key in pairs.items():
        if not value.strip():
            raise InvalidInput(_("an empty value cannot be mapped"),
                               _("write VALUE=KEY, e.g. 公车管理=official-car"))
        if key and key not in section:
            close = difflib.get_close_matches(key, list(section), n=1)
            raise NotFound(_("unknown {field} key '{key}' for '{value}'").format(
                field=field, key=key, value=value),
                _("did you mean '{key}'?").format(key=close[0]) if close
                else _("keys: {keys}").format(keys=", ".join(section)))
        out[value.strip()] = key
    return out


def parse_pairs(texts: Iterable[str], option: str) -> dict[str, str]:
    """``VALUE=KEY`` options (several may be joined by commas); ``VALUE=`` drops a mapping."""
    out: dict[str, str] = {}
    for text in texts:
        for part in text.replace("，", ",").split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise InvalidInput(_("{option} '{part}' has no '='").format(option=option,
                                                                              part=part),
                                   _("write VALUE=KEY, e.g. 公车管理=official-car"))
            value, _sep, key = part.partition("=")
            out[value.strip()] = key.strip()
    return out


def read_map_file(path: str) -> dict[str, dict[str, str]]:
    """A mapping file: YAML ``{category: {VALUE: KEY}, source: {...}}``, or CSV with the
    columns field, value, key (字段, 原值, 对应键)."""
    import csv
    import io
    import os

    from .tabular import check_file, decode

    check_file(path, 5 * 1024 * 1024)
    with open(path, "rb") as fh:
        text = decode(fh.read(), path)
    out: dict[str, dict[str, str]] = {f: {} for f in FIELDS}
    if os.path.splitext(path)[1].lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
            raise InvalidInput(_("{where}: not valid YAML").format(where=where),
                               _("write category: {VALUE: KEY} and source: {VALUE: KEY}")) from None
        if not isinstance(data, dict) or set(data) - set(FIELDS) or not all(
                isinstance(v, dict) for v in data.values()):
            raise InvalidInput(_("{file}: a mapping file maps category and source values").format(
                file=path), _("write category: {VALUE: KEY} and source: {VALUE: KEY}"))
        for field, pairs in data.items():
            out[field] = {str(k): "" if v is None else str(v) for k, v in pairs.items()}
        return out
    names = {"field": "field", "字段": "field", "value": "value", "原值": "value",
             "key": "key", "对应键": "key", "键": "key"}
    reader = csv.reader(io.StringIO(text))
    header = [names.get(h.strip().lower(), "") for h in next(reader, [])]
    if not {"field", "value", "key"} <= set(header):
        raise InvalidInput(_("{file}: the header row must name field, value and key").format(
            file=path), _("e.g. field,value,key then category,公车管理,official-car"))
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        row = dict(zip(header, (c.strip() for c in cells), strict=False))
        field = {"类别": "category", "问题类别": "category", "来源": "source",
                 "问题来源": "source"}.get(row.get("field", ""), row.get("field", ""))
        if field not in FIELDS:
            raise InvalidInput(_("{file}: row {row}: field '{field}' is neither category nor "
                                 "source").format(file=path, row=number, field=field),
                               _("write category or source"))
        out[field][row.get("value", "")] = row.get("key", "")
    return out


def map_values(conn: Connection, run: Run, actor: str, day: Any,
               pairs: Mapping[str, Mapping[str, str]], file: str | None = None) -> int:
    """Record the mappings (field → value → key) as ``values mapped`` events of the
    campaign's log; how many values were mapped (or dropped)."""
    from . import events as ev

    checked = {f: check_mapping(run, f, pairs.get(f) or {}) for f in FIELDS}
    entries = [ev.entry(run.key, ev.ValuesMapped(f, values, file), subject=run.key, actor=actor,
                        day=day, campaign_id=run.id, subject_id=run.id)
               for f, values in checked.items() if values]
    if not entries:
        raise InvalidInput(_("nothing to map"),
                           _("give --category VALUE=KEY, --source VALUE=KEY or --file MAP"))
    ev.lock(conn, [run.key])
    ev.write(conn, entries)
    return sum(len(v) for v in checked.values())


def list_mappings(conn: Connection, run: Run) -> list[dict[str, str]]:
    """Every way a cell can name a key: titles, synonyms and the campaign's mappings."""
    rows: list[dict[str, str]] = []
    mapped = mapped_values(conn, run)
    for field in FIELDS:
        section = run.definition.sections.get(SECTIONS[field]) or {}
        for key, title in section.items():
            rows.append({"field": field, "value": title, "key": key, "by": "title"})
        for word, key in getattr(section, "synonyms", {}).items():
            rows.append({"field": field, "value": word, "key": key, "by": "synonym"})
        for word, key in mapped[field].items():
            rows.append({"field": field, "value": word, "key": key, "by": "map"})
    return rows
