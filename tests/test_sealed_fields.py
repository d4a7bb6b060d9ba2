"""Confidential item content at rest: with every field a definition may mark confidential
marked, no value given by add, plan, progress, edit or import is in any state table column,
in any event written since, or anywhere in the SQLite file's bytes; an entitled viewer still
sees them, the replay check holds, key rotation keeps them readable without touching the log,
and migration 0011 moves the values of a database made before it."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, DEFINITION, county, invoke

import campaigns.sealed as sealed_module
from campaigns.plugin import MAY_HIDE

CODE = "WGBW-2015-0001"
GIVEN = {"title": "标题机密甲", "description": "描述机密乙", "measures": "措施机密丙",
         "target": "目标机密丁", "department": "部门机密戊", "progress": "进展机密辛"}
EDITED = {"title": "改后标题机密", "measures": "改后措施机密"}
IMPORTED = {"title": "导入标题机密", "measures": "导入措施机密", "progress": "导入进展机密"}
SECRET_VALUES = [*GIVEN.values(), *EDITED.values(), *IMPORTED.values()]


def all_secret(tmp: Path) -> str:
    text = Path(DEFINITION).read_text(encoding="utf-8")
    path = tmp / "all-secret.yaml"
    path.write_text(text.replace("confidential: [reporter, reporter_contact]",
                                 f"confidential: [{', '.join(MAY_HIDE)}]"), encoding="utf-8")
    return str(path)


def work(db: str, env: dict[str, str]) -> None:
    """add, plan, progress, edit on CODE."""
    invoke(db, "item", "add", CAMPAIGN, "--title", GIVEN["title"], "--unit", "czj",
           "--category", "cold-service", "--source", "public-report",
           "--description", GIVEN["description"], "--actor", "sup", "--as-of", "2015-08-03",
           env=env)
    invoke(db, "item", "advance", "confirm", CODE, "--actor", "sup", "--as-of", "2015-08-04",
           env=env)
    invoke(db, "item", "rectify", CODE, "--measures", GIVEN["measures"], "--target",
           GIVEN["target"], "--department", GIVEN["department"], "--deadline", "2015-08-20",
           "--actor", "zhang-czj", "--as-of", "2015-08-05", env=env)
    invoke(db, "item", "progress", CODE, "--note", GIVEN["progress"], "--actor", "zhang-czj",
           "--as-of", "2015-08-06", env=env)
    invoke(db, "item", "edit", CODE, "--title", EDITED["title"], "--measures", EDITED["measures"],
           "--actor", "lead", "--as-of", "2015-08-07", env=env)


def import_file(tmp: Path) -> Path:
    path = tmp / "in.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["序号", "单位", "问题描述", "问题类别", "问题来源", "整改措施", "整改时限",
                    "整改进展"])
        w.writerow([1, "县教育局", IMPORTED["title"], "cold-service", "public-report",
                    IMPORTED["measures"], "2015-09-30", IMPORTED["progress"]])
    return path


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path = tmp_path_factory.mktemp("key") / "key"
    invoke(str(path.parent / "unused.db"), "db", "keygen", str(path))
    return {"RECTIFY_KEY_FILE": str(path)}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, key: dict[str, str]) -> str:
    tmp = tmp_path_factory.mktemp("sealed")
    db = county(str(tmp / "c.db"), definition=all_secret(tmp))
    work(db, key)
    invoke(db, "item", "import", CAMPAIGN, str(import_file(tmp)), "--actor", "lead",
           "--as-of", "2015-08-08", env=key)
    return db


def rows(db: str, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()


def state_text(db: str) -> str:
    return json.dumps([rows(db, f"SELECT * FROM {t}")
                       for t in ("items", "rectifications", "progress")],
                      ensure_ascii=False, default=str)


def file_bytes(db: str) -> bytes:
    with sqlite3.connect(db) as conn:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return b"".join(Path(p).read_bytes() for p in (db, db + "-wal") if Path(p).exists())


def shown(db: str, code: str, env: dict[str, str], as_of: str = "2015-08-31") -> dict[str, object]:
    out = invoke(db, "item", "show", code, "--json", "--actor", "sup", "--as-of", as_of,
                 env=env).output
    return json.loads(out)  # type: ignore[no-any-return]


def test_no_value_in_the_tables_the_events_or_the_file(db: str) -> None:
    tables = state_text(db)
    log = json.dumps(rows(db, "SELECT payload, note FROM events"), ensure_ascii=False)
    raw = file_bytes(db)
    for value in SECRET_VALUES:
        assert value not in tables, value
        assert value not in log, value
        assert value.encode() not in raw, value
    assert "sealed:title:" in tables and "sealed:measures:" in log
    (payload, version), = rows(db, "SELECT payload, payload_version FROM events "
                                   "WHERE trigger = 'plan'")
    assert version == 2 and json.loads(str(payload))["measures"].startswith("sealed:measures:")
    assert {v for t, v in rows(db, "SELECT trigger, payload_version FROM events")
            if t in ("add", "edit", "progress")} == {5, 3, 2}  # item added: version 5


def test_an_entitled_viewer_still_sees_them(db: str, key: dict[str, str], tmp_path: Path) -> None:
    now = shown(db, CODE, key)
    assert (now["title"], now["measures"], now["target"], now["description"]) == (
        EDITED["title"], EDITED["measures"], GIVEN["target"], GIVEN["description"])
    assert [p["note"] for p in now["progress"]] == [GIVEN["progress"]]  # type: ignore[index]
    before = shown(db, CODE, key, as_of="2015-08-06")  # a replay meets the value it had then
    assert (before["title"], before["measures"]) == (GIVEN["title"], GIVEN["measures"])
    imported = shown(db, "WGBW-2015-0002", key)
    assert (imported["title"], imported["measures"]) == (IMPORTED["title"], IMPORTED["measures"])
    listed = invoke(db, "item", "list", CAMPAIGN, "--json", "--actor", "sup",
                    "--as-of", "2015-08-31", env=key).output
    assert EDITED["title"] in listed and IMPORTED["title"] in listed
    ledger, report = tmp_path / "l.csv", tmp_path / "r.md"
    invoke(db, "ledger", CAMPAIGN, "-o", str(ledger), "--actor", "lead", "--as-of", "2015-08-31",
           env=key)
    invoke(db, "report", CAMPAIGN, "--month", "2015-08", "-o", str(report), "--actor", "lead",
           "--as-of", "2015-08-31", env=key)
    text = ledger.read_text(encoding="utf-8-sig")
    assert EDITED["measures"] in text and IMPORTED["progress"] in text and "sealed:" not in text
    assert EDITED["title"] in report.read_text(encoding="utf-8")
    unsigned = invoke(db, "item", "show", CODE, "--json", "--as-of", "2015-08-31", env=key).output
    assert not any(v in unsigned or "sealed:" in unsigned for v in SECRET_VALUES)


def test_the_replay_check_holds(db: str, key: dict[str, str]) -> None:
    assert invoke(db, "audit", "verify", CAMPAIGN, env=key).output == f"{CAMPAIGN}: ok\n"


def test_rotation_keeps_them_readable_and_the_log_byte_identical(
        db: str, key: dict[str, str], tmp_path: Path) -> None:
    log = rows(db, "SELECT * FROM events ORDER BY id")
    new = tmp_path / "new-key"
    invoke(db, "db", "keygen", str(new))
    invoke(db, "db", "rotate-key", "--new-key-file", str(new), env=key)
    assert rows(db, "SELECT * FROM events ORDER BY id") == log
    env = {"RECTIFY_KEY_FILE": str(new)}
    assert shown(db, CODE, env)["measures"] == EDITED["measures"]
    invoke(db, "db", "rotate-key", "--new-key-file", key["RECTIFY_KEY_FILE"], env=env)


def test_a_reimport_of_the_same_row_changes_nothing(db: str, key: dict[str, str],
                                                    tmp_path: Path) -> None:
    out = invoke(db, "item", "import", CAMPAIGN, str(import_file(tmp_path)), "--actor", "lead",
                 "--as-of", "2015-08-09", env=key).output
    assert "1 unchanged" in out


@pytest.fixture
def plain_sealing_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The tool as it was before 0011: marked fields kept in their columns and events."""
    monkeypatch.setattr(sealed_module, "sealed_fields", lambda run: frozenset())
    yield


