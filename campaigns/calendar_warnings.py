"""Warnings for stage windows that reach a year whose working days are not yet certain."""

from __future__ import annotations

import datetime as dt

from engine.core.calendar import PROVISIONAL, uncertain_years
from engine.core.spec import Definition

from .i18n import _


def window_warnings(definition: Definition, start: dt.date | None) -> list[str]:
    """One line per such year: provisional until its notice is imported, or not countable."""
    out = []
    for year, kind in uncertain_years(definition, start).items():
        if kind == PROVISIONAL:
            out.append(_("stage windows reach {year}, a year without a holiday notice: its working "
                         "days are provisional (statutory holidays, no 调休 working days) until the "
                         "notice is imported with 'rectify calendar import'").format(year=year))
        else:
            out.append(_("stage windows reach {year}, a year no holiday data covers: working-day "
                         "counts there will fail (calendar.outside_known_years: error)").format(year=year))
    return out
