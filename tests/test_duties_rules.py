"""Duties as rules (docs/definitions.md, "Duties"): one test per rule, through the CLI.

The seed (tests/test_cli_common.py) has 县财政局 (czj) with its head and a clerk in its office,
the 督查室 (dcs) with a supervisor, 纪委 (jw), the lead office (zzb) and 县教育局 (jyj).  Every
refusal is checked for its text and for leaving the database as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_common import CAMPAIGN, WGBW, Cli, dump, scalar, seeded

DAY = "2015-08-03"


@pytest.fixture
def c(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


def refused(c: Cli, *args: str) -> str:
    """Run a command that the duties refuse (exit 1); it must change nothing."""
    before = dump(c.db)
    err = c.fails(1, *args)
    assert dump(c.db) == before
    return err


def person(c: Cli, key: str, unit: str, *roles: str) -> None:
    c.ok("person", "add", key, "--name", key, "--unit", unit,
         *[a for r in roles for a in ("--role", r)], "--actor", "admin")


def advance(trigger: str, code: str, actor: str, *extra: str) -> list[str]:
    return ["item", "advance", trigger, code, "--actor", actor, "--as-of", DAY, *extra]


def unit_of(c: Cli, code: str) -> str:
    rows = json.loads(c.ok("item", "list", CAMPAIGN, "--json", "--as-of", DAY))
    return str(next(r for r in rows if r["code"] == code)["unit"])


# --- sides ---------------------------------------------------------------------------------------


def test_one_person_on_both_sides_cannot_carry_an_item_alone(c: Cli) -> None:
    person(c, "both-czj", "czj", "unit-head", "supervision-office")
    person(c, "both-dcs", "dcs", "unit-head", "supervision-office")
    code = c.add_item()
    c.ok(*advance("confirm", code, "both-czj"))
    # outside the unit: may judge, but not do the unit's work
    err = refused(c, "item", "rectify", code, "--measures", "台账", "--deadline", "2015-09-30",
                  "--actor", "both-dcs", "--as-of", DAY)
    assert "'both-dcs' is not in the unit that rectifies the item ('czj')" in err
    assert "[actor_in_unit]" in err
    # inside the unit: may do the work, but not judge it
    c.ok("item", "rectify", code, "--measures", "台账", "--deadline", "2015-09-30",
         "--actor", "both-czj", "--as-of", DAY)
    c.ok(*advance("submit", code, "both-czj"))
    err = refused(c, *advance("verify", code, "both-czj"))
    assert "[actor_not_in_unit]" in err and "[actor_not_submitter]" in err


def test_a_role_acts_only_for_its_side(c: Cli, tmp_path: Path) -> None:
    """A definition that lists 'defer' and 'verify' under the unit head gives it neither."""
    text = WGBW.read_text(encoding="utf-8").replace(
        "    side: rectifying\n    triggers: [confirm, plan, submit, request-extension]",
        "    side: rectifying\n    triggers: [confirm, plan, submit, request-extension, defer, verify]")
    assert "defer, verify]" in text
    (tmp_path / "loose.yaml").write_text(text.replace("key: wgbw-2015", "key: loose-2015")
                                         .replace("code_prefix: WGBW", "code_prefix: LOOSE"),
                                         encoding="utf-8")
    c.ok("campaign", "start", str(tmp_path / "loose.yaml"), "--start", "2015-07-01",
         "--actor", "lead")
    code = c.ok("item", "add", "loose-2015", "--title", "窗口推诿", "--unit", "jyj", "--category",
                "passive-attitude", "--source", "inspection", "--actor", "lead",
                "--as-of", DAY).strip()
    c.ok(*advance("confirm", code, "edu"))
    c.ok("item", "rectify", code, "--measures", "台账", "--deadline", "2015-09-30",
         "--actor", "edu", "--as-of", DAY)
    err = refused(c, *advance("defer", code, "edu", "--note", "长期"))
    assert ("actor 'edu' lists it only in role(s) acting for another side (unit-head); "
            "it needs a role of side office") in err and "[role]" in err
    c.ok(*advance("submit", code, "edu"))
    err = refused(c, *advance("verify", code, "head"))  # another unit, still the wrong side
    assert "it needs a role of side office, supervising" in err


def test_deferring_to_long_term_needs_the_office(c: Cli) -> None:
    code = c.planned()
    err = refused(c, *advance("defer", code, "head", "--note", "需建立长效机制"))
    assert "actor 'head' holds no role that may fire it (roles that may: lead-office)" in err
    err = refused(c, *advance("defer", code, "sup", "--note", "需建立长效机制"))
    assert "roles that may: lead-office" in err
    c.ok(*advance("defer", code, "lead", "--note", "需建立长效机制"))


def test_roles_default_to_a_side_and_an_unknown_side_is_located(tmp_path: Path) -> None:
    from engine.core.loader import loads

    text = WGBW.read_text(encoding="utf-8")
    plain = text.replace("    side: rectifying\n", "").replace("    side: supervising\n", "") \
        .replace("    side: office\n", "")
    d = loads(plain)
    assert {k: r.side for k, r in d.roles.items()} == {
        "unit-head": "rectifying", "supervision-office": "supervising",
        "discipline-inspection": "supervising", "lead-office": "office", "liaison": "rectifying"}
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace("    side: office\n", "    side: mayor\n"), encoding="utf-8")
    out = Cli(tmp_path / "x.db").invoke("validate", str(path), db=False).output
    line = text.splitlines().index("    side: office") + 1
    assert f"bad.yaml:{line}:" in out and "role 'lead-office' acts for unknown side 'mayor'" in out


# --- persons -------------------------------------------------------------------------------------


def test_the_person_responsible_may_not_judge(c: Cli) -> None:
    code = c.confirmed()
    c.ok("item", "rectify", code, "--measures", "台账", "--deadline", "2015-09-30",
         "--person", "sup", "--leader", "jw-zhao", "--actor", "head", "--as-of", DAY)
    err = refused(c, "item", "merge", code, "--into", c.add_item(), "--actor", "sup",
                  "--as-of", DAY)
    assert "'sup' is the item's 责任人; who answers for the work may not judge it" in err
    c.ok(*advance("submit", code, "head"))
    err = refused(c, *advance("verify", code, "sup"))
    assert "'sup' is the item's 责任人" in err and "[actor_not_responsible]" in err
    err = refused(c, *advance("return", code, "jw-zhao", "--note", "不彻底"))
    assert "'jw-zhao' is the item's 责任领导" in err
    shown = json.loads(c.ok("item", "triggers", code, "--actor", "sup", "--json", "--as-of", DAY))
    assert "[actor_not_responsible]" in next(r for r in shown if r["trigger"] == "verify")["why_not"]
    person(c, "sup2", "dcs", "supervision-office")
    c.ok(*advance("verify", code, "sup2"))


def test_the_person_responsible_may_not_dismiss_an_imported_report(c: Cli, tmp_path: Path) -> None:
    (tmp_path / "items.csv").write_text(
        "序号,问题,单位,类别,来源,整改时限,责任人\n1,窗口推诿,czj,passive-attitude,public-report,"
        "2015-09-30,sup\n", encoding="utf-8")
    c.ok("item", "import", CAMPAIGN, str(tmp_path / "items.csv"), "--actor", "lead",
         "--as-of", DAY)
    code = "WGBW-2015-0001"
    err = refused(c, *advance("dismiss", code, "sup", "--note", "不属实"))
    assert "'sup' is the item's 责任人" in err
    c.ok(*advance("dismiss", code, "jw-zhao", "--note", "不属实"))


def test_who_submitted_may_not_judge(c: Cli) -> None:
    """Isolated from the unit rule: the submitter's item moves to another unit, then they judge."""
    person(c, "both-czj", "czj", "unit-head", "supervision-office")
    code = c.confirmed()
    c.ok("item", "rectify", code, "--measures", "台账", "--deadline", "2015-09-30",
         "--actor", "both-czj", "--as-of", DAY)
    c.ok(*advance("submit", code, "both-czj"))
    c.ok("item", "move", code, "--to", "jyj", "--note", "职责划归教育局", "--actor", "lead",
         "--as-of", DAY)
    for trigger, extra in (("verify", []), ("return", ["--note", "不彻底"])):
        err = refused(c, *advance(trigger, code, "both-czj", *extra))
        assert "'both-czj' submitted it for closing; someone else must judge it" in err
        assert "[actor_not_in_unit]" not in err and "[actor_not_submitter]" in err
    c.ok(*advance("verify", code, "sup"))


