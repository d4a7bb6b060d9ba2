"""Shared helpers for the clock tests: a CLI driver on a real database and a small campaign.

The campaign is seed 001's definition (wgbw-2015) with two units and four people: a unit head
of 县财政局, a supervisor and a lead-office member of 县委组织部, and a second unit head.
"""

from __future__ import annotations

import json
import os
from typing import Any

from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from campaigns.cli import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WGBW = os.path.join(ROOT, "definitions", "wgbw-2015.yaml")
ZUOFENG = os.path.join(ROOT, "definitions", "zuofeng-2009.yaml")


class Rectify:
    """Runs ``rectify`` commands against one database (a SQLite path or a URL)."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.runner = CliRunner()

    def run(self, *args: str) -> Result:
        return self.runner.invoke(cli, [*args, "--db", self.db])

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code == 0, f"rectify {' '.join(args)}\n{result.output}"
        return result.output

    def fails(self, code: int, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code == code, f"rectify {' '.join(args)}\n{result.output}"
        return result.output

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))

    def sql(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        url = self.db if "://" in self.db else f"sqlite:///{self.db}"
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(query), params)]
        finally:
            engine.dispose()

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Everything the clock may write, to compare before and after."""
        return {
            "events": self.sql("SELECT id, machine, subject_id, \"trigger\", from_state, to_state, "
                               "actor, business_date, rule FROM events ORDER BY id"),
            "notices": self.sql("SELECT * FROM notices ORDER BY id"),
            "rectifications": self.sql("SELECT id, state, version, entered_on, deadline, "
                                       "original_deadline, level, level_base FROM rectifications "
                                       "ORDER BY id"),
            "items": self.sql("SELECT id, state, version FROM items ORDER BY id"),
            "stages": self.sql("SELECT key, state, version FROM stages ORDER BY id"),
            "ticks": self.sql("SELECT * FROM ticks ORDER BY campaign_id"),
        }

    def clock_events(self) -> list[tuple[str, str, str, str]]:
        """(date, rule, trigger, to_state) of every event the clock wrote, in log order."""
        return [(str(d), r, t, s) for d, r, t, s in self.sql(
            "SELECT business_date, rule, \"trigger\", to_state FROM events WHERE actor = 'system' "
            "ORDER BY id")]

    def notices(self, campaign: str = "wgbw-2015") -> list[tuple[str, ...]]:
        """(issued, level, code, deadline, days overdue, new deadline) of every escalation
        notice (the ladder's; not the stage and reminder notices to the office)."""
        return [(n["issued_on"], n["level"], n["code"], n["deadline"], str(n["days_overdue"]),
                 n["new_deadline"]) for n in self.json("notices", campaign, "--kind", "escalation")]


def setup_campaign(r: Rectify, definition: str = WGBW, start: str = "2015-07-01") -> None:
    r.ok("init", "--admin", "admin")
    r.ok("unit", "add", "--actor", "admin", "county", "--title", "县")
    r.ok("unit", "add", "--actor", "admin", "fin", "--title", "县财政局", "--parent", "county")
    r.ok("unit", "add", "--actor", "admin", "tax", "--title", "县税务局", "--parent", "county")
    r.ok("unit", "add", "--actor", "admin", "org", "--title", "县委组织部", "--parent", "county")
    r.ok("person", "add", "--actor", "admin",
         "boss", "--name", "张局长", "--unit", "fin", "--role", "unit-head")
    r.ok("person", "add", "--actor", "admin",
         "taxboss", "--name", "赵局长", "--unit", "tax", "--role", "unit-head")
    r.ok("person", "add", "--actor", "admin", "staff", "--name", "钱科员", "--unit", "fin")
    r.ok("person", "add", "--actor", "admin",
         "sup", "--name", "李督查", "--unit", "org", "--role", "supervision-office",
         "--role", "campaign-office", "--role", "joint-inspection")
    r.ok("person", "add", "--actor", "admin",
         "lead", "--name", "周部长", "--unit", "org", "--role", "lead-office",
         "--role", "campaign-office")
    r.ok("campaign", "start", definition, "--start", start, "--actor", "lead")


def add_planned(r: Rectify, campaign: str, found: str, deadline: str, title: str = "审批拖延",
                unit: str = "fin", head: str = "boss", category: str | None = None,
                source: str = "inspection", **extra: str) -> str:
    """An item confirmed and planned on ``found`` with ``deadline``; returns its code."""
    category = category or ("passive-attitude" if campaign.startswith("wgbw") else "inefficiency")
    args = ["item", "add", campaign, "--title", title, "--unit", unit, "--category", category,
            "--source", source, "--actor", "sup", "--as-of", found]
    for key, value in extra.items():
        args += [f"--{key.replace('_', '-')}", value]
    code = r.ok(*args).strip().splitlines()[-1]
    r.ok("item", "advance", "confirm", code, "--actor", "sup", "--as-of", found)
    r.ok("item", "rectify", code, "--measures", "限时办结", "--deadline", deadline,
         "--leader", head, "--person", "staff" if unit == "fin" else head, "--actor", head,
         "--as-of", found)
    return code


def tick_daily(r: Rectify, first: str, last: str, campaign: str = "wgbw-2015") -> None:
    import datetime as dt

    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    while day <= end:
        r.ok("tick", campaign, "--as-of", day.isoformat())
        day += dt.timedelta(days=1)
