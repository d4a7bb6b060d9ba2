"""``rectify item``: recording, planning, reporting on and advancing problem items."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest
from test_cli_common import CAMPAIGN, Cli, dump, scalar, seeded


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


def show(cli: Cli, code: str, *args: str) -> dict:
    return json.loads(cli.ok("item", "show", code, "--json", "--as-of", "2015-08-31", *args))


def triggers(cli: Cli, code: str, actor: str) -> dict[str, dict]:
    rows = json.loads(cli.ok("item", "triggers", code, "--actor", actor, "--json",
                             "--as-of", "2015-08-31"))
    return {r["trigger"]: r for r in rows}


def events(cli: Cli, code: str) -> list[tuple[str, str, str | None, str | None]]:
    conn = sqlite3.connect(cli.db)
    try:
        return conn.execute(
            "SELECT e.machine, e.trigger, e.from_state, e.to_state FROM events e "
            "JOIN items i ON i.id = e.item_id WHERE i.code = ? ORDER BY e.id", (code,)).fetchall()
    finally:
        conn.close()


# --- add, list, show ------------------------------------------------------------------------------


def test_item_add_prints_the_new_code(cli: Cli) -> None:
    assert cli.add_item() == "WGBW-2015-0001"
    assert cli.add_item(title="窗口服务态度差", unit="县教育局/办公室") == "WGBW-2015-0002"


def test_item_add_takes_category_and_source_by_title(cli: Cli) -> None:
    code = cli.ok("item", "add", CAMPAIGN, "--title", "遇事推诿", "--unit", "jyj", "--category",
                  "推诿扯皮不主动", "--source", "媒体曝光", "--actor", "sup", "--as-of",
                  "2015-08-03").strip()
    detail = show(cli, code)
    assert detail["category"] == "buck-passing 推诿扯皮不主动"
    assert detail["source"] == "media 媒体曝光"


def test_item_list_table_json_and_csv(cli: Cli) -> None:
    first = cli.add_item()
    cli.add_item(title="窗口服务态度差", unit="jyj-bgs")
    table = cli.ok("item", "list", CAMPAIGN, "--as-of", "2015-08-03").splitlines()
    assert table[0].split() == ["code", "unit", "category", "state", "rectification", "deadline",
                                "overdue", "escalation", "title"]
    assert table[2].split() == [first, "办公室", "passive-attitude", "reported", "pending",
                                "群众办事多次往返"]
    rows = json.loads(cli.ok("item", "list", CAMPAIGN, "--json", "--as-of", "2015-08-03"))
    assert [r["code"] for r in rows] == [first, "WGBW-2015-0002"]
    assert rows[0]["rectification"] == "pending" and rows[0]["overdue"] is False
    from_csv = list(csv.DictReader(io.StringIO(cli.ok("item", "list", CAMPAIGN, "--csv"))))
    assert [r["code"] for r in from_csv] == [first, "WGBW-2015-0002"]
    assert set(from_csv[0]) == set(rows[0])


def test_item_list_filters(cli: Cli) -> None:
    a = cli.planned()
    b = cli.add_item(title="窗口服务态度差", unit="jyj-bgs")
    listed = lambda *f: [r["code"] for r in json.loads(  # noqa: E731
        cli.ok("item", "list", CAMPAIGN, "--json", *f))]
    assert listed("--unit", "县财政局") == [a]
    assert listed("--unit", "县教育局/办公室") == [b]
    assert listed("--state", "in_progress") == [a]
    assert listed("--state", "reported") == [b]
    assert listed("--category", "工作态度不积极") == [a, b]
    assert listed("--overdue", "--as-of", "2015-10-08") == [a]
    assert listed("--overdue", "--as-of", "2015-09-30") == []


def test_item_show_table_has_the_record_and_its_history(cli: Cli) -> None:
    code = cli.planned()
    out = cli.ok("item", "show", code, "--as-of", "2015-08-31")
    assert out.splitlines()[0].split() == ["code", code]
    assert "measures           建立首问负责制" in out
    assert "unit               某县/县财政局/办公室" in out
    history = out.split("history:\n", 1)[1].splitlines()
    assert history[0].split() == ["date", "machine", "trigger", "from", "to", "actor", "rule", "note"]
    assert [line.split()[2] for line in history[2:]] == ["add", "confirm", "plan"]


def test_the_reporter_is_shown_only_to_confidential_roles(cli: Cli) -> None:
    code = cli.add_item("群众举报办事刁难", "czj-bgs", "2015-08-03", "sup",
                        "--reporter", "张举报", "--reporter-contact", "13800000000")
    for args in ([], ["--actor", "head"], ["--actor", "nobody"], ["--actor", "clerk"]):
        detail = show(cli, code, *args)
        assert "reporter" not in detail and "reporter_contact" not in detail, args
        text = cli.ok("item", "show", code, *args)
        assert "张举报" not in text and "13800000000" not in text
    for actor in ("sup", "jw-zhao", "lead"):  # roles with confidential: true
        detail = show(cli, code, "--actor", actor)
        assert (detail["reporter"], detail["reporter_contact"]) == ("张举报", "13800000000")
        assert "张举报" in cli.ok("item", "show", code, "--actor", actor)
    for fmt in ("--json", "--csv"):
        assert "张举报" not in cli.ok("item", "list", CAMPAIGN, fmt)
    assert "张举报" not in cli.ok("item", "list", CAMPAIGN)
    # the event log names which fields are confidential, never their values
    assert scalar(cli.db, "SELECT count(*) FROM events WHERE payload LIKE '%13800000000%' "
                          "OR payload LIKE ? OR note LIKE ?", "%张举报%", "%张举报%") == 0


# --- the lifecycle --------------------------------------------------------------------------------


def test_a_full_round_prints_each_move(cli: Cli) -> None:
    code = cli.add_item()
    assert cli.ok("item", "advance", "confirm", code, "--actor", "sup", "--as-of", "2015-08-03") == \
        f"{code}: confirm reported → confirmed\n"
    assert cli.ok("item", "rectify", code, "--measures", "建立首问负责制", "--target", "一次办结",
                  "--leader", "head", "--person", "clerk", "--department", "办公室",
                  "--actor", "head", "--as-of", "2015-08-04") == \
        f"{code}: rectification planned, deadline 2015-09-01\n"  # 20 working days
    assert cli.ok("item", "advance", "submit", code, "--actor", "head", "--as-of", "2015-08-20") == \
        f"{code}: submit in_progress → submitted\n"
    assert cli.ok("item", "advance", "verify", code, "--actor", "sup", "--as-of", "2015-08-21") == \
        f"{code}: verify submitted → verified; close confirmed → closed (automatic)\n"
    detail = show(cli, code)
    assert (detail["state"], detail["rectification"], detail["closed_on"]) == \
        ("closed", "verified", "2015-08-21")
    assert (detail["leader"], detail["person"], detail["target"]) == ("李局长", "王伟", "一次办结")
    assert events(cli, code)[-2:] == [("rectification", "verify", "submitted", "verified"),
                                      ("item", "close", "confirmed", "closed")]


def test_the_units_own_people_may_not_verify_or_close(cli: Cli) -> None:
    code = cli.submitted()
    before = dump(cli.db)
    err = cli.fails(1, "item", "advance", "verify", code, "--actor", "sup-czj", "--as-of", "2015-08-04")
    assert "'sup-czj' belongs to the item's own unit" in err and "[actor_not_in_unit]" in err
    assert "nothing was changed" in err
    assert "belongs to the item's own unit" in triggers(cli, code, "sup-czj")["verify"]["why_not"]
    # the unit head may fire neither: no role for it
    assert "holds no role" in cli.fails(1, "item", "advance", "verify", code, "--actor", "head",
                                        "--as-of", "2015-08-04")
    assert dump(cli.db) == before
    # someone from outside the unit may
    cli.ok("item", "advance", "verify", code, "--actor", "jw-zhao", "--as-of", "2015-08-04")
    assert show(cli, code)["state"] == "closed"


def test_returns_are_counted(cli: Cli) -> None:
    code = cli.submitted()
    before = dump(cli.db)
    err = cli.fails(1, "item", "advance", "return", code, "--actor", "sup", "--as-of", "2015-08-05")
    assert "a reason is required: give --note" in err
    assert dump(cli.db) == before
    for n, day in ((1, "05"), (2, "07")):
        cli.ok("item", "advance", "return", code, "--note", f"第{n}次驳回：佐证不足", "--actor", "sup",
               "--as-of", f"2015-08-{day}")
        assert show(cli, code)["returns"] == n
        cli.ok("item", "advance", "submit", code, "--actor", "head", "--as-of", f"2015-08-{day}")
    listed = json.loads(cli.ok("item", "list", CAMPAIGN, "--json"))
    assert listed[0]["returns"] == 2
    notes = [h["note"] for h in show(cli, code)["history"] if h["trigger"] == "return"]
    assert notes == ["第1次驳回：佐证不足", "第2次驳回：佐证不足"]


def test_reopen_needs_a_reason_and_history_keeps_both(cli: Cli) -> None:
    code = cli.closed()
    before = dump(cli.db)
    assert "a reason is required" in cli.fails(1, "item", "advance", "reopen", code, "--actor", "sup",
                                               "--as-of", "2015-08-10")
    assert dump(cli.db) == before
    assert cli.ok("item", "advance", "reopen", code, "--note", "回头看发现问题反弹", "--actor", "sup",
                  "--as-of", "2015-08-10") == (
        f"{code}: reopen closed → confirmed; rework verified → in_progress (automatic); "
        "new deadline 2015-09-08\n")
    detail = show(cli, code)
    assert (detail["state"], detail["rectification"], detail["reopened"], detail["closed_on"]) == \
        ("confirmed", "in_progress", 1, "")
    history = [(h["trigger"], h["note"]) for h in detail["history"]]
    assert ("close", "") in history
    assert history[-2:] == [("reopen", "回头看发现问题反弹"), ("rework", "回头看发现问题反弹")]
    # and it can be closed again: both closings stay in the log
    cli.ok("item", "advance", "submit", code, "--actor", "head", "--as-of", "2015-08-20")
    cli.ok("item", "advance", "verify", code, "--actor", "sup", "--as-of", "2015-08-21")
    assert [e for e in events(cli, code) if e[1] == "close"] == [
        ("item", "close", "confirmed", "closed")] * 2


def test_merge_a_duplicate(cli: Cli) -> None:
    first = cli.confirmed()
    dup = cli.add_item(title="办事多次往返（重复举报）")
    before = dump(cli.db)
    assert "cannot be merged into itself" in cli.fails(1, "item", "merge", dup, "--into", dup,
                                                       "--actor", "sup", "--as-of", "2015-08-04")
    assert "unknown item code: WGBW-2015-0099" in cli.fails(
        1, "item", "merge", dup, "--into", "WGBW-2015-0099", "--actor", "sup", "--as-of", "2015-08-04")
    assert "holds no role" in cli.fails(1, "item", "merge", dup, "--into", first, "--actor", "head",
                                        "--as-of", "2015-08-04")
    assert dump(cli.db) == before
    assert cli.ok("item", "merge", dup, "--into", first, "--actor", "sup", "--as-of", "2015-08-04") == \
        f"{dup}: merged into {first}\n"
    detail = show(cli, dup)
    assert (detail["state"], detail["rectification"]) == ("merged", "cancelled")
    assert detail["history"][-2]["note"] == f"duplicate of {first}"
    merged_into = scalar(cli.db, "SELECT t.code FROM items d JOIN items t ON t.id = d.merged_into "
                                 "WHERE d.code = ?", dup)
    assert merged_into == first


def test_edit_is_recorded_as_an_event(cli: Cli) -> None:
    code = cli.planned()
    before = dump(cli.db)
    assert "nothing to change" in cli.fails(1, "item", "edit", code, "--actor", "sup",
                                            "--as-of", "2015-08-05")
    assert "unknown unit" in cli.fails(1, "item", "move", code, "--to", "没有", "--note", "划转",
                                       "--actor", "lead", "--as-of", "2015-08-05")
    assert "rectify item move" in cli.fails(1, "item", "edit", code, "--unit", "jyj", "--actor", "lead",
                                      "--as-of", "2015-08-05")
    assert dump(cli.db) == before
    cli.ok("item", "move", code, "--to", "县教育局/办公室", "--note", "核实后划转", "--actor", "lead",
           "--as-of", "2015-08-05")
    assert cli.ok("item", "edit", code, "--title", "群众办事多次往返、推诿",
                  "--typical", "--note", "核实后更正", "--actor", "sup", "--as-of", "2015-08-05") == \
        f"{code}: changed title, typical\n"
    detail = show(cli, code)
    assert (detail["title"], detail["unit"], detail["typical"]) == \
        ("群众办事多次往返、推诿", "某县/县教育局/办公室", True)
    edit = detail["history"][-1]
    assert (edit["trigger"], edit["actor"], edit["note"]) == ("edit", "sup", "核实后更正")
    payload = json.loads(scalar(cli.db, "SELECT payload FROM events WHERE trigger = 'edit'"))
    assert payload["old"]["title"] == "群众办事多次往返"
    assert payload["new"]["title"] == "群众办事多次往返、推诿"


def test_progress_keeps_evidence_by_sha256(cli: Cli, tmp_path: Path) -> None:
    code = cli.planned()
    photo = tmp_path / "整改照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 a photo of the new service window")
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    out = cli.ok("item", "progress", code, "--note", "已设立导办台", "--evidence", str(photo),
                 "--actor", "clerk", "--as-of", "2015-08-10")
    assert out == f"{code}: progress recorded; evidence 整改照片.jpg ({digest[:12]})\n"
    cli.ok("item", "progress", code, "--note", "再次提交同一照片", "--evidence", str(photo),
           "--actor", "clerk", "--as-of", "2015-08-11")
    assert scalar(cli.db, "SELECT count(*) FROM blobs") == 1  # the same file is stored once
    assert scalar(cli.db, "SELECT content FROM blobs WHERE sha256 = ?", digest) == photo.read_bytes()
    assert scalar(cli.db, "SELECT count(*) FROM evidence WHERE sha256 = ?", digest) == 2
    detail = show(cli, code)
    assert [p["note"] for p in detail["progress"]] == ["已设立导办台", "再次提交同一照片"]
    before = dump(cli.db)
    err = cli.fails(1, "item", "progress", code, "--note", "x", "--evidence", str(tmp_path / "none.pdf"),
                    "--actor", "clerk", "--as-of", "2015-08-12")
    assert "No such file or directory" in err and "none.pdf" in err
    assert dump(cli.db) == before


def test_triggers_says_what_is_possible_and_why_not(cli: Cli) -> None:
    code = cli.add_item()
    for_sup = triggers(cli, code, "sup")
    assert for_sup["confirm"]["possible"] is True
    assert for_sup["dismiss"]["possible"] is True
    assert "submit" not in for_sup  # not from this state: left out
    assert for_sup["plan"]["possible"] is False
    assert "has not been confirmed yet" in for_sup["plan"]["why_not"]
    for_nobody = triggers(cli, code, "nobody")
    assert "holds no role" in for_nobody["confirm"]["why_not"]
    table = cli.ok("item", "triggers", code, "--actor", "head").splitlines()
    assert table[0].split() == ["trigger", "machine", "title", "to", "possible", "why_not",
                                "guards"]


def test_advance_many_codes_is_all_or_nothing(cli: Cli, tmp_path: Path) -> None:
    a, b = cli.add_item(), cli.add_item(title="窗口服务态度差")
    c = cli.confirmed()
    before = dump(cli.db)
    err = cli.fails(1, "item", "advance", "confirm", a, b, c, "--actor", "sup", "--as-of", "2015-08-04")
    assert "refused for 1 of 3 item(s); nothing was changed" in err
    assert f"{c}: not allowed from state 'confirmed'" in err
    assert dump(cli.db) == before
    codes = tmp_path / "codes.txt"
    codes.write_text(f"{b}\n\n", encoding="utf-8")
    assert cli.ok("item", "advance", "confirm", a, "--from-file", str(codes), "--actor", "sup",
                  "--as-of", "2015-08-04") == "confirm: 2 items advanced\n"
    assert [r["state"] for r in json.loads(cli.ok("item", "list", CAMPAIGN, "--json"))] == \
        ["confirmed"] * 3


def test_extension_needs_a_new_deadline(cli: Cli) -> None:
    code = cli.planned()
    cli.ok("item", "advance", "request-extension", code, "--note", "需协调多部门", "--actor", "head",
           "--as-of", "2015-08-10")
    before = dump(cli.db)
    err = cli.fails(1, "item", "advance", "approve-extension", code, "--actor", "sup",
                    "--as-of", "2015-08-11")
    assert "'deadline' is required" in err
    assert dump(cli.db) == before
    err = cli.fails(1, "item", "advance", "approve-extension", code, "--deadline", "2015-08-01",
                    "--actor", "sup", "--as-of", "2015-08-11")
    assert "'deadline' 2015-08-01 is before the business date 2015-08-11" in err
    assert dump(cli.db) == before
    cli.ok("item", "advance", "approve-extension", code, "--deadline", "2015-10-30", "--actor", "sup",
           "--as-of", "2015-08-11")
    detail = show(cli, code)
    assert (detail["deadline"], detail["original_deadline"]) == ("2015-10-30", "2015-09-30")


def test_dismissing_an_untrue_report(cli: Cli) -> None:
    code = cli.add_item()
    assert "a reason is required" in cli.fails(1, "item", "advance", "dismiss", code, "--actor", "sup",
                                               "--as-of", "2015-08-04")
    cli.ok("item", "advance", "dismiss", code, "--note", "经核实不属实", "--actor", "sup",
           "--as-of", "2015-08-04")
    detail = show(cli, code)
    assert (detail["state"], detail["rectification"]) == ("dismissed", "cancelled")


def test_business_time_only_moves_forward(cli: Cli) -> None:
    code = cli.confirmed(as_of="2015-08-10")
    before = dump(cli.db)
    err = cli.fails(1, "item", "rectify", code, "--measures", "m", "--actor", "head",
                    "--as-of", "2015-08-09")
    assert "2015-08-09 is before the campaign's latest recorded change (2015-08-10)" in err
    assert "use --as-of 2015-08-10 or later" in err
    for args in (["item", "advance", "dismiss", code, "--note", "n"],
                 ["item", "add", CAMPAIGN, "--title", "t", "--unit", "jyj", "--category", "no-drive",
                  "--source", "media"],
                 ["item", "edit", code, "--title", "t"],
                 ["item", "progress", code, "--note", "n"],
                 ["campaign", "advance", CAMPAIGN]):
        err = cli.fails(1, *args, "--actor", "sup", "--as-of", "2015-08-09")
        assert "business time only moves forward" in err, args
    assert "before campaign 'wgbw-2015' started" in cli.fails(
        1, "item", "add", CAMPAIGN, "--title", "t", "--unit", "jyj", "--category", "no-drive",
        "--source", "media", "--actor", "sup", "--as-of", "2015-06-30")
    assert dump(cli.db) == before
    # the same day, or later, is fine; reading an earlier day is fine too
    cli.ok("item", "rectify", code, "--measures", "m", "--actor", "head", "--as-of", "2015-08-10")
    assert cli.ok("item", "list", CAMPAIGN, "--as-of", "2015-08-01", "--json").strip() == "[]"
    assert "was not yet recorded on 2015-08-01" in cli.fails(1, "item", "show", code,
                                                              "--as-of", "2015-08-01")
