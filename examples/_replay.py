"""What the dated replays in examples/ share: a campaign as a dated list of ``rectify`` commands,
run in-process in business-date order, each command's printed code or reference kept for the
commands that name it later.

Each replay imports this file by path (examples/ is not a package)::

    sys.path.insert(0, os.path.dirname(HERE))
    import _replay
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(order=True)
class Step:
    day: dt.date
    seq: int
    args: list[str] = field(compare=False)
    tag: str = field(default="", compare=False)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class Script:
    """Commands by business date; ``tag`` names what the command prints (``@3``, ``@plan01``)
    so that later commands can use it before it exists."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def at(self, day: dt.date, *args: str, tag: str = "") -> None:
        self.steps.append(Step(day, len(self.steps), [*args, "--as-of", day.isoformat()], tag))


class Runner:
    """Runs ``rectify`` commands on one database, as an office would type them."""

    def __init__(self, db: str, echo: bool = False) -> None:
        from click.testing import CliRunner

        self.db, self.echo = db, echo
        self.runner = CliRunner()
        self.refs: dict[str, str] = {}  # tag -> what its command printed

    def __call__(self, args: list[str]) -> str:
        from campaigns.cli import cli

        args = [self.refs.get(a, a) for a in args]
        result = self.runner.invoke(cli, ["--debug", *args, "--db", self.db])
        if result.exit_code != 0:
            raise SystemExit(f"replay step failed: rectify {' '.join(args)}\n{result.output}"
                             f"{result.exception!r}")
        if self.echo and result.output.strip():
            print(result.output.rstrip())
        return result.stdout  # what the command printed for its reader, warnings apart

    def step(self, step: Step, keep: Callable[[str], str]) -> str:
        """Run ``step``; when it is tagged, keep ``keep(output)`` under its tag."""
        out = self(step.args)
        if step.tag:
            self.refs[step.tag] = keep(out)
        return out


def working_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """The working days from ``first`` to ``last`` on the mainland calendar."""
    from engine.core.calendar import calendar_for
    from engine.core.spec import CalendarSpec

    cal = calendar_for(CalendarSpec())
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if cal.is_working(day)]


def first_working_day(day: dt.date) -> dt.date:
    return working_days(day, day + dt.timedelta(days=31))[0]


def fresh_db(path: str) -> None:
    """Make room for a new database at ``path`` (its folder made, an old file removed)."""
    if os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def run_days(run: Runner, steps: list[Step], first: dt.date, last: dt.date, key: str | None,
             keep: Callable[[str], str]) -> list[Step]:
    """Every day from ``first`` to ``last``: the day's steps in order, then the daily clock
    (``rectify tick KEY``; none when ``key`` is None).  Returns the steps left after ``last``."""
    pending = sorted(steps)
    done = 0
    day = first
    while day <= last:
        while done < len(pending) and pending[done].day <= day:
            run.step(pending[done], keep)
            done += 1
        if key is not None and day > first:
            run(["tick", key, "--as-of", day.isoformat()])
        day += dt.timedelta(days=1)
    return pending[done:]