def test_an_office_may_not_dismiss_or_merge_reports_about_its_own_unit(c: Cli) -> None:
    about_dcs = c.add_item(title="督查室作风漂浮", unit="dcs", actor="lead")
    other = c.add_item(title="督查室作风漂浮（重复）", unit="dcs", actor="lead")
    err = refused(c, *advance("dismiss", about_dcs, "sup", "--note", "不属实"))
    assert "'sup' belongs to the item's own unit 'dcs'" in err
    err = refused(c, "item", "merge", other, "--into", about_dcs, "--actor", "sup", "--as-of", DAY)
    assert "'sup' belongs to the item's own unit 'dcs'" in err
    c.ok("item", "merge", other, "--into", about_dcs, "--actor", "jw-zhao", "--as-of", DAY)
    c.ok(*advance("dismiss", about_dcs, "jw-zhao", "--note", "不属实"))


# --- edits and moves -----------------------------------------------------------------------------


def test_each_field_of_an_edit_needs_a_role_allowed_to_correct_it(c: Cli) -> None:
    code = c.planned()
    err = refused(c, "item", "edit", code, "--title", "改过的标题", "--actor", "head", "--as-of", DAY)
    assert ("'head' holds no role that may correct 'title' "
            "(roles that may: supervision-office, discipline-inspection, lead-office)") in err
    err = refused(c, "item", "edit", code, "--measures", "别的措施", "--actor", "edu", "--as-of", DAY)
    assert "'edu' may correct 'measures' only on items of its own unit 'czj'" in err
    err = refused(c, "item", "edit", code, "--measures", "别的措施", "--actor", "sup", "--as-of", DAY)
    assert "'sup' holds no role that may correct 'measures'" in err
    c.ok("item", "edit", code, "--measures", "别的措施", "--actor", "head", "--as-of", DAY)
    c.ok("item", "edit", code, "--title", "改过的标题", "--actor", "sup", "--as-of", DAY)
    c.ok("item", "edit", code, "--title", "再改", "--target", "办结", "--actor", "lead", "--as-of", DAY)
    err = refused(c, "item", "edit", code, "--unit", "jyj", "--actor", "lead", "--as-of", DAY)
    assert "rectify item move CODE --to UNIT" in err


