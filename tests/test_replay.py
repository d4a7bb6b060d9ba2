"""The seed 001 campaign replayed end to end through the CLI, checked item by item."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner

from campaigns.cli import cli
from tests.test_cli_common import example_replay

replay_module = example_replay("wgbw-2015")


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[dict[str, object]]]:
    db = str(tmp_path_factory.mktemp("replay") / "wgbw.db")
    expected = replay_module.replay(db)
    return db, expected


def _json(args: list[str]) -> object:
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_final_status(replayed: tuple[str, list[dict[str, object]]]) -> None:
    db, expected = replayed
    status = _json(["campaign", "status", "wgbw-2015", "--db", db, "--as-of", "2015-12-31"])
    assert status["status"] == "concluded 2015-12-31"
    assert status["items"] == 56 == len(expected)
    assert status["items_by_state"] == {"closed": 51, "confirmed": 2, "dismissed": 2, "merged": 1}
    assert status["rectifications_by_state"] == {"verified": 51, "long_term": 2, "cancelled": 3}
    assert [s["state"] for s in status["stages"]] == ["closed"] * 4
    assert len(status["by_unit"]) >= 16


def test_every_item_ends_as_planned(replayed: tuple[str, list[dict[str, object]]]) -> None:
    db, expected = replayed
    rows = {r["code"]: r for r in _json(["item", "list", "wgbw-2015", "--db", db,
                                         "--as-of", "2015-12-31"])}
    for e in expected:
        assert (rows[e["code"]]["state"], rows[e["code"]]["rectification"]) == (e["state"], e["rect"])
    categories = Counter(r["category"] for r in rows.values())
    assert len(categories) == 8 and set(categories.values()) == {7}
    assert len({r["source"] for r in rows.values()}) >= 4


def _history(db: str, code: str) -> list[tuple[str, str]]:
    detail = _json(["item", "show", code, "--db", db])
    return [(h["machine"], h["trigger"]) for h in detail["history"] if h["machine"] != "record"
            and h["rule"] == ""]


def test_histories(replayed: tuple[str, list[dict[str, object]]]) -> None:
    db, expected = replayed
    codes = [e["code"] for e in expected]
    normal = [("item", "add"), ("item", "confirm"), ("rectification", "plan"),
              ("rectification", "submit"), ("rectification", "verify"), ("item", "close")]
    fates = replay_module
    for i, code in enumerate(codes):
        history = _history(db, code)
        if i in fates.DISMISSED:
            assert history == [("item", "add"), ("item", "dismiss"), ("rectification", "cancel")]
        elif i in fates.MERGED:
            assert history == [("item", "add"), ("item", "merge"), ("rectification", "cancel")]
        elif i in fates.LONG_TERM:
            assert history == [*normal[:3], ("rectification", "defer")]
        elif i in fates.RETURNED:
            assert history == [*normal[:4], ("rectification", "return"),
                               ("rectification", "submit"), *normal[4:]]
        elif i in fates.EXTENDED:
            assert history == [*normal[:3], ("rectification", "request-extension"),
                               ("rectification", "approve-extension"), *normal[3:]]
        elif i in fates.REOPENED:
            assert history == [*normal, ("item", "reopen"), ("rectification", "rework"),
                               *normal[3:]]
        else:
            assert history == normal, code


def test_returns_and_reopen_recorded(replayed: tuple[str, list[dict[str, object]]]) -> None:
    db, expected = replayed
    returned = expected[min(replay_module.RETURNED)]["code"]
    assert _json(["item", "show", returned, "--db", db])["returns"] == 1
    reopened = _json(["item", "show", expected[min(replay_module.REOPENED)]["code"], "--db", db])
    assert reopened["reopened"] == 1
    assert any(h["trigger"] == "reopen" and h["note"] == "回头看发现问题反弹"
               for h in reopened["history"])


def test_reporters_stay_confidential(replayed: tuple[str, list[dict[str, object]]]) -> None:
    db, expected = replayed
    code = expected[0]["code"]
    assert "reporter" not in _json(["item", "show", code, "--db", db])
    assert "reporter" not in _json(["item", "show", code, "--db", db, "--actor", "wang-rsj"])
    seen = _json(["item", "show", code, "--db", db, "--actor", "liu-dcs"])
    assert seen["reporter"].startswith("群众")


def test_overdue_midway(tmp_path: object) -> None:
    db = str(tmp_path / "mid.db")  # type: ignore[operator]
    expected = replay_module.replay(db, tick=False, until=replay_module.d("2015-09-25"))
    status = _json(["campaign", "status", "wgbw-2015", "--db", db, "--as-of", "2015-09-25"])
    assert status["phase"] == "监督检查"  # self-inspection closed on 2015-09-01
    overdue = _json(["item", "list", "wgbw-2015", "--db", db, "--as-of", "2015-09-25", "--overdue"])
    assert {r["code"] for r in overdue} == {expected[i]["code"] for i in replay_module.OVERDUE}
    assert status["overdue"] == len(replay_module.OVERDUE)


def test_a_replay_decodes_payloads_as_json_loads_does() -> None:
    """The fast decoding takes exactly what ``json.loads`` takes, and refuses what it refuses."""
    import json

    from campaigns.reducer import _json

    for text in ('{"a": 1}', ' {"a":1}', '{"a":1} ', "null", '["截止", 2]'):
        assert _json(text) == json.loads(text)
    for bad in ('{"a":1}x', "", "{", '{"a":1} {}'):
        with pytest.raises(json.JSONDecodeError):
            _json(bad)
