"""Marking dates counted on provisional calendar data, wherever a deadline is shown.

A year no holiday notice covers yet (neither the definition, the site's calendar nor
``chinesecalendar``) counts on the statutory holidays the ``holidays`` package computes; a date
in such a year may move when the notice is imported (``rectify calendar import``), so every
view that shows one says so: ``2027-02-15 (provisional)`` / ``2027-02-15（暂定）``, with a legend.
"""

from __future__ import annotations

import datetime as dt

from engine.core.calendar import calendar_for
from engine.core.spec import Definition

from .i18n import _


def is_provisional(definition: Definition, day: dt.date | None) -> bool:
    """Whether ``day`` lies in a year the campaign's calendar counts on provisional data."""
    return day is not None and calendar_for(definition.calendar).is_provisional(day)


def mark() -> str:
    return _(" (provisional)")


def shown(definition: Definition, day: dt.date | None) -> str:
    """``day`` as ISO text, marked when provisional; '' for none."""
    if day is None:
        return ""
    return day.isoformat() + (mark() if is_provisional(definition, day) else "")


def legend() -> str:
    return _("(provisional): counted on statutory holidays computed for a year whose holiday "
             "notice the site has not imported yet; it may move when the notice is imported "
             "('rectify calendar import')")