def test_a_definition_may_say_which_fields_a_role_edits(c: Cli, tmp_path: Path) -> None:
    text = WGBW.read_text(encoding="utf-8").replace(
        "    side: rectifying\n", "    side: rectifying\n    edits: [title, measures]\n", 1)
    (tmp_path / "e.yaml").write_text(text.replace("key: wgbw-2015", "key: e-2015")
                                     .replace("code_prefix: WGBW", "code_prefix: EDITS"),
                                     encoding="utf-8")
    c.ok("campaign", "start", str(tmp_path / "e.yaml"), "--start", "2015-07-01", "--actor", "lead")
    code = c.ok("item", "add", "e-2015", "--title", "窗口推诿", "--unit", "czj", "--category",
                "passive-attitude", "--source", "inspection", "--actor", "lead",
                "--as-of", DAY).strip()
    c.ok("item", "edit", code, "--title", "窗口推诿扯皮", "--actor", "head", "--as-of", DAY)
    err = refused(c, "item", "edit", code, "--target", "办结", "--actor", "head", "--as-of", DAY)
    assert "'head' holds no role that may correct 'target'" in err


def test_moving_an_item_is_the_offices_own_recorded_step(c: Cli) -> None:
    code = c.planned()
    for actor in ("head", "sup"):
        err = refused(c, "item", "move", code, "--to", "jyj", "--note", "划转", "--actor", actor,
                      "--as-of", DAY)
        assert f"'{actor}' holds no role of side office" in err
    err = c.fails(1, "item", "move", code, "--to", "jyj", "--actor", "lead", "--as-of", DAY)
    assert "needs a reason" in err
    assert c.ok("item", "move", code, "--to", "jyj", "--note", "职责划归教育局", "--actor", "lead",
                "--as-of", DAY) == f"{code}: moved from czj-bgs to jyj\n"
    assert unit_of(c, code) == "县教育局"
    assert scalar(c.db, "SELECT count(*) FROM events WHERE trigger = 'move' AND actor = 'lead' "
                        "AND machine = 'record'") == 1
    # the old unit now may judge, the new one does the work
    c.ok(*advance("submit", code, "edu"))
    c.ok(*advance("verify", code, "sup-czj"))  # in 县财政局's office: refused before the move
    c.ok("audit", "verify", CAMPAIGN)


