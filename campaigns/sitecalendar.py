"""The site's calendar data: holiday notices and regional holidays every campaign counts on.

A running campaign's definition is frozen, so a year's State Council notice (days off and 调休
working days) or a region's own holidays (三月三) cannot be added to it.  They live here, in
the database, and are injected into each campaign's calendar when it is loaded
(``with_site``): the definition's own lists still come first, the site's data next, then
``chinesecalendar``, then provisional statutory holidays (engine/core/calendar.py).

Importing a notice is an administrator's change, recorded in the site log; it then lists the
deadlines counted on the provisional days it corrects, and moves those not yet passed when asked.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from engine.core.errors import InvalidInput, NotFound
from engine.core.spec import Definition, SiteDays

from .i18n import _
from .tables import CALENDAR_DAYS as CD, CALENDAR_NOTICES as CN, META, insert_id

MAX_BYTES = 256 * 1024  # a year's notice is a few dozen lines
OFF_WORDS = {"off": True, "休": True, "休息": True, "放假": True, "holiday": True,
             "work": False, "班": False, "上班": False, "调休上班": False, "working": False}
CSV_COLUMNS = {"date": "date", "日期": "date", "kind": "kind", "type": "kind", "类型": "kind",
               "休/班": "kind", "name": "name", "名称": "name", "节日": "name"}

# How many times the site calendar changed (a counter in ``meta``; absent: never): what a
# loaded campaign's calendar was built on (``runs.HEAD``).  Kept in a table every schema
# version has, so campaigns load in the migrations before this one too.
STAMP_KEY = "calendar"
STAMP = select(META.c.value).where(META.c.key == STAMP_KEY).scalar_subquery()


@dataclass(frozen=True)
class Day:
    day: dt.date
    off: bool
    name: str


@dataclass(frozen=True)
class Notice:
    """One file's days: a year's national notice (``area`` '') or a region's holidays."""

    year: int
    area: str
    title: str
    file: str
    days: tuple[Day, ...] = field(default=())

    @property
    def days_off(self) -> list[dt.date]:
        return sorted(d.day for d in self.days if d.off)

    @property
    def working_days(self) -> list[dt.date]:
        return sorted(d.day for d in self.days if not d.off)


# --- reading what the site holds -----------------------------------------------------------------


def site_days(conn: Connection, *, leave_out: tuple[int, str] | None = None) -> SiteDays:
    """Every notice's days as the calendar takes them (``leave_out``: one (year, area) less)."""
    rows = conn.execute(select(CN.c.year, CN.c.area, CD.c.day, CD.c.off)
                        .select_from(CN.outerjoin(CD, CD.c.notice_id == CN.c.id))).all()
    years: set[int] = set()
    off: set[dt.date] = set()
    working: set[dt.date] = set()
    for year, area, day, is_off in rows:
        if leave_out == (year, area):
            continue
        if area == "":
            years.add(year)
        if day is not None:
            (off if is_off else working).add(day)
    return SiteDays(frozenset(years), frozenset(off), frozenset(working))


def with_site(definition: Definition, site: SiteDays) -> Definition:
    """The definition with the site's calendar data injected (its text and hash unchanged)."""
    if site == definition.calendar.site:
        return definition
    return dataclasses.replace(definition,
                               calendar=dataclasses.replace(definition.calendar, site=site))


