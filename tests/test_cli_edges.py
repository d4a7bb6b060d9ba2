"""The edges of the command line, alike in every command: a filter value that names nothing is
a usage error (2) with the closest known values; a wrong output extension is a usage error (2)
and an output folder that is not there an environment problem (4) in every command that writes
a file; an unknown item code gets the closest codes of the campaign its prefix names. And the
outputs cut for one unit (``--unit``) count that unit's subtree only."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_cli_common import CAMPAIGN, Cli, dump, seeded

USAGE, INVALID, ENVIRONMENT = 2, 1, 4


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A campaign with items in three units: two under 县财政局 (czj), one under 县教育局."""
    folder = tmp_path_factory.mktemp("edges")
    cli = seeded(folder, tmp_path_factory)
    codes = {"czj": cli.closed(unit="czj"), "czj-bgs": cli.planned(unit="czj-bgs"),
             "jyj": cli.confirmed(unit="jyj")}
    return cli.db, codes


@pytest.fixture
def cli(county: tuple[Path, dict[str, str]], tmp_path: Path) -> Cli:
    from test_cli_common import copy_db

    copy_db(county[0], tmp_path / "rectify.db")
    return Cli(tmp_path / "rectify.db")


# --- filter values that name nothing: 2, with the closest known values --------------------------

FILTERS = [
    (["item", "list", CAMPAIGN, "--state", "closd"], "unknown state 'closd' for --state",
     "did you mean 'closed'"),
    (["item", "list", CAMPAIGN, "--state", "已销"], "unknown state '已销' for --state", "已销号"),
    (["item", "list", CAMPAIGN, "--category", "passive-atitude"], "unknown category", "passive-attitude"),
    (["item", "list", CAMPAIGN, "--escalation", "supervise"], "unknown escalation level",
     "supervision"),
    (["item", "list", CAMPAIGN, "--unit", "县财正局"], "unknown unit '县财正局'", "县财政局"),
    (["notices", CAMPAIGN, "--level", "remnd"], "unknown escalation level 'remnd' for --level",
     "remind"),
    (["notices", CAMPAIGN, "--kind", "stages"], "unknown notice kind 'stages' for --kind", "'stage'"),
    (["notices", CAMPAIGN, "--unit", "czjj"], "unknown unit 'czjj'", "czj"),
    (["person", "list", "--unit", "jyjj"], "unknown unit 'jyjj'", "jyj"),
    (["diagram", CAMPAIGN, "--unit", "czjj", "-o", "-"], "unknown unit 'czjj'", "czj"),
    (["report", CAMPAIGN, "--month", "2015-08", "--unit", "czjj", "-o", "r.md"], "unknown unit", "czj"),
    (["board", CAMPAIGN, "--unit", "czjj", "-o", "b.html"], "unknown unit", "czj"),
    (["dashboard", CAMPAIGN, "--unit", "czjj", "-o", "d.html"], "unknown unit", "czj"),
    (["ledger", CAMPAIGN, "--unit", "czjj", "-o", "l.csv"], "unknown unit", "czj"),
]


@pytest.mark.parametrize(("args", "names", "suggests"), FILTERS, ids=[" ".join(f[0][:3]) + " " + f[0][-1]
                                                                      for f in FILTERS])
def test_unknown_filter_values(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               args: list[str], names: str, suggests: str) -> None:
    monkeypatch.chdir(tmp_path)
    before = dump(cli.db)
    err = cli.fails(USAGE, *args, "--as-of", "2015-08-31") if args[0] != "person" else \
        cli.fails(USAGE, *args)
    assert names in err.splitlines()[0], err
    assert "hint:" in err and suggests in err, err
    assert dump(cli.db) == before
    assert not list(tmp_path.glob("[rbdl].*")), "nothing is written"


# --- output files: the same exit code for the same mistake in every command -------------------

OUTPUTS = [
    (["ledger", CAMPAIGN], "xlsx", "pdf", "a ledger"),
    (["report", CAMPAIGN, "--month", "2015-08"], "md", "pdf", "a report"),
    (["board", CAMPAIGN], "html", "md", "a board"),
    (["dashboard", CAMPAIGN], "html", "txt", "a dashboard"),
    (["diagram", CAMPAIGN], "dot", "jpg", "a diagram"),
]


@pytest.mark.parametrize(("args", "good", "bad", "what"), OUTPUTS, ids=[o[0][0] for o in OUTPUTS])
def test_a_wrong_extension_is_a_usage_error_everywhere(cli: Cli, tmp_path: Path, args: list[str],
                                                       good: str, bad: str, what: str) -> None:
    out = tmp_path / f"x.{bad}"
    err = cli.fails(USAGE, *args, "-o", str(out), "--as-of", "2015-08-31")
    assert f"cannot write {what} to '{out}': it has extension .{bad}; give a file ending in ." in err
    assert not out.exists()
    err = cli.fails(USAGE, *args, "-o", str(tmp_path / "x"), "--as-of", "2015-08-31")
    assert "it has no extension" in err


@pytest.mark.parametrize(("args", "good", "bad", "what"), OUTPUTS, ids=[o[0][0] for o in OUTPUTS])
def test_a_missing_folder_is_an_environment_problem_everywhere(cli: Cli, tmp_path: Path,
                                                               args: list[str], good: str, bad: str,
                                                               what: str) -> None:
    out = tmp_path / "no" / "such" / f"x.{good}"
    err = cli.fails(ENVIRONMENT, *args, "-o", str(out), "--as-of", "2015-08-31")
    assert err.startswith(f"Error: cannot write or read {out}: No such file or directory"), err
    assert "hint: check the folder exists and may be written" in err


# --- unknown item codes: the closest codes of the right campaign ------------------------------


