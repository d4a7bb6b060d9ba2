"""A report awaiting confirmation (待核实) has a deadline of its own, with reminders and nothing more.

The ladder never climbs on a report that is not yet confirmed; before, such a report could wait
for ever without anyone being told.  A definition now gives ``deadlines.confirm_within`` and
``reminders``: the clock reminds the offices that must confirm, once per reminder, when a report
waits past its deadline, stops when it is confirmed or dismissed, and never escalates it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_common import WGBW, Cli, scalar, seeded
from test_validate_targets import only_problem, position, validate

from engine.core.loader import loads

REMINDERS = """
reminders:
  machine: item
  states: [reported]
  to: [supervision-office]
  levels:
    - {key: confirm-reminder, title: 核实提醒, at: +1 working day, action: 请尽快核实问题是否属实}
    - {key: confirm-urge, title: 核实催办, at: +3 working days}
"""
TEXT = WGBW.read_text(encoding="utf-8").replace(
    "deadlines:\n", "deadlines:\n  confirm_within: 3 working days\n", 1) + REMINDERS
CAMPAIGN = "wgbw-2015"


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    cli = seeded(tmp_path, tmp_path_factory, campaign=False)
    path = tmp_path / "wgbw-2015.yaml"
    path.write_text(TEXT, encoding="utf-8")
    cli.ok("campaign", "start", str(path), "--start", "2015-07-01", "--actor", "lead")
    return cli


def reported(cli: Cli, title: str, day: str) -> str:
    return cli.ok("item", "add", CAMPAIGN, "--title", title, "--unit", "czj", "--category",
                  "passive-attitude", "--source", "public-report", "--actor", "sup",
                  "--as-of", day).strip()


def reminders(cli: Cli) -> list[tuple[str, str, str, dict[str, object]]]:
    """(date, code, rule, payload) of every reminder, in log order."""
    return [(str(d), code, rule, json.loads(p)) for d, code, rule, p in cli_sql(
        cli, "SELECT e.business_date, i.code, e.rule, e.payload FROM events e JOIN items i "
             "ON i.id = e.subject_id WHERE e.trigger = 'remind' AND e.machine = 'item' "
             "ORDER BY e.id")]


def cli_sql(cli: Cli, query: str) -> list[tuple[object, ...]]:
    import sqlite3

    conn = sqlite3.connect(cli.db)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def tick_daily(cli: Cli, first: str, last: str) -> list[str]:
    import datetime as dt

    out = []
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    while day <= end:
        out.append(cli.ok("tick", CAMPAIGN, "--as-of", day.isoformat()))
        day += dt.timedelta(days=1)
    return out


def test_a_waiting_report_is_reminded_once_per_reminder_until_it_is_answered(cli: Cli) -> None:
    waits = reported(cli, "长期无人核实的举报", "2015-08-03")  # Monday: confirm by Thursday 08-06
    answered = reported(cli, "按时核实的举报", "2015-08-03")
    dismissed = reported(cli, "核实不属实的举报", "2015-08-03")
    tick_daily(cli, "2015-08-03", "2015-08-05")
    cli.ok("item", "advance", "confirm", answered, "--actor", "sup", "--as-of", "2015-08-05")
    outputs = tick_daily(cli, "2015-08-06", "2015-08-07")
    assert "reminders.confirm-reminder  核实提醒" in outputs[-1]
    cli.ok("item", "advance", "dismiss", dismissed, "--note", "经核实不属实", "--actor", "sup",
           "--as-of", "2015-08-07")
    tick_daily(cli, "2015-08-08", "2015-08-31")
    due = {"due": "2015-08-06", "to": ["supervision-office"]}
    assert reminders(cli) == [
        ("2015-08-07", waits, "reminders.confirm-reminder",
         {"reminder": "confirm-reminder", "days_overdue": 1, **due}),
        ("2015-08-07", dismissed, "reminders.confirm-reminder",
         {"reminder": "confirm-reminder", "days_overdue": 1, **due}),
        ("2015-08-11", waits, "reminders.confirm-urge",
         {"reminder": "confirm-urge", "days_overdue": 5, **due}),
    ]
    # reminders only: the report is where it was, its rectification never escalates
    assert scalar(cli.db, "SELECT state || ' ' || version FROM items WHERE code = ?", waits) == \
        "reported 1"
    assert scalar(cli.db, "SELECT count(*) FROM notices") == 0
    assert scalar(cli.db, "SELECT count(*) FROM events WHERE rule LIKE 'escalation.%' "
                  "AND machine = 'rectification'") == 0
    history = cli.ok("item", "show", waits)
    assert "核实提醒: 请尽快核实问题是否属实" in history and "核实催办" in history
    cli.ok("audit", "verify", CAMPAIGN)  # chained like every event
    # a replay of a day between them (events follow) reads them as nothing changed
    listed = {i["code"]: i for i in json.loads(cli.ok("item", "list", CAMPAIGN, "--as-of",
                                                      "2015-08-10", "--json"))}
    assert (listed[waits]["state"], listed[waits]["escalation"]) == ("reported", "")


def test_a_change_brings_the_reminders_up_to_its_date_as_daily_ticks_would(cli: Cli) -> None:
    code = reported(cli, "长期无人核实的举报", "2015-08-03")
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-08-03")
    cli.ok("item", "advance", "confirm", code, "--actor", "sup", "--as-of", "2015-08-12")
    assert [(d, r) for d, _, r, _ in reminders(cli)] == [
        ("2015-08-07", "reminders.confirm-reminder"), ("2015-08-11", "reminders.confirm-urge")]
    # written before the confirmation, dated the days they fell due; a tick adds none
    rules = [r for (r,) in cli_sql(cli, "SELECT coalesce(rule, trigger) FROM events e JOIN items i "
                                        "ON i.id = e.subject_id AND e.machine = 'item' ORDER BY e.id")]
    assert rules[-3:] == ["reminders.confirm-reminder", "reminders.confirm-urge", "confirm"]
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-08-31")
    assert len(reminders(cli)) == 2


def test_the_tick_of_a_day_already_ticked_sends_no_reminder_twice(cli: Cli) -> None:
    reported(cli, "长期无人核实的举报", "2015-08-03")
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-08-07")
    again = cli.ok("tick", CAMPAIGN, "--as-of", "2015-08-07")  # the same day again
    assert "nothing due" in again
    assert len(reminders(cli)) == 1


def test_by_default_they_go_to_the_roles_that_may_answer() -> None:
    definition = loads(TEXT.replace("  to: [supervision-office]\n", ""))
    assert definition.reminders is not None
    # every role that may confirm, dismiss or merge a report (unit heads may confirm their own)
    assert definition.reminders.to == ("unit-head", "supervision-office", "discipline-inspection",
                                       "lead-office")


@pytest.mark.parametrize("change, token, code, message", [
    (("  confirm_within: 3 working days\n", ""), "reminders:", "unknown-limit",
     "reminders count from deadlines.confirm_within, which is not given"),
    (("at: +1 working day", "at: -1 working day"), "at: -1 working day", "bad-limit",
     "reminder 'confirm-reminder' comes before the answer is due"),
    (("states: [reported]", "states: [closed]"), "closed]", "reminder-state",
     "'closed' is a done state: nothing there waits for an answer"),
    (("to: [supervision-office]", "to: [supervision]"), "supervision]", "unknown-role",
     "reminders go to unknown role 'supervision'"),
])
def test_a_bad_reminders_section_is_located(tmp_path: Path, change: tuple[str, str], token: str,
                                            code: str, message: str) -> None:
    text = TEXT.replace(*change, 1)
    result, path = validate(tmp_path, text)
    first, _ = only_problem(result)
    line, column = position(text, token)
    assert first.startswith(f"{path}:{line}:{column}: error[{code}]: {message}"), first
