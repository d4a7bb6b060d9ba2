"""Separation of duties by position in the unit tree, at any depth, through the CLI.

The tree has five levels, province → city → county → bureau → section, and the section holds
the items.  With ``rectifying_kinds: [department, township, bureau]`` the bureau rectifies
them: its people and the section's may not judge them; the county's 督查室 beside it, the
county, the city, the province and a sibling bureau may.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_common import WGBW, Cli, copy_db, dump

from campaigns.duties import ancestor_paths, rectifying_unit

AS_OF = "2015-08-12"
TREE = [  # code, title, parent, kind
    ("hb", "湖北省", "", "province"),
    ("jm", "荆门市", "hb", "city"),
    ("sy", "沙洋县", "jm", "county"),
    ("sy-dcs", "县“两办”督查室", "sy", "office"),
    ("czj", "县财政局", "sy", "bureau"),
    ("ysg", "预算股", "czj", "section"),
    ("jyj", "县教育局", "sy", "bureau"),
]
INSIDERS = {"czj-sup": "czj", "ysg-sup": "ysg"}  # the bureau that rectifies, and under it
OUTSIDERS = {"dcs-sup": "sy-dcs", "sy-sup": "sy", "jm-sup": "jm", "hb-sup": "hb",
             "jyj-sup": "jyj"}  # beside, above (three levels), and a sibling bureau
# trigger: the item's 状态 when imported, its extra options, the pair it ends in
TRIGGERS: dict[str, tuple[str, list[str], tuple[str, str]]] = {
    "verify": ("申请销号", [], ("closed", "verified")),
    "return": ("申请销号", ["--note", "佐证材料不足"], ("confirmed", "in_progress")),
    "reopen": ("已销号", ["--note", "回头看发现反弹"], ("confirmed", "in_progress")),
    "dismiss": ("待核实", ["--note", "经核实不属实"], ("dismissed", "cancelled")),
    "merge": ("待核实", [], ("merged", "cancelled")),
    "approve-extension": ("延期待批", ["--deadline", "2015-10-30"], ("confirmed", "in_progress")),
    "refuse-extension": ("延期待批", [], ("confirmed", "in_progress")),
}
PER_TRIGGER = 1 + len(OUTSIDERS)  # one item the insiders try, one for each outsider
INTO = "WGBW-2015-0001"  # merges point at the first item, which is never merged itself


def code(trigger: str, n: int) -> str:
    return f"WGBW-2015-{list(TRIGGERS).index(trigger) * PER_TRIGGER + n + 1:04d}"


def definition(tmp: Path, kinds: str | None) -> Path:
    """The shipped definition, with ``rectifying_kinds`` and a role that may also fire 'close'."""
    text = WGBW.read_text(encoding="utf-8")
    text = text.replace("reopen, merge]", "reopen, merge, close]", 1)
    if kinds is not None:
        text = text.replace("  code_prefix: WGBW\n",
                            f"  code_prefix: WGBW\n  rectifying_kinds: {kinds}\n", 1)
    path = tmp / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def county_tree(c: Cli, tmp: Path, tree: list[tuple[str, str, str, str]],
                people: dict[str, str], kinds: str | None, rows: list[tuple[str, str]]) -> None:
    """Units, people (every judge a supervision office), the campaign and its items (单位, 状态)."""
    c.ok("init", "--admin", "admin")
    (tmp / "units.csv").write_text("code,title,parent,kind\n" + "".join(
        f"{code},{title},{parent},{kind}\n" for code, title, parent, kind in tree), encoding="utf-8")
    c.ok("unit", "import", "--actor", "admin", str(tmp / "units.csv"))
    (tmp / "people.csv").write_text("key,name,unit,roles\n" f"lead,周部长,{tree[0][0]},lead-office\n"
                                    + "".join(f"{key},{key},{unit},supervision-office\n"
                                              for key, unit in people.items()), encoding="utf-8")
    c.ok("person", "import", "--actor", "admin", str(tmp / "people.csv"))
    c.ok("campaign", "start", str(definition(tmp, kinds)), "--start", "2015-07-01", "--actor", "lead")
    (tmp / "items.csv").write_text("序号,问题,单位,类别,来源,状态,整改措施,整改时限\n" + "".join(
        f"{n},问题{n},{unit},passive-attitude,public-report,{state},建立台账,2015-09-30\n"
        for n, (unit, state) in enumerate(rows, 1)), encoding="utf-8")
    c.ok("item", "import", "wgbw-2015", str(tmp / "items.csv"), "--actor", "lead",
         "--as-of", "2015-08-10")


_template: dict[Path, Path] = {}


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """A copy of the five-level county, built once: every trigger's items in their states."""
    base = tmp_path_factory.getbasetemp()
    if base not in _template:
        tmp = tmp_path_factory.mktemp("duties")
        rows = [("ysg", state) for state, _, _ in TRIGGERS.values() for _ in range(PER_TRIGGER)]
        county_tree(Cli(tmp / "seed.db"), tmp, TREE, INSIDERS | OUTSIDERS,
                    "[department, township, bureau]", rows)
        _template[base] = tmp / "seed.db"
    copy_db(_template[base], tmp_path / "rectify.db")
    return Cli(tmp_path / "rectify.db")