@pytest.mark.parametrize("command", [
    ["item", "show"], ["item", "triggers", "--actor", "sup"],
    ["item", "advance", "confirm", "--actor", "sup"],
    ["item", "rectify", "--measures", "m", "--actor", "head"],
    ["item", "undo", "--note", "n", "--actor", "lead"],
])
def test_unknown_codes_get_the_closest_codes(cli: Cli, county: tuple[Path, dict[str, str]],
                                             command: list[str]) -> None:
    codes = county[1]
    args = [*command[:2], *([command[2]] if command[1] == "advance" else []), "WGBW-2015-0004",
            *[a for a in command[2:] if a != "confirm"]]
    err = cli.fails(INVALID, *args, "--as-of", "2015-08-31")
    assert err.splitlines()[0] == "Error: unknown item code: WGBW-2015-0004"
    hint = err.splitlines()[-1]
    assert f"closest codes of campaign '{CAMPAIGN}': " in hint and "(numbered 1 to 3)" in hint
    assert hint.index(codes["jyj"]) < hint.index(codes["czj-bgs"])  # nearest number first


def test_a_code_in_small_letters_or_of_a_mistyped_prefix(cli: Cli,
                                                         county: tuple[Path, dict[str, str]]) -> None:
    code = county[1]["czj"]
    err = cli.fails(INVALID, "item", "show", code.lower())
    assert f"closest codes of campaign '{CAMPAIGN}': {code}" in err
    err = cli.fails(INVALID, "item", "show", code.replace("WGBW", "WGBV"))
    assert f"did you mean campaign '{CAMPAIGN}' (WGBW-2015-…)?" in err
    err = cli.fails(INVALID, "item", "show", "nonsense")
    assert "codes look like" in err


# --- outputs cut for one unit ------------------------------------------------------------------


def test_a_units_report_holds_only_its_subtree(cli: Cli, county: tuple[Path, dict[str, str]],
                                               tmp_path: Path) -> None:
    codes = county[1]
    whole, cut = tmp_path / "all.md", tmp_path / "czj.md"
    cli.ok("report", CAMPAIGN, "--month", "2015-08", "-o", str(whole), "--as-of", "2015-08-31")
    cli.ok("report", CAMPAIGN, "--month", "2015-08", "--unit", "县财政局", "-o", str(cut),
           "--as-of", "2015-08-31")
    everything, mine = whole.read_text(encoding="utf-8"), cut.read_text(encoding="utf-8")
    assert all(c in everything for c in codes.values())
    assert codes["czj"] in mine and codes["czj-bgs"] in mine and codes["jyj"] not in mine
    assert "问题总数 3 条" in everything and "问题总数 2 条，已销号 1 条，销号率 50.0%" in mine
    assert mine.startswith("# 开展“为官不为”行为专项治理（某县/县财政局） 2015年8月工作月报")
    assert "县教育局" not in mine.split("## 七")[1].split("##")[0]  # the ranking: its own units


def test_a_units_board_dashboard_ledger_and_diagram(cli: Cli, county: tuple[Path, dict[str, str]],
                                                    tmp_path: Path) -> None:
    codes = county[1]
    board = tmp_path / "b.html"
    assert cli.ok("board", CAMPAIGN, "--unit", "jyj", "-o", str(board), "--as-of", "2015-08-31") == \
        f"wrote {board}: 1 item(s) disclosed\n"
    page = board.read_text(encoding="utf-8")
    assert "（某县/县教育局）整改情况公示" in page and "县财政局" not in page
    dash = tmp_path / "d.html"
    cli.ok("dashboard", CAMPAIGN, "--unit", "czj", "-o", str(dash), "--as-of", "2015-08-31")
    text = dash.read_text(encoding="utf-8")
    assert re.search(r"问题总数<b>2</b>", text) and re.search(r"已销号<b>1</b>", text)
    assert "某县/县财政局 · 工作看板" in text
    ledger = tmp_path / "l.csv"
    assert cli.ok("ledger", CAMPAIGN, "--unit", "czj", "-o", str(ledger), "--as-of", "2015-08-31") == \
        f"wrote {ledger}: 2 item(s)\n"
    rows = ledger.read_text(encoding="utf-8-sig")
    assert codes["czj"] in rows and codes["jyj"] not in rows
    # a stage diagram cut for a unit counts its items in each stage; the windows are the campaign's
    whole = cli.ok("diagram", CAMPAIGN, "--kind", "stages", "-o", "-", "--as-of", "2015-08-31")
    mine = cli.ok("diagram", CAMPAIGN, "--kind", "stages", "--unit", "jyj", "-o", "-", "--as-of",
                  "2015-08-31")
    assert "found 3 · open 2" in whole and "found 1 · open 1" in mine
    assert "unit 某县/县教育局 and below" in mine
    items = json.loads(cli.ok("item", "list", CAMPAIGN, "--unit", "czj", "--json"))
    assert sorted(i["code"] for i in items) == sorted([codes["czj"], codes["czj-bgs"]])


def test_a_units_report_counts_only_its_notices(cli: Cli, tmp_path: Path) -> None:
    cli.ok("tick", CAMPAIGN, "--as-of", "2015-10-20")  # the planned item of 县财政局/办公室 escalates
    mine, other = tmp_path / "czj.md", tmp_path / "jyj.md"
    cli.ok("report", CAMPAIGN, "--month", "2015-10", "--unit", "czj", "-o", str(mine), "--as-of",
           "2015-10-31")
    cli.ok("report", CAMPAIGN, "--month", "2015-10", "--unit", "jyj", "-o", str(other), "--as-of",
           "2015-10-31")
    assert "## 六、本月督办情况（1 件）" in mine.read_text(encoding="utf-8")
    assert "## 六、本月督办情况（0 件）" in other.read_text(encoding="utf-8")