def show(conn: Connection, year: int, definition: Definition | None = None) -> list[dict[str, Any]]:
    """Each day off and each working weekend day of ``year`` with the source that decides it.

    ``definition``: a campaign's (its own lists first); else the site's calendar for region cn.
    """
    from engine.core.calendar import calendar_for
    from engine.core.spec import CalendarSpec

    spec = definition.calendar if definition is not None else CalendarSpec(site=site_days(conn))
    if definition is not None and spec.site == SiteDays():
        spec = dataclasses.replace(spec, site=site_days(conn))
    cal = calendar_for(spec)
    names: dict[dt.date, tuple[str, str]] = {}
    for day, name, title, area in conn.execute(
            select(CD.c.day, CD.c.name, CN.c.title, CN.c.area)
            .select_from(CD.join(CN, CN.c.id == CD.c.notice_id))
            .where(CD.c.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))):
        names[day] = (name, f"{title} ({area})" if area else title)
    statutory = _statutory_names(year) if cal.year_source(year) == "provisional" else {}
    out: list[dict[str, Any]] = []
    d = dt.date(year, 1, 1)
    while d.year == year:
        working = cal.is_working(d)
        if working != (d.weekday() < 5):
            source = cal.day_source(d)
            name, where = names.get(d, ("", ""))
            if source == "site":
                shown = where
            elif source == "provisional":
                name = name or statutory.get(d, "")
                shown = _("holidays package (provisional)")
            elif source == "definition":
                shown = _("the definition's calendar")
            else:
                shown = source
            out.append({"date": d.isoformat(), "weekday": d.strftime("%a"),
                        "kind": "work" if working else "off", "holiday": name, "source": shown,
                        "provisional": source == "provisional"})
        d += dt.timedelta(days=1)
    return out


def _statutory_names(year: int) -> dict[dt.date, str]:
    import holidays

    return dict(holidays.country_holidays("CN", years=year, language="zh_CN").items())


def year_source(conn: Connection, year: int) -> str:
    from engine.core.calendar import calendar_for
    from engine.core.spec import CalendarSpec

    return calendar_for(CalendarSpec(site=site_days(conn))).year_source(year)


# --- reading a notice file -----------------------------------------------------------------------