def test_an_import_may_not_correct_what_its_actor_may_not(c: Cli, tmp_path: Path) -> None:
    rows = "序号,问题,单位,类别,来源,整改时限\n1,窗口推诿,czj,passive-attitude,public-report,2015-09-30\n"
    (tmp_path / "a.csv").write_text(rows, encoding="utf-8")
    c.ok("item", "import", CAMPAIGN, str(tmp_path / "a.csv"), "--actor", "lead", "--as-of", DAY)
    (tmp_path / "b.csv").write_text(rows.replace("窗口推诿", "窗口推诿扯皮"), encoding="utf-8")
    err = refused(c, "item", "import", CAMPAIGN, str(tmp_path / "b.csv"), "--update",
                  "--actor", "head", "--as-of", DAY)
    assert "'head' holds no role that may correct 'title'" in err
    c.ok("item", "import", CAMPAIGN, str(tmp_path / "b.csv"), "--update", "--actor", "lead",
         "--as-of", DAY)


# --- people and units ----------------------------------------------------------------------------


def test_people_and_units_change_only_by_an_administrator(c: Cli, tmp_path: Path) -> None:
    args = ("person", "add", "mint", "--name", "冒名", "--role", "lead-office")
    err = refused(c, *args)
    assert "people and units are changed only by an administrator" in err
    assert "rectify init --admin KEY --name NAME" in err
    err = refused(c, *args, "--actor", "lead")
    assert "'lead' is not an administrator (role 'admin')" in err
    refused(c, "unit", "add", "x", "--title", "某办", "--actor", "head")
    (tmp_path / "p.csv").write_text("key,name\nmint,冒名\n", encoding="utf-8")
    refused(c, "person", "import", str(tmp_path / "p.csv"), "--actor", "sup")
    (tmp_path / "u.csv").write_text("code,title\nx,某办\n", encoding="utf-8")
    refused(c, "unit", "import", str(tmp_path / "u.csv"))
    refused(c, "person", "deactivate", "head", "--actor", "lead")
    before = scalar(c.db, "SELECT count(*) FROM site_events")
    c.ok(*args, "--actor", "admin")
    c.ok("unit", "add", "x", "--title", "某办", "--actor", "admin")
    c.ok("person", "deactivate", "head", "--actor", "admin")
    assert scalar(c.db, "SELECT count(*) FROM site_events") == before + 3
    assert scalar(c.db, "SELECT group_concat(trigger || ':' || actor) FROM (SELECT * FROM "
                        "site_events ORDER BY id DESC LIMIT 3)") == \
        "deactivate:admin,add:admin,add:admin"
    assert scalar(c.db, "SELECT version FROM people WHERE key = 'head'") == 1
    err = c.fails(1, "person", "deactivate", "head", "--actor", "admin")
    assert "already deactivated" in err


def test_init_creates_the_first_administrator_once(tmp_path: Path) -> None:
    c = Cli(tmp_path / "r.db")
    assert c.ok("init", "--admin", "root", "--name", "管理员").endswith("administrator root added\n")
    assert c.ok("init", "--admin", "root").endswith("administrator root exists\n")
    before = dump(c.db)
    result = c.invoke("init", "--admin", "other")
    assert result.exit_code == 1 and dump(c.db) == before
    assert "the site already has an administrator (root)" in result.stderr
    assert scalar(c.db, "SELECT actor || ':' || trigger FROM site_events "
                        "WHERE subject_key = 'root'") == "root:add"
    c.ok("person", "add", "second", "--name", "二号", "--role", "admin", "--actor", "root")
    c.ok("person", "add", "third", "--name", "三号", "--actor", "second")