def downgrade(db: str, to: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    import campaigns.db as dbmod

    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", dbmod.MIGRATIONS)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, to)
        conn.commit()
    engine.dispose()


@pytest.mark.parametrize("keyed", [True, False], ids=["with-key", "plain"])
def test_the_migration_moves_values_of_a_database_made_before_it(
        tmp_path: Path, key: dict[str, str], keyed: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    env = key if keyed else {"RECTIFY_KEY_FILE": ""}
    db = county(str(tmp_path / "old.db"), definition=all_secret(tmp_path))
    with monkeypatch.context() as m:
        m.setattr(sealed_module, "sealed_fields", lambda run: frozenset())
        work(db, env)
    assert GIVEN["description"] in state_text(db)
    old_log = rows(db, "SELECT * FROM events ORDER BY id")
    last = rows(db, "SELECT max(id) FROM events")[0][0]
    downgrade(db, "0010_undoimport")
    assert "upgraded from 0010_undoimport" in invoke(db, "init", env=env).output
    tables = state_text(db)
    for value in [GIVEN["description"], GIVEN["target"], GIVEN["department"], GIVEN["progress"],
                  *EDITED.values()]:
        assert value not in tables, value
    assert rows(db, f"SELECT * FROM events ORDER BY id LIMIT {len(old_log)}") == old_log
    added = rows(db, f"SELECT trigger, subject_key, payload FROM events "
                     f"WHERE id > {last}")
    assert [(t, s) for t, s, _ in added] == [("seal", CODE)]
    assert set(json.loads(str(added[0][2]))["new"]) == {"title", "description", "measures",
                                                        "target", "department"}
    stored = rows(db, "SELECT count(*), count(key_id) FROM secrets WHERE field LIKE '%:%'")[0]
    assert stored == ((6, 6) if keyed else (6, 0))  # plain until the next rotate-key
    assert invoke(db, "audit", "verify", CAMPAIGN, env=env).output == f"{CAMPAIGN}: ok\n"
    now = shown(db, CODE, env)
    assert (now["title"], now["description"]) == (EDITED["title"], GIVEN["description"])
    assert [p["note"] for p in now["progress"]] == [GIVEN["progress"]]  # type: ignore[index]
    assert "schema is up to date" in invoke(db, "init", env=env).output  # once only
    refused = invoke(db, "item", "undo", CODE, "--actor", "lead", "--note", "x", env=env,
                     ok=False)
    assert refused.exit_code != 0 and "does not reverse" in refused.output


def test_an_upgrade_whose_move_fails_leaves_the_database_as_it_was(
        tmp_path: Path, key: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The schema steps and the move are one transaction: a move that fails after writing
    leaves the old revision, the plain values and the log as they were, and a later init
    makes the whole upgrade."""
    db = county(str(tmp_path / "old.db"), definition=all_secret(tmp_path))
    with monkeypatch.context() as m:
        m.setattr(sealed_module, "sealed_fields", lambda run: frozenset())
        work(db, key)
    downgrade(db, "0010_undoimport")
    before = (state_text(db), rows(db, "SELECT * FROM events ORDER BY id"))
    real = sealed_module.seal_existing

    def fails_after_writing(conn):  # type: ignore[no-untyped-def]
        from engine.core.errors import EnvironmentProblem

        real(conn)
        raise EnvironmentProblem("no space left on device", "free some space")

    with monkeypatch.context() as m:
        m.setattr(sealed_module, "seal_existing", fails_after_writing)
        failed = invoke(db, "init", env=key, ok=False)
    assert failed.exit_code != 0 and "Traceback" not in failed.output
    assert rows(db, "SELECT version_num FROM alembic_version") == [("0010_undoimport",)]
    assert (state_text(db), rows(db, "SELECT * FROM events ORDER BY id")) == before
    assert "upgraded from 0010_undoimport" in invoke(db, "init", env=key).output
    assert GIVEN["description"] not in state_text(db)