def command(trigger: str, item: str, actor: str) -> list[str]:
    extra = TRIGGERS[trigger][1]
    if trigger == "merge":
        return ["item", "merge", item, "--into", INTO, "--actor", actor, "--as-of", AS_OF]
    return ["item", "advance", trigger, item, *extra, "--actor", actor, "--as-of", AS_OF]


def why_not(cli: Cli, item: str, actor: str, trigger: str) -> str:
    rows = json.loads(cli.ok("item", "triggers", item, "--actor", actor, "--json", "--as-of", AS_OF))
    return str(next(r for r in rows if r["trigger"] == trigger)["why_not"])


def pairs(cli: Cli) -> dict[str, tuple[str, str, str]]:
    rows = json.loads(cli.ok("item", "list", "wgbw-2015", "--json", "--as-of", AS_OF))
    return {r["code"]: (r["state"], r["rectification"], r["deadline"]) for r in rows}


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_the_bureau_and_its_section_may_not_judge_the_sections_item(cli: Cli, trigger: str) -> None:
    item = code(trigger, 0)
    before = dump(cli.db)
    for actor in INSIDERS:
        err = cli.fails(1, *command(trigger, item, actor))
        assert f"'{actor}' belongs to the item's own unit 'czj' (the unit that rectifies it)" in err
        assert "[actor_not_in_unit]" in err and "holds no role" not in err
        assert "[actor_not_in_unit]" in why_not(cli, item, actor, trigger)
    assert dump(cli.db) == before  # a refused command changes nothing


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_units_above_and_beside_the_bureau_may(cli: Cli, trigger: str) -> None:
    start = pairs(cli)
    for n, actor in enumerate(OUTSIDERS, 1):
        assert why_not(cli, code(trigger, n), actor, trigger) == ""
        cli.ok(*command(trigger, code(trigger, n), actor))
    after = pairs(cli)
    deadline = "2015-10-30" if trigger == "approve-extension" else "2015-09-30"
    for n in range(1, PER_TRIGGER):
        if trigger in ("return", "reopen"):  # a new deadline, from the definition's default
            *states, new = after[code(trigger, n)]
            assert tuple(states) == TRIGGERS[trigger][2] and new > AS_OF
        else:
            assert after[code(trigger, n)] == (*TRIGGERS[trigger][2], deadline)
    assert after[code(trigger, 0)] == start[code(trigger, 0)]


def test_close_is_guarded_too(cli: Cli) -> None:
    """'close' follows 'verify' on its own; its guard says the same as verify's."""
    item = code("verify", 0)
    for actor in INSIDERS:
        assert "[actor_not_in_unit]" in why_not(cli, item, actor, "close")
    for actor in OUTSIDERS:
        reasons = why_not(cli, item, actor, "close")
        assert reasons == "its rectification is 'submitted', not finished [rectification_done]"
    cli.ok("item", "advance", "verify", code("verify", 1), "--actor", "dcs-sup", "--as-of", AS_OF)
    history = json.loads(cli.ok("item", "show", code("verify", 1), "--json", "--as-of", AS_OF))
    closing = [e for e in history["history"] if e["trigger"] == "close"]
    assert [(e["actor"], e["to"]) for e in closing] == [("dcs-sup", "closed")]


