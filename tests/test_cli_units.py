"""``rectify unit`` and ``rectify person``: the organisation, as users type it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from test_cli_common import PEOPLE, UNITS, Cli, dump, seeded


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory, campaign=False)


@pytest.fixture
def empty(tmp_path: Path) -> Cli:
    c = Cli(tmp_path / "empty.db")
    c.ok("init", "--admin", "admin")
    return c


# --- units ---------------------------------------------------------------------------------


def test_unit_add_prints_what_was_added(empty: Cli) -> None:
    assert empty.ok("unit", "add", "--actor", "admin", "county", "--title", "某县", "--kind", "county") == \
        "added unit county 某县\n"
    assert empty.ok("unit", "add", "--actor", "admin", "czj", "--title", "县财政局", "--parent", "某县") == \
        "added unit czj 县财政局\n"


def test_unit_list_is_an_indented_tree_by_default(cli: Cli) -> None:
    lines = cli.ok("unit", "list").splitlines()
    assert lines[0] == "某县  [county]"
    assert "  县财政局  [czj]" in lines
    assert "    办公室  [czj-bgs]" in lines
    assert lines.index("    办公室  [czj-bgs]") == lines.index("  县财政局  [czj]") + 1


def test_unit_list_json_and_csv(cli: Cli) -> None:
    rows = json.loads(cli.ok("unit", "list", "--json"))
    assert [r["code"] for r in rows if r["title"] == "办公室"] == ["czj-bgs", "jyj-bgs"]
    assert {r["path"] for r in rows if r["title"] == "办公室"} == {"某县/县财政局/办公室",
                                                                 "某县/县教育局/办公室"}
    assert len(rows) == len(UNITS)
    table = list(csv.DictReader(io.StringIO(cli.ok("unit", "list", "--csv"))))
    assert [r["code"] for r in table] == [r["code"] for r in rows]
    assert set(table[0]) == {"code", "title", "kind", "depth", "path"}


def test_a_repeated_title_is_found_by_its_path(cli: Cli) -> None:
    cli.ok("unit", "add", "--actor", "admin", "jyj-bgs-1", "--title", "文书组", "--parent", "县教育局/办公室")
    rows = {r["code"]: r for r in json.loads(cli.ok("unit", "list", "--json"))}
    assert rows["jyj-bgs-1"]["path"] == "某县/县教育局/办公室/文书组"
    # a path may skip levels, and a code always works
    cli.ok("unit", "add", "--actor", "admin",
           "czj-bgs-1", "--title", "文书组", "--parent", "某县/县财政局/办公室")
    cli.ok("unit", "add", "--actor", "admin", "czj-bgs-2", "--title", "档案室", "--parent", "czj-bgs")
    rows = {r["code"]: r for r in json.loads(cli.ok("unit", "list", "--json"))}
    assert rows["czj-bgs-2"]["path"] == "某县/县财政局/办公室/档案室"


def test_a_repeated_title_alone_is_refused_as_ambiguous(cli: Cli) -> None:
    before = dump(cli.db)
    err = cli.fails(1, "unit", "add", "--actor", "admin", "x", "--title", "文书组", "--parent", "办公室")
    assert "unit '办公室' is ambiguous" in err
    assert "某县/县财政局/办公室 (czj-bgs)" in err and "某县/县教育局/办公室 (jyj-bgs)" in err
    assert "hint: give its code or path" in err
    assert dump(cli.db) == before


def test_unit_add_refuses_bad_codes_duplicates_and_unknown_parents(cli: Cli) -> None:
    before = dump(cli.db)
    assert "unit code 'czj' already exists" in cli.fails(1, "unit", "add", "--actor", "admin",
                                                         "czj", "--title", "X")
    assert "unit code '财政' is not valid" in cli.fails(1, "unit", "add", "--actor", "admin",
                                                      "财政", "--title", "X")
    err = cli.fails(1, "unit", "add", "--actor", "admin", "x", "--title", "X", "--parent", "县财政")
    assert "unknown unit '县财政'" in err and "did you mean '县财政局'?" in err
    assert dump(cli.db) == before


def test_unit_import_reads_chinese_headers(empty: Cli, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("代码,名称,上级,类型\ncounty,某县,,county\nczj,县财政局,county,department\n"
                    "czj-bgs,办公室,县财政局,office\n", encoding="utf-8")
    assert empty.ok("unit", "import", "--actor", "admin", str(path)) == "imported 3 unit(s)\n"
    assert [r["path"] for r in json.loads(empty.ok("unit", "list", "--json"))] == [
        "某县", "某县/县财政局", "某县/县财政局/办公室"]


def test_unit_import_is_all_or_nothing(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("code,title,parent\nnew1,新单位,county\nczj,重复,county\nnew2,新单位二,没有这个单位\n",
                    encoding="utf-8")
    before = dump(cli.db)
    err = cli.fails(1, "unit", "import", "--actor", "admin", str(path))
    assert "2 problem(s)" in err and "nothing was imported" in err
    assert "row 3: unit code 'czj' already exists" in err
    assert "row 4: unknown unit '没有这个单位'" in err
    assert dump(cli.db) == before


# --- people ----------------------------------------------------------------------------------


def test_person_add_prints_what_was_added(cli: Cli) -> None:
    assert cli.ok("person", "add", "--actor", "admin", "zhang", "--name", "张三", "--unit", "县教育局/办公室",
                  "--role", "unit-head", "--title", "主任") == "added person zhang 张三\n"
    rows = {r["key"]: r for r in json.loads(cli.ok("person", "list", "--json"))}
    assert rows["zhang"] == {"key": "zhang", "name": "张三", "title": "主任",
                             "unit": "某县/县教育局/办公室", "roles": "unit-head", "active": True}


def test_people_with_the_same_name_are_told_apart_by_key(cli: Cli) -> None:
    rows = json.loads(cli.ok("person", "list", "--json"))
    wang = {r["key"]: r["unit"] for r in rows if r["name"] == "王伟"}
    assert wang == {"sup": "某县/县“两办”督查室", "clerk": "某县/县财政局/办公室"}


def test_person_keys_are_unique_and_well_formed(cli: Cli) -> None:
    before = dump(cli.db)
    assert "person 'sup' already exists" in cli.fails(1, "person", "add", "--actor", "admin",
                                                      "sup", "--name", "王伟")
    assert "person key '王伟' is not valid" in cli.fails(1, "person", "add", "--actor", "admin",
                                                       "王伟", "--name", "王伟")
    assert "'system' is reserved" in cli.fails(1, "person", "add", "--actor", "admin",
                                               "system", "--name", "时钟")
    err = cli.fails(1, "person", "add", "--actor", "admin", "x", "--name", "某", "--role", "督查室")
    assert "role '督查室' is not a valid role key" in err
    assert "unknown unit" in cli.fails(1, "person", "add", "--actor", "admin",
                                       "x", "--name", "某", "--unit", "nowhere")
    assert dump(cli.db) == before


def test_person_list_table_json_csv_and_unit_filter(cli: Cli) -> None:
    table = cli.ok("person", "list").splitlines()
    assert table[0].split() == ["key", "name", "title", "unit", "roles", "active"]
    assert len(table) == 2 + len(PEOPLE) + 1  # and the administrator
    in_czj = json.loads(cli.ok("person", "list", "--unit", "县财政局", "--json"))
    assert sorted(r["key"] for r in in_czj) == ["clerk", "head", "sup-czj"]
    rows = list(csv.DictReader(io.StringIO(cli.ok("person", "list", "--csv"))))
    assert sorted(r["key"] for r in rows) == sorted(["admin", *(p[0] for p in PEOPLE)])


def test_a_deactivated_person_is_kept_but_may_not_act(tmp_path: Path,
                                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    cli = seeded(tmp_path, tmp_path_factory)
    assert cli.ok("person", "deactivate", "--actor", "admin", "edu") == "deactivated edu\n"
    assert "edu" not in {r["key"] for r in json.loads(cli.ok("person", "list", "--json"))}
    everyone = {r["key"]: r for r in json.loads(cli.ok("person", "list", "--all", "--json"))}
    assert everyone["edu"]["active"] is False
    before = dump(cli.db)
    err = cli.fails(1, "item", "add", "wgbw-2015", "--title", "t", "--unit", "jyj", "--category",
                    "no-drive", "--source", "media", "--actor", "edu", "--as-of", "2015-08-03")
    assert "actor 'edu' has been deactivated" in err
    assert dump(cli.db) == before
    assert "unknown person 'ghost'" in cli.fails(1, "person", "deactivate", "--actor", "admin", "ghost")


def test_person_import_reads_chinese_headers_and_is_all_or_nothing(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "people.csv"
    good.write_text("编号,姓名,单位,角色,职务\nliu,刘洋,县教育局/办公室,unit-head,主任\n"
                    "chen,陈静,jw,discipline-inspection;supervision-office,\n", encoding="utf-8")
    assert cli.ok("person", "import", "--actor", "admin", str(good)) == "imported 2 person(s)\n"
    rows = {r["key"]: r for r in json.loads(cli.ok("person", "list", "--json"))}
    assert rows["chen"]["roles"] == "discipline-inspection supervision-office"
    bad = tmp_path / "bad.csv"
    bad.write_text("key,name,unit\nnew,新人,county\nsup,王伟,dcs\n", encoding="utf-8")
    before = dump(cli.db)
    err = cli.fails(1, "person", "import", "--actor", "admin", str(bad))
    assert "row 3: person 'sup' already exists" in err and "nothing was imported" in err
    assert dump(cli.db) == before
