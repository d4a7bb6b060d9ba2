"""Concluding a campaign is checked on the version read, like every other change of state.

Two offices conclude the same campaign at once: both read it running, the first writes its
conclusion, the second must be told to retry (a Conflict, exit code 3), not write a second
conclusion over the first with another date and another event.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from test_cli_common import CAMPAIGN, Cli, dump, scalar, seeded

from campaigns import stages
from campaigns.context import Scope
from campaigns.db import Database
from campaigns.people import resolve_actor
from campaigns.runs import load_run
from engine.core.errors import Conflict


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


def test_a_rival_conclusion_read_before_mine_makes_mine_conflict(cli: Cli) -> None:
    db = Database(str(cli.db))
    with db.read() as conn:  # this office reads the campaign running...
        stale = load_run(conn, CAMPAIGN)
        actor = resolve_actor(conn, "lead", set(stale.definition.roles))
    assert stale.concluded_on is None
    # ...while another concludes it (forcing past the open items' guard)
    cli.ok("campaign", "advance", CAMPAIGN, "--to", "supervise", "--actor", "lead",
           "--as-of", "2015-08-01")
    cli.ok("campaign", "advance", CAMPAIGN, "--actor", "lead", "--as-of", "2015-12-01")
    cli.ok("campaign", "advance", CAMPAIGN, "--force", "--actor", "lead", "--as-of", "2015-12-30")
    before = dump(cli.db)
    with pytest.raises(Conflict) as caught, db.write() as conn:
        stages.advance(Scope(conn, stale, actor, dt.date(2015, 12, 31)), force=True)
    assert "changed by someone else" in caught.value.message
    assert int(caught.value.exit_code) == 3
    assert dump(cli.db) == before  # nothing written: one conclusion, one event, its own date
    assert scalar(cli.db, "SELECT concluded_on FROM campaigns") == "2015-12-30"
    assert scalar(cli.db, "SELECT count(*) FROM events WHERE trigger = 'conclude'") == 1
    assert scalar(cli.db, "SELECT version FROM campaigns") == 2
    status = json.loads(cli.ok("campaign", "status", CAMPAIGN, "--json"))
    assert status["status"] == "concluded 2015-12-30"