def test_a_county_office_under_a_city_verifies_its_departments_item(tmp_path: Path) -> None:
    """The shipped definition as it is (default kinds) in a city → county → department tree.

    Before the rule followed kinds, "the item's own unit" was the second level of the tree,
    here the whole county, so its 督查室 could not verify a department's item.
    """
    tree = [("jm", "荆门市", "", "city"), ("sy", "沙洋县", "jm", "county"),
            ("sy-dcs", "县“两办”督查室", "sy", "office"), ("czj", "县财政局", "sy", "department"),
            ("czj-bgs", "办公室", "czj", "office")]
    people = {"dcs-sup": "sy-dcs", "czj-sup": "czj-bgs"}
    c = Cli(tmp_path / "city.db")
    county_tree(c, tmp_path, tree, people, None, [("czj-bgs", "申请销号")] * 2)
    assert c.ok("item", "advance", "verify", "WGBW-2015-0001", "--actor", "dcs-sup",
                "--as-of", AS_OF) == ("WGBW-2015-0001: verify submitted → verified; "
                                      "close confirmed → closed (automatic)\n")
    err = c.fails(1, "item", "advance", "verify", "WGBW-2015-0002", "--actor", "czj-sup",
                  "--as-of", AS_OF)
    assert "'czj-sup' belongs to the item's own unit 'czj'" in err


def test_the_rule_on_postgresql(pg_db_url: str, tmp_path: Path) -> None:
    c = Cli(pg_db_url)  # type: ignore[arg-type]
    county_tree(c, tmp_path, TREE, INSIDERS | OUTSIDERS, "[department, township, bureau]",
                [("ysg", "申请销号")] * 2)
    err = c.fails(1, "item", "advance", "verify", "WGBW-2015-0001", "--actor", "ysg-sup",
                  "--as-of", AS_OF)
    assert "'ysg-sup' belongs to the item's own unit 'czj'" in err
    c.ok("item", "advance", "verify", "WGBW-2015-0002", "--actor", "sy-sup", "--as-of", AS_OF)


def test_rectifying_kinds_must_be_strings(tmp_path: Path) -> None:
    c = Cli(tmp_path / "unused.db")
    bad = definition(tmp_path, "[bureau, 3]")
    out = c.invoke("validate", str(bad), db=False)
    assert out.exit_code == 1
    line = next(n for n, text in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1)
                if "rectifying_kinds" in text)
    assert f"campaign.yaml:{line}:" in out.output
    assert "3 is not text (at campaign.rectifying_kinds[1])" in out.output
    assert "rectify" in c.invoke("validate", str(definition(tmp_path, "[局, bureau]")),
                                 db=False).output  # kinds no unit has yet are fine


# --- the rule itself ---------------------------------------------------------------------------


FIVE = "/hb/jm/sy/czj/ysg"
KINDS = ("province", "city", "county", "bureau", "section")


@pytest.mark.parametrize("kinds, known, owner", [
    ({"bureau"}, KINDS, "/hb/jm/sy/czj"),  # the nearest listed kind above the section
    ({"section", "bureau"}, KINDS, FIVE),  # the item's own unit, when its kind is listed
    ({"county", "bureau"}, KINDS, "/hb/jm/sy/czj"),  # nearest wins over higher
    ({"county"}, KINDS, "/hb/jm/sy"),
    ({"department"}, KINDS, "/hb/jm"),  # no listed kind on the way up: below the top
    ({"bureau"}, (), "/hb/jm"),  # kinds not known: the same, the stricter choice
    ({"bureau"}, ("province", None, None, None, None), "/hb/jm"),  # units without a kind
])
def test_rectifying_unit(kinds: set[str], known: tuple[str | None, ...], owner: str) -> None:
    assert rectifying_unit(FIVE, known, frozenset(kinds)) == owner


def test_the_fallback_for_an_item_of_the_top_unit_is_the_top() -> None:
    assert rectifying_unit("/county", ("county",), frozenset({"bureau"})) == "/county"
    assert ancestor_paths("/a/b") == ["/a", "/a/b"] and ancestor_paths("") == []
