"""``rectify unit edit`` and ``rectify person edit``: the organisation changes (机构改革, staff
moves) with effective dates, open items follow, and every view of a past date names units and
people as they were then."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_common import CAMPAIGN, Cli, dump, scalar, seeded


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


def report(cli: Cli, month: str, folder: Path) -> str:
    out = folder / f"{month}.md"
    cli.ok("report", CAMPAIGN, "--month", month, "-o", str(out))
    return out.read_text(encoding="utf-8")


def planned_in(cli: Cli, unit: str, as_of: str = "2015-08-03") -> str:
    """An item of ``unit`` with its plan, planned by the unit's head; 李局长 (head) and 王伟
    (clerk) answer for it."""
    code = cli.confirmed(as_of=as_of, unit=unit)
    cli.ok("item", "rectify", code, "--measures", "建立首问负责制", "--deadline", "2015-12-31",
           "--leader", "head", "--person", "clerk", "--actor",
           "edu" if unit.startswith("jyj") else "head", "--as-of", as_of)
    return code


# --- names as they were then ---------------------------------------------------------------------


def test_a_unit_renamed_mid_campaign_keeps_its_old_name_in_the_september_report(
        cli: Cli, tmp_path: Path) -> None:
    planned_in(cli, "czj")
    assert cli.ok("unit", "edit", "czj", "--name", "县财政和国有资产管理局", "--on", "2015-10-10",
                  "--actor", "admin") == "czj: title 县财政局 → 县财政和国有资产管理局\n"
    september, october = report(cli, "2015-09", tmp_path), report(cli, "2015-10", tmp_path)
    assert "| 县财政局 |" in september and "县财政和国有资产管理局" not in september
    assert "| 县财政和国有资产管理局 |" in october and "| 县财政局 |" not in october


def test_ledger_item_show_and_list_of_a_past_date_use_the_names_of_then(cli: Cli, tmp_path: Path) -> None:
    code = planned_in(cli, "czj-bgs")
    cli.ok("unit", "edit", "czj", "--name", "县财政和国有资产管理局", "--on", "2015-10-10",
           "--actor", "admin")
    cli.ok("person", "edit", "clerk", "--name", "王伟伟", "--on", "2015-10-12", "--actor", "admin")
    before = json.loads(cli.ok("item", "show", code, "--json", "--as-of", "2015-09-30"))
    after = json.loads(cli.ok("item", "show", code, "--json", "--as-of", "2015-10-31"))
    assert before["unit"] == "某县/县财政局/办公室" and before["person"] == "王伟"
    assert after["unit"] == "某县/县财政和国有资产管理局/办公室" and after["person"] == "王伟伟"
    out = tmp_path / "ledger.csv"
    cli.ok("ledger", CAMPAIGN, "-o", str(out), "--as-of", "2015-09-30")
    text = out.read_text(encoding="utf-8-sig")
    assert "县财政局" in text and "县财政和国有资产管理局" not in text and "王伟伟" not in text
    # a unit is still found by today's name in a view of a past date
    listed = json.loads(cli.ok("item", "list", CAMPAIGN, "--unit", "县财政和国有资产管理局",
                               "--json", "--as-of", "2015-09-30"))
    assert [r["code"] for r in listed] == [code]


def test_a_move_under_another_parent_shows_in_later_views_only(cli: Cli) -> None:
    code = planned_in(cli, "czj-bgs")
    cli.ok("unit", "edit", "czj-bgs", "--parent", "jyj", "--on", "2015-10-10", "--actor", "admin")
    units = {r["code"]: r for r in json.loads(cli.ok("unit", "list", "--json"))}
    assert units["czj-bgs"]["path"] == "某县/县教育局/办公室" and units["czj-bgs"]["depth"] == 2
    assert scalar(cli.db, "SELECT path FROM units WHERE code = 'czj-bgs'") == "/county/jyj/czj-bgs"
    before = json.loads(cli.ok("item", "show", code, "--json", "--as-of", "2015-09-30"))
    assert before["unit"] == "某县/县财政局/办公室"
    assert json.loads(cli.ok("item", "show", code, "--json"))["unit"] == "某县/县教育局/办公室"


def test_notices_name_units_and_people_as_they_were_on_their_day(cli: Cli) -> None:
    """A notice of September names the unit and the people of September, though the unit was
    renamed and merged, and its leader left, in October."""
    code = cli.confirmed(unit="jyj-bgs")
    cli.ok("item", "rectify", code, "--measures", "建立首问负责制", "--deadline", "2015-09-10",
           "--leader", "edu", "--person", "clerk", "--actor", "edu", "--as-of", "2015-08-03")
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-09-30")
    cli.ok("unit", "edit", "jyj", "--name", "县教育和体育局", "--on", "2015-10-08", "--actor", "admin")
    cli.ok("unit", "edit", "jyj-bgs", "--into", "czj-bgs", "--on", "2015-10-09", "--actor", "admin")
    cli.ok("person", "edit", "edu", "--leave", "2015-10-10", "--successor", "head",
           "--actor", "admin")
    cli.ok("person", "edit", "clerk", "--name", "王小伟", "--on", "2015-10-10", "--actor", "admin")
    september = [n for n in json.loads(cli.ok("notices", CAMPAIGN, "--json")) if n["code"] == code]
    assert september, "the clock issued no notice in September"
    for n in september:
        assert n["issued_on"] <= "2015-09-30"
        assert (n["unit"], n["unit_code"], n["to"]) == ("办公室", "jyj-bgs", "县教育局")
        assert (n["leader"], n["person"]) == ("孙局长", "王伟")
    now = json.loads(cli.ok("item", "show", code, "--json"))
    assert (now["unit"], now["leader"], now["person"]) == ("某县/县财政局/办公室", "李局长", "王小伟")


def test_unit_and_person_lists_of_a_past_date(cli: Cli) -> None:
    cli.ok("unit", "edit", "czj", "--name", "县财政和国有资产管理局", "--on", "2015-10-10",
           "--actor", "admin")
    cli.ok("unit", "edit", "jyj-bgs", "--into", "czj-bgs", "--on", "2015-10-11", "--actor", "admin")
    cli.ok("person", "edit", "clerk", "--unit", "jyj", "--title", "科员", "--on", "2015-10-12",
           "--actor", "admin")
    cli.ok("person", "edit", "edu", "--leave", "2015-10-13", "--actor", "admin")
    then = cli.ok("unit", "list", "--as-of", "2015-09-30")
    assert "  县财政局  [czj]" in then and "    办公室  [jyj-bgs]" in then
    now = cli.ok("unit", "list")
    assert "  县财政和国有资产管理局  [czj]" in now and "jyj-bgs" not in now
    people_then = {r["key"]: r for r in json.loads(cli.ok("person", "list", "--json", "--as-of",
                                                          "2015-09-30"))}
    assert people_then["clerk"]["unit"] == "某县/县财政局/办公室" and people_then["clerk"]["title"] == ""
    assert people_then["edu"]["active"] is True
    people_now = {r["key"]: r for r in json.loads(cli.ok("person", "list", "--json", "--all"))}
    assert people_now["clerk"]["unit"] == "某县/县教育局" and people_now["clerk"]["title"] == "科员"
    assert people_now["edu"]["active"] is False


# --- unit edit -------------------------------------------------------------------------------------


def test_a_merge_moves_the_open_items_and_people_with_events(cli: Cli) -> None:
    open_code = planned_in(cli, "jyj-bgs")
    closed_code = planned_in(cli, "jyj-bgs")
    cli.ok("item", "advance", "submit", closed_code, "--actor", "edu", "--as-of", "2015-08-03")
    cli.ok("item", "advance", "verify", closed_code, "--actor", "sup", "--as-of", "2015-08-03")
    out = cli.ok("unit", "edit", "jyj-bgs", "--into", "czj-bgs", "--on", "2015-10-10",
                 "--note", "县编办〔2015〕3号", "--actor", "admin")
    assert out == "merged jyj-bgs into czj-bgs: 1 open item(s), 0 person(s) moved\n"
    now = json.loads(cli.ok("item", "show", open_code, "--json"))
    assert now["unit"] == "某县/县财政局/办公室"
    assert now["history"][-1]["trigger"] == "move" and now["history"][-1]["actor"] == "admin"
    assert now["history"][-1]["date"] == "2015-10-10"
    assert json.loads(cli.ok("item", "show", open_code, "--json", "--as-of", "2015-10-09"))[
        "unit"] == "某县/县教育局/办公室"
    # a closed item stays with the unit it was closed in
    assert json.loads(cli.ok("item", "show", closed_code, "--json"))["unit"] == "某县/县教育局/办公室"
    assert "jyj-bgs" not in cli.ok("unit", "list")
    assert "(ended 2015-10-10)" in cli.ok("unit", "list", "--all")
    payload = json.loads(scalar(cli.db, "SELECT payload FROM site_events WHERE trigger = 'merge'"))
    assert payload == {"into": "czj-bgs", "items": [open_code]}
    cli.ok("audit", "verify", "--all")


def test_people_follow_their_unit_into_the_merge(cli: Cli) -> None:
    out = cli.ok("unit", "edit", "jyj-bgs", "--into", "jyj", "--actor", "admin")  # its parent
    assert "0 person(s) moved" in out
    assert cli.ok("unit", "edit", "jyj", "--top", "--actor", "admin") == "jyj: parent county → -\n"
    assert "县教育局  [jyj]" in cli.ok("unit", "list").splitlines()  # a root of its own now
    cli.ok("person", "edit", "edu", "--unit", "dcs", "--actor", "admin")
    out = cli.ok("unit", "edit", "dcs", "--into", "jw", "--actor", "admin")
    assert out.endswith("2 person(s) moved\n")  # sup and edu
    people = {r["key"]: r for r in json.loads(cli.ok("person", "list", "--json"))}
    assert people["sup"]["unit"] == people["edu"]["unit"] == "某县/县纪委"


@pytest.mark.parametrize("args, message", [
    (("czj", "--into", "czj"), "unit 'czj' cannot be merged into itself"),
    (("czj", "--into", "czj-bgs"), "unit 'czj' cannot be merged into 'czj-bgs', a unit under it"),
    (("county", "--into", "czj"), "unit 'county' cannot be merged into 'czj', a unit under it"),
    (("czj", "--parent", "czj-bgs"),
     "cannot be moved under 'czj-bgs': that is czj itself or a unit under it"),
    (("czj", "--into", "nowhere"), "unknown unit 'nowhere'"),
    (("czj", "--into", "jyj"), "unit 'czj' has units under it: czj-bgs"),
    (("czj", "--name", " "), "a unit needs a title"),
    (("czj", "--name", "新名", "--on", "2099-01-01"), "is after today"),
])
def test_unit_edit_refusals_change_nothing(cli: Cli, args: tuple[str, ...], message: str) -> None:
    before = dump(cli.db)
    err = cli.fails(1, "unit", "edit", *args, "--actor", "admin")
    assert message in err
    assert dump(cli.db) == before


def test_unit_edit_is_for_an_administrator_only(cli: Cli) -> None:
    before = dump(cli.db)
    err = cli.fails(1, "unit", "edit", "czj", "--name", "新名", "--actor", "lead")
    assert "'lead' is not an administrator" in err
    err = cli.fails(1, "unit", "edit", "czj", "--name", "新名")
    assert "only by an administrator" in err
    assert dump(cli.db) == before


def test_unit_edit_says_what_changes(cli: Cli) -> None:
    err = cli.fails(2, "unit", "edit", "czj", "--actor", "admin")
    assert "say what changes" in err
    cli.fails(2, "unit", "edit", "czj", "--name", "x", "--dissolve", "--actor", "admin")
    cli.fails(2, "unit", "edit", "czj", "--parent", "jyj", "--top", "--actor", "admin")
    assert cli.ok("unit", "edit", "czj", "--name", "县财政局", "--actor", "admin") == \
        "czj: nothing changed\n"


def test_dissolve_is_refused_while_open_items_remain_and_says_how_to_fix_it(cli: Cli) -> None:
    code = planned_in(cli, "jyj-bgs")
    before = dump(cli.db)
    err = cli.fails(1, "unit", "edit", "jyj-bgs", "--dissolve", "--actor", "admin")
    assert f"unit 'jyj-bgs' still has 1 open item(s): {code}" in err
    assert "rectify unit edit jyj-bgs --into OTHER" in err and "rectify item move" in err
    assert dump(cli.db) == before
    cli.ok("item", "move", code, "--to", "czj-bgs", "--note", "机构调整", "--actor", "lead",
           "--as-of", "2015-08-04")
    assert cli.ok("unit", "edit", "jyj-bgs", "--dissolve", "--on", "2015-08-04",
                  "--actor", "admin") == "dissolved jyj-bgs\n"
    err = cli.fails(1, "unit", "add", "x1", "--title", "文书组", "--parent", "jyj-bgs",
                    "--actor", "admin")
    assert "unit 'jyj-bgs' was dissolved on" in err
    err = cli.fails(1, "unit", "edit", "jyj-bgs", "--name", "复活", "--actor", "admin")
    assert "was dissolved" in err
    # no new items there from that day, and none moved there
    err = cli.fails(1, "item", "add", CAMPAIGN, "--title", "新问题", "--unit", "jyj-bgs",
                    "--category", "passive-attitude", "--source", "public-report",
                    "--actor", "sup", "--as-of", "2015-08-05")
    assert "unit 'jyj-bgs' was dissolved on" in err
    err = cli.fails(1, "item", "move", code, "--to", "jyj-bgs", "--note", "退回", "--actor", "lead",
                    "--as-of", "2015-08-05")
    assert "unit 'jyj-bgs' was dissolved on" in err


def test_dissolve_is_refused_while_people_work_there(cli: Cli) -> None:
    err = cli.fails(1, "unit", "edit", "zzb", "--dissolve", "--actor", "admin")
    assert "unit 'zzb' still has active people: lead" in err
    assert "rectify person edit KEY --unit UNIT" in err


def test_a_merge_dated_before_a_campaigns_latest_change_is_refused(cli: Cli) -> None:
    planned_in(cli, "jyj-bgs", as_of="2015-09-01")
    before = dump(cli.db)
    err = cli.fails(1, "unit", "edit", "jyj-bgs", "--into", "czj-bgs", "--on", "2015-08-20",
                    "--actor", "admin")
    assert f"campaign '{CAMPAIGN}' holds open items this change would move" in err
    assert "give --on 2015-09-01 or later" in err
    assert dump(cli.db) == before


def test_changes_to_one_unit_only_move_forward(cli: Cli) -> None:
    cli.ok("unit", "edit", "czj", "--name", "甲", "--on", "2015-10-10", "--actor", "admin")
    err = cli.fails(1, "unit", "edit", "czj", "--name", "乙", "--on", "2015-10-01",
                    "--actor", "admin")
    assert "before this unit's latest change (2015-10-10)" in err


# --- person edit -----------------------------------------------------------------------------------


def test_person_edit_changes_roles_unit_and_post_with_one_event(cli: Cli) -> None:
    out = cli.ok("person", "edit", "clerk", "--unit", "jyj-bgs", "--add-role", "supervision-office",
                 "--drop-role", "unit-head", "--title", "主任", "--on", "2015-10-10",
                 "--actor", "admin")
    assert out == ("clerk: unit czj-bgs → jyj-bgs; roles unit-head → supervision-office; "
                   "title - → 主任\n")
    row = {r["key"]: r for r in json.loads(cli.ok("person", "list", "--json"))}["clerk"]
    assert row["roles"] == "supervision-office" and row["title"] == "主任"
    assert row["unit"] == "某县/县教育局/办公室"
    payload = json.loads(scalar(cli.db, "SELECT payload FROM site_events WHERE trigger = 'edit' "
                                        "AND machine = 'person'"))
    assert payload == {"old": {"unit": "czj-bgs", "roles": ["unit-head"], "title": None},
                       "new": {"unit": "jyj-bgs", "roles": ["supervision-office"], "title": "主任"}}
    assert cli.ok("person", "edit", "clerk", "--role", "a", "--role", "b", "--actor", "admin") == \
        "clerk: roles supervision-office → a b\n"


def test_a_person_leaving_hands_their_open_items_to_the_successor(cli: Cli) -> None:
    code = planned_in(cli, "czj")
    done = cli.closed(unit="czj")
    out = cli.ok("person", "edit", "head", "--leave", "2015-10-10", "--successor", "edu",
                 "--actor", "admin")
    assert out == "head left; 1 open item(s) handed to edu\n"
    now = json.loads(cli.ok("item", "show", code, "--json"))
    assert now["leader"] == "孙局长" and now["person"] == "王伟"
    assert now["history"][-1]["trigger"] == "edit" and now["history"][-1]["date"] == "2015-10-10"
    then = json.loads(cli.ok("item", "show", code, "--json", "--as-of", "2015-10-09"))
    assert then["leader"] == "李局长"
    assert json.loads(cli.ok("item", "show", done, "--json"))["leader"] in ("", "李局长")
    err = cli.fails(1, "item", "advance", "submit", code, "--actor", "head", "--as-of", "2015-10-11")
    assert "deactivated" in err
    assert "head" not in {r["key"] for r in json.loads(cli.ok("person", "list", "--json"))}
    assert cli.ok("person", "edit", "head", "--return", "--on", "2015-11-01", "--actor", "admin") \
        == "head returned\n"
    assert "head" in {r["key"] for r in json.loads(cli.ok("person", "list", "--json"))}
    cli.ok("audit", "verify", "--all")


def test_leaving_without_a_successor_is_refused_while_they_answer_for_open_items(cli: Cli) -> None:
    code = planned_in(cli, "czj")
    before = dump(cli.db)
    err = cli.fails(1, "person", "edit", "head", "--leave", "2015-10-10", "--actor", "admin")
    assert f"'head' answers for 1 open item(s): {code}" in err and "--successor KEY" in err
    err = cli.fails(1, "person", "edit", "head", "--leave", "2015-10-10", "--successor", "edux",
                    "--actor", "admin")
    assert "unknown successor 'edux'" in err and "did you mean 'edu'?" in err
    err = cli.fails(1, "person", "edit", "head", "--leave", "2015-10-10", "--successor", "孙局长",
                    "--actor", "admin")
    assert "did you mean 'edu'?" in err
    err = cli.fails(1, "person", "edit", "head", "--leave", "2015-10-10", "--successor", "head",
                    "--actor", "admin")
    assert "cannot succeed themselves" in err
    assert dump(cli.db) == before
    # someone who answers for nothing leaves without one
    assert cli.ok("person", "edit", "nobody", "--leave", "2015-10-10", "--actor", "admin") == \
        "nobody left; 0 open item(s) handed to -\n"


@pytest.mark.parametrize("args, code, message", [
    (("nobodyx", "--unit", "czj"), 1, "unknown person 'nobodyx'"),
    (("clerk", "--unit", "nowhere"), 1, "unknown unit 'nowhere'"),
    (("clerk", "--role", "bad role"), 1, "is not a valid role key"),
    (("admin", "--drop-role", "admin"), 1, "may not give up their own role 'admin'"),
    (("admin", "--leave", "2015-10-10"), 1, "may not deactivate themselves"),
    (("clerk", "--return"), 1, "person 'clerk' has not left"),
    (("clerk",), 2, "say what changes"),
    (("clerk", "--successor", "edu"), 2, "--successor goes with --leave DATE"),
    (("clerk", "--leave", "2015-10-10", "--on", "2015-10-10"), 2, "leave out --on"),
])
def test_person_edit_refusals_change_nothing(cli: Cli, args: tuple[str, ...], code: int,
                                             message: str) -> None:
    before = dump(cli.db)
    err = cli.fails(code, "person", "edit", *args, "--actor", "admin")
    assert message in err
    assert dump(cli.db) == before


def test_person_edit_is_for_an_administrator_only(cli: Cli) -> None:
    before = dump(cli.db)
    err = cli.fails(1, "person", "edit", "clerk", "--unit", "czj", "--actor", "head")
    assert "'head' is not an administrator" in err
    err = cli.fails(1, "person", "edit", "clerk", "--leave", "2015-10-10", "--actor", "sup")
    assert "'sup' is not an administrator" in err
    assert dump(cli.db) == before


# --- re-imports ----------------------------------------------------------------------------------


def test_unit_import_update_reports_what_changed(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("代码,名称,上级,类型\nczj,县财政和国有资产管理局,county,department\n"
                    "jyj,县教育局,county,department\nxc,新城镇,county,township\n", encoding="utf-8")
    before = dump(cli.db)
    err = cli.fails(1, "unit", "import", str(path), "--actor", "admin")
    assert "row 2: unit code 'czj' already exists" in err and "--update" in err
    assert dump(cli.db) == before
    expected = ("added 1 unit(s): xc\nchanged 1 unit(s): czj (title)\nunchanged 1 unit(s)\n")
    dry = cli.ok("unit", "import", str(path), "--update", "--dry-run", "--actor", "admin")
    assert dry == "dry run: nothing was written; the import would make these changes\n" + expected
    assert dump(cli.db) == before
    assert cli.ok("unit", "import", str(path), "--update", "--actor", "admin") == expected
    assert json.loads(cli.ok("unit", "import", str(path), "--update", "--json",
                             "--actor", "admin")) == {"added": [], "changed": {}, "unchanged": 3,
                                                      "dry_run": False}
    titles = {r["code"]: r["title"] for r in json.loads(cli.ok("unit", "list", "--json"))}
    assert titles["czj"] == "县财政和国有资产管理局" and titles["xc"] == "新城镇"
    origin = json.loads(scalar(cli.db, "SELECT payload FROM site_events WHERE machine = 'unit' "
                                       "AND trigger = 'edit'"))["import"]
    assert origin == {"file": "units.csv", "sheet": None, "row": 2}


def test_person_import_update_reports_what_changed(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("编号,姓名,单位,角色,职务\nclerk,王伟,jyj-bgs,unit-head,主任\n"
                    "head,李局长,czj,unit-head,\nnew1,新人,czj,,科员\n", encoding="utf-8")
    before = dump(cli.db)
    err = cli.fails(1, "person", "import", str(path), "--actor", "admin")
    assert "row 2: person 'clerk' already exists" in err and "--update" in err
    assert dump(cli.db) == before
    out = cli.ok("person", "import", str(path), "--update", "--actor", "admin")
    assert out == ("added 1 person(s): new1\nchanged 1 person(s): clerk (title, unit)\n"
                   "unchanged 1 person(s)\n")
    err = cli.fails(1, "person", "import", str(path), "--update", "--actor", "head")
    assert "not an administrator" in err


def test_a_bad_row_in_an_update_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("code,title,parent\nczj,县财政和国有资产管理局,county\njyj,县教育局,nowhere\n",
                    encoding="utf-8")
    before = dump(cli.db)
    err = cli.fails(1, "unit", "import", str(path), "--update", "--actor", "admin")
    assert "row 3: unknown unit 'nowhere'" in err
    assert dump(cli.db) == before


# --- PostgreSQL ----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_reorganisation_on_postgresql(pg_db_url: str, tmp_path: Path) -> None:
    """A subtree moved (paths rewritten under the unique index), a merge with its item events, a
    leaving with its hand-over, and September named as it was, on the server."""
    from test_cli_common import WGBW, populate

    c = Cli(pg_db_url)  # type: ignore[arg-type]
    populate(c)
    c.ok("campaign", "start", str(WGBW), "--start", "2015-07-01", "--actor", "lead")
    code = planned_in(c, "jyj-bgs")
    c.ok("unit", "edit", "jyj", "--parent", "dcs", "--on", "2015-09-01", "--actor", "admin")
    c.ok("unit", "edit", "jyj", "--parent", "county", "--on", "2015-09-02", "--actor", "admin")
    c.ok("unit", "edit", "jyj-bgs", "--into", "czj-bgs", "--on", "2015-10-10", "--actor", "admin")
    c.ok("person", "edit", "head", "--leave", "2015-10-11", "--successor", "edu", "--actor", "admin")
    c.ok("unit", "edit", "czj", "--name", "县财政和国有资产管理局", "--on", "2015-10-12",
         "--actor", "admin")
    now = json.loads(c.ok("item", "show", code, "--json"))
    assert now["unit"] == "某县/县财政和国有资产管理局/办公室" and now["leader"] == "孙局长"
    assert "| 某县/县教育局/办公室 |" in report(c, "2015-09", tmp_path)
    c.ok("audit", "verify", "--all")
