"""The administrator rule in the services themselves, not only in the CLI: a door that calls
``add_unit``, ``add_person``, ``deactivate`` or their imports directly (a script, a future web
door) is refused exactly as ``rectify unit add`` is, and the site log names the administrator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_cli_common import Cli, dump, scalar, seeded

from campaigns.db import Database
from campaigns.people import PERSON_COLUMNS, add_person, deactivate, import_people
from campaigns.tabular import read_csv
from campaigns.units import UNIT_COLUMNS, UnitTree, add_unit, import_units
from engine.core.errors import EngineError


@pytest.fixture
def c(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    yield seeded(tmp_path, tmp_path_factory, campaign=False)


def _csvs(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "p.csv").write_text("key,name,unit\nmint,冒名,czj\n", encoding="utf-8")
    (tmp_path / "u.csv").write_text("code,title,parent\nx,某办,county\n", encoding="utf-8")
    return str(tmp_path / "p.csv"), str(tmp_path / "u.csv")


def _services(tmp_path: Path) -> dict[str, tuple[Callable[[Any, str | None], Any], list[str]]]:
    """Each service, called as a door would, and the CLI command that does the same."""
    people_csv, units_csv = _csvs(tmp_path)
    people_rows = read_csv(people_csv, PERSON_COLUMNS, ("key", "name"))
    unit_rows = read_csv(units_csv, UNIT_COLUMNS, ("code", "title"))
    return {
        "add_unit": (lambda conn, who: add_unit(conn, UnitTree.load(conn), "x", "某办", "county",
                                                actor=who),
                     ["unit", "add", "x", "--title", "某办", "--parent", "county"]),
        "add_person": (lambda conn, who: add_person(conn, UnitTree.load(conn), "mint", "冒名",
                                                    "czj", ["lead-office"], actor=who),
                       ["person", "add", "mint", "--name", "冒名", "--unit", "czj",
                        "--role", "lead-office"]),
        "deactivate": (lambda conn, who: deactivate(conn, "head", actor=who),
                       ["person", "deactivate", "head"]),
        "import_people": (lambda conn, who: import_people(conn, people_csv, people_rows,
                                                          actor=who),
                          ["person", "import", people_csv]),
        "import_units": (lambda conn, who: import_units(conn, units_csv, unit_rows, actor=who),
                         ["unit", "import", units_csv]),
    }


@pytest.mark.parametrize("service", ["add_unit", "add_person", "deactivate", "import_people",
                                     "import_units"])
@pytest.mark.parametrize("who", [None, "lead", "ghost"])
def test_a_service_called_without_an_administrator_is_refused_as_the_cli_is(
        c: Cli, tmp_path: Path, service: str, who: str | None) -> None:
    call, args = _services(tmp_path)[service]
    before = dump(c.db)
    db = Database(str(c.db))
    try:
        with pytest.raises(EngineError) as raised, db.write() as conn:
            call(conn, who)
    finally:
        db.engine.dispose()
    assert dump(c.db) == before
    err = c.fails(int(raised.value.exit_code), *args, *(["--actor", who] if who else []))
    assert err == f"Error: {raised.value.format()}\n"  # the same words, the same exit code
    assert dump(c.db) == before


@pytest.mark.parametrize("service", ["add_unit", "add_person", "deactivate", "import_people",
                                     "import_units"])
def test_a_service_records_the_administrator_as_its_actor(c: Cli, tmp_path: Path,
                                                          service: str) -> None:
    call, _ = _services(tmp_path)[service]
    last = scalar(c.db, "SELECT max(id) FROM site_events")
    db = Database(str(c.db))
    try:
        with db.write() as conn:
            call(conn, "admin")
    finally:
        db.engine.dispose()
    assert scalar(c.db, "SELECT group_concat(DISTINCT actor) FROM site_events WHERE id > ?",
                  last) == "admin"