def read_notice(path: str, area: str | None = None) -> Notice:
    """A notice file (YAML or CSV) read and checked before any transaction; every problem at once."""
    from engine.core.files import regular_file

    regular_file(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise NotFound(_("cannot read {path}: {why}").format(path=path, why=exc.strerror),
                       _("check the path")) from None
    if len(raw) > MAX_BYTES:
        raise InvalidInput(_("{path} is larger than {size} KiB: not a holiday notice").format(
            path=path, size=MAX_BYTES // 1024), _("give the year's notice as YAML or CSV"))
    ext = os.path.splitext(path)[1].lower()
    if ext in (".yaml", ".yml"):
        return _read_yaml(path, area)
    if ext == ".csv":
        return _read_csv(path, raw, area)
    raise InvalidInput(_("{path}: a notice is read from .yaml, .yml or .csv, not '{ext}'").format(
        path=path, ext=ext or "(none)"), _("save the notice as YAML or CSV (docs/deadlines.md)"))


def _read_yaml(path: str, area: str | None) -> Notice:
    from engine.core.yamlsource import load_file

    doc, problems = load_file(path)
    if doc is None or problems:
        said = [f"{p.location}: {p.message}" for p in problems] or [_("{path}: empty").format(path=path)]
        raise InvalidInput("\n".join(said), _("fix the file and import again"))
    data = doc.data
    errors: list[str] = []

    def at(where: tuple[str | int, ...], message: str) -> None:
        loc = doc.locate(where)
        errors.append(f"{loc}: {message}")

    if not isinstance(data, dict):
        raise InvalidInput(_("{path}:1:1: a notice is a mapping with year, title, days_off and "
                             "working_days").format(path=path), _("see docs/deadlines.md"))
    for key in data:
        if key not in ("year", "title", "area", "number", "days_off", "working_days"):
            at((key,), _("unknown key '{key}'").format(key=key)
               + " " + _("(known: year, title, area, number, days_off, working_days)"))
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1950 <= year <= 2100:
        at(("year",), _("year must be a year such as 2027, not {value!r}").format(value=year))
        year = None
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        at(("title",), _("a notice needs a title (the notice's name, e.g. "
                         "国务院办公厅关于2027年部分节假日安排的通知)"))
        title = ""
    given_area = data.get("area")
    if given_area is not None and not isinstance(given_area, str):
        at(("area",), _("area must be text, e.g. 广西"))
        given_area = None
    days: list[Day] = []
    for section, off in (("days_off", True), ("working_days", False)):
        entries = data.get(section) or []
        if not isinstance(entries, list):
            at((section,), _("{section} must be a list").format(section=section))
            continue
        for i, e in enumerate(entries):
            try:
                days.extend(Day(d, off, name) for d, name in _entry_days(e))
            except ValueError as exc:
                at((section, i), str(exc))
    if errors:
        raise InvalidInput(_("{n} problem(s) in {path}; nothing was imported:").format(
            n=len(errors), path=path) + "\n  " + "\n  ".join(errors), _("fix the file and import again"))
    assert year is not None
    return _checked(Notice(year, (area if area is not None else given_area or "").strip(),
                           str(title).strip(), os.path.basename(path), tuple(days)), path)


def _entry_days(e: Any) -> Iterable[tuple[dt.date, str]]:
    """One list entry: a date, or {date: D, name: N}, or {from: D, to: D, name: N}."""
    if isinstance(e, str):
        return [(_date(e), "")]
    if not isinstance(e, dict):
        raise ValueError(_("an entry is a date (2027-01-01) or a mapping with date or from/to and name"))
    unknown = [k for k in e if k not in ("date", "from", "to", "name")]
    if unknown:
        raise ValueError(_("unknown key '{key}' (known: date, from, to, name)").format(key=unknown[0]))
    name = str(e.get("name") or "")
    if "date" in e:
        return [(_date(e["date"]), name)]
    if "from" in e and "to" in e:
        first, last = _date(e["from"]), _date(e["to"])
        if last < first or (last - first).days > 31:
            raise ValueError(_("from {first} to {last} is not a holiday of at most 32 days").format(
                first=first, last=last))
        return [(first + dt.timedelta(days=i), name) for i in range((last - first).days + 1)]
    raise ValueError(_("give date, or from and to"))


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(_("'{value}' is not a date (YYYY-MM-DD)").format(value=value)) from None


def _read_csv(path: str, raw: bytes, area: str | None) -> Notice:
    from .tabular import decode

    reader = csv.reader(io.StringIO(decode(raw, path)))
    header = next(reader, None) or []
    columns = {CSV_COLUMNS.get(h.strip().lower()) or CSV_COLUMNS.get(h.strip()): i
               for i, h in enumerate(header)}
    missing = [c for c in ("date", "kind") if c not in columns]
    if missing:
        raise InvalidInput(_("{path}: row 1: no column for {columns}").format(
            path=path, columns=", ".join(missing)),
            _("the header row names date, kind (off/work, 休/班) and name, or 日期, 类型, 名称"))
    errors: list[str] = []
    days: list[Day] = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            i = columns.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        try:
            day = _date(cell("date"))
        except ValueError as exc:
            errors.append(_("row {row}, column {col} ({header}): {why}").format(
                row=number, col=columns["date"] + 1, header=header[columns["date"]].strip(), why=exc))
            continue
        kind = cell("kind")
        if kind.lower() not in OFF_WORDS and kind not in OFF_WORDS:
            errors.append(_("row {row}, column {col} ({header}): '{value}' is neither a day off "
                            "nor a working day").format(row=number, col=columns["kind"] + 1,
                                                        header=header[columns["kind"]].strip(),
                                                        value=kind)
                          + " " + _("(write off or work, 休 or 班)"))
            continue
        days.append(Day(day, OFF_WORDS.get(kind.lower(), OFF_WORDS.get(kind, True)), cell("name")))
    if not days and not errors:
        errors.append(_("no days: a notice lists at least one day off or working day"))
    if errors:
        raise InvalidInput(_("{n} problem(s) in {path}; nothing was imported:").format(
            n=len(errors), path=path) + "\n  " + "\n  ".join(errors), _("fix the rows and import again"))
    years = sorted({d.day.year for d in days if d.off} or {d.day.year for d in days})
    stem = os.path.splitext(os.path.basename(path))[0]
    return _checked(Notice(years[len(years) // 2], (area or "").strip(), stem,
                           os.path.basename(path), tuple(days)), path)


def _checked(notice: Notice, path: str) -> Notice:
    """The notice's days fit its year and none is listed twice."""
    problems: list[str] = []
    seen: dict[dt.date, Day] = {}
    lo, hi = dt.date(notice.year - 1, 12, 1), dt.date(notice.year + 1, 1, 31)
    for d in notice.days:
        if not lo <= d.day <= hi:
            problems.append(_("{day} is not in {year} (a notice's 调休 days may reach into the "
                              "neighbouring December or January, no further)").format(
                                  day=d.day, year=notice.year))
        if d.day in seen:
            both = seen[d.day].off != d.off
            problems.append(_("{day} is listed both as a day off and as a working day").format(day=d.day)
                            if both else _("{day} is listed twice").format(day=d.day))
        seen[d.day] = d
    if problems:
        raise InvalidInput(_("{n} problem(s) in {path}; nothing was imported:").format(
            n=len(problems), path=path) + "\n  " + "\n  ".join(problems),
            _("fix the file and import again"))
    unique = tuple(sorted(seen.values(), key=lambda d: d.day))
    return dataclasses.replace(notice, days=unique)


# --- storing a notice ----------------------------------------------------------------------------


def store(conn: Connection, notice: Notice, *, actor: str, day: dt.date) -> str | None:
    """Put the notice in place of any earlier one of its year and area; its site event.

    Returns the title of the notice it replaced, if any.  ``actor`` is already known to be an
    administrator.
    """
    from . import events as ev
    from .tables import SITE

    ev.lock(conn, [SITE])
    old = conn.execute(select(CN.c.id, CN.c.title).where(CN.c.year == notice.year,
                                                         CN.c.area == notice.area)).first()
    if old is not None:
        conn.execute(delete(CD).where(CD.c.notice_id == old.id))
        conn.execute(delete(CN).where(CN.c.id == old.id))
    nid = insert_id(conn, insert(CN).values(year=notice.year, area=notice.area,
                                            title=notice.title[:200], file=notice.file[:255],
                                            imported_on=day, actor=actor))
    count = conn.execute(select(META.c.value).where(META.c.key == STAMP_KEY)).scalar()
    if count is None:
        conn.execute(insert(META).values(key=STAMP_KEY, value=1))
    else:
        conn.execute(update(META).where(META.c.key == STAMP_KEY).values(value=int(count) + 1))
    if notice.days:
        conn.execute(insert(CD), [{"notice_id": nid, "day": d.day, "off": d.off, "name": d.name[:100]}
                                  for d in notice.days])
    ev.write_site(conn, [ev.site_entry(
        ev.CalendarImported(notice.year, notice.area or None, notice.title, notice.file,
                            notice.days_off, notice.working_days,
                            old.title if old is not None else None),
        subject=f"{notice.year}/{notice.area}" if notice.area else str(notice.year),
        actor=actor, day=day, subject_id=nid)])
    return old.title if old is not None else None


def import_notice(conn: Connection, notice: Notice, *, actor: str | None, day: dt.date | None,
                  apply: bool = False) -> dict[str, Any]:
    """Store ``notice`` as the administrator ``actor``; list the deadlines it moves (counted on
    provisional days) and, with ``apply``, move those not yet passed."""
    from . import recount
    from .admins import require_admin
    from .units import site_today

    actor = require_admin(conn, actor)
    if apply:  # every stream it may write, at once: the writers' one lock order (by name)
        from . import events as ev
        from .tables import CAMPAIGNS as C, SITE

        running = conn.execute(select(C.c.key).where(C.c.concluded_on.is_(None))).scalars().all()
        ev.lock(conn, [SITE, *running])
    before = site_days(conn, leave_out=(notice.year, notice.area))
    replaced = store(conn, notice, actor=actor, day=day or site_today())
    after = site_days(conn)
    listed = [d.day for d in notice.days]
    span = (min([dt.date(notice.year, 1, 1), *listed]), max([dt.date(notice.year, 12, 31), *listed]))
    found = recount.find(conn, before, after, span, day)
    moved = recount.apply(conn, found, notice.title, actor=actor, day=day) if apply else 0
    return {"year": notice.year, "area": notice.area, "title": notice.title,
            "days_off": len(notice.days_off), "working_days": len(notice.working_days),
            "replaced": replaced, "deadlines": [r.as_dict() for r in found], "moved": moved}
