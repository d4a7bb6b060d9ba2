"""``rectify campaign``: start, list, status and advance through the stages."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from test_cli_common import CAMPAIGN, WGBW, Cli, dump, scalar, seeded


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory)


@pytest.fixture
def bare(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return seeded(tmp_path, tmp_path_factory, campaign=False)


def stages(cli: Cli, as_of: str = "2015-12-31") -> dict[str, str]:
    data = json.loads(cli.ok("campaign", "status", CAMPAIGN, "--json", "--as-of", as_of))
    return {s["key"]: s["state"] for s in data["stages"]}


def advance(cli: Cli, as_of: str, *args: str, actor: str = "lead") -> list[str]:
    return cli.ok("campaign", "advance", CAMPAIGN, "--actor", actor, "--as-of", as_of,
                  *args).splitlines()


# --- start and list ---------------------------------------------------------------------------


def test_start_prints_the_campaign_and_opens_its_first_stage(bare: Cli) -> None:
    assert bare.ok("campaign", "start", str(WGBW), "--start", "2015-07-01", "--actor", "lead") == \
        "started wgbw-2015 (开展“为官不为”行为专项治理) on 2015-07-01\n"
    assert stages(bare) == {"mobilize": "open", "self-inspect": "pending", "supervise": "pending",
                            "institutionalize": "pending"}


def test_start_keeps_the_definition_text(bare: Cli, tmp_path: Path) -> None:
    copy = tmp_path / "wgbw.yaml"
    copy.write_text(WGBW.read_text(encoding="utf-8"), encoding="utf-8")
    bare.ok("campaign", "start", str(copy), "--start", "2015-07-01", "--actor", "lead")
    copy.write_text("changed later\n", encoding="utf-8")  # the stored snapshot is what counts
    assert scalar(bare.db, "SELECT definition_text FROM campaigns") == WGBW.read_text(encoding="utf-8")
    bare.ok("campaign", "status", CAMPAIGN, "--as-of", "2015-07-02")


def test_a_second_campaign_needs_its_own_key(cli: Cli) -> None:
    before = dump(cli.db)
    err = cli.fails(1, "campaign", "start", str(WGBW), "--start", "2016-07-01", "--actor", "lead")
    assert "campaign 'wgbw-2015' already exists" in err and "--key" in err
    assert dump(cli.db) == before
    assert cli.ok("campaign", "start", str(WGBW), "--start", "2016-07-01", "--key", "wgbw-2016",
                  "--actor", "lead").startswith("started wgbw-2016 ")


def test_start_refuses_what_it_cannot_read(bare: Cli, tmp_path: Path) -> None:
    before = dump(bare.db)
    err = bare.fails(1, "campaign", "start", str(tmp_path / "missing.yaml"), "--start", "2015-07-01",
                     "--actor", "lead")
    assert "missing.yaml" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: 1\ncampaign: {key: x}\n", encoding="utf-8")
    err = bare.fails(1, "campaign", "start", str(broken), "--start", "2015-07-01", "--actor", "lead")
    assert "broken.yaml:" in err
    assert "is not a date" in bare.fails(1, "campaign", "start", str(WGBW), "--start", "7/1/2015",
                                         "--actor", "lead")
    assert "--actor is required" in bare.fails(1, "campaign", "start", str(WGBW), "--start",
                                               "2015-07-01")
    assert dump(bare.db) == before


def test_campaign_list_table_json_csv(cli: Cli) -> None:
    table = cli.ok("campaign", "list").splitlines()
    assert table[0].split() == ["key", "title", "start", "stages", "status"]
    assert table[2].split() == ["wgbw-2015", "开展“为官不为”行为专项治理", "2015-07-01", "mobilize",
                                "running"]
    assert json.loads(cli.ok("campaign", "list", "--json")) == [
        {"key": "wgbw-2015", "title": "开展“为官不为”行为专项治理", "start": "2015-07-01",
         "stages": "mobilize", "status": "running"}]
    rows = list(csv.DictReader(io.StringIO(cli.ok("campaign", "list", "--csv"))))
    assert rows == [{"key": "wgbw-2015", "title": "开展“为官不为”行为专项治理", "start": "2015-07-01",
                     "stages": "mobilize", "status": "running"}]


def test_campaign_list_of_an_empty_database(bare: Cli) -> None:
    assert bare.ok("campaign", "list") == "(none)\n"
    assert json.loads(bare.ok("campaign", "list", "--json")) == []


# --- status -------------------------------------------------------------------------------------


def test_status_table_and_json(cli: Cli) -> None:
    code = cli.planned()
    cli.add_item(title="窗口服务态度差", unit="jyj-bgs")
    out = cli.ok("campaign", "status", CAMPAIGN, "--as-of", "2015-10-08")
    assert out.splitlines()[0].split() == ["key", "wgbw-2015"]
    assert "overdue  1" in out
    assert "items by state: confirmed 1, reported 1" in out
    assert "rectifications by state: in_progress 1, pending 1" in out
    by_unit = out.split("by unit:\n", 1)[1].splitlines()
    assert by_unit[0].split() == ["unit", "open", "closed", "overdue"]
    assert by_unit[2].split() == ["某县/县财政局/办公室", "1", "0", "1"]
    data = json.loads(cli.ok("campaign", "status", CAMPAIGN, "--json", "--as-of", "2015-10-08"))
    assert (data["items"], data["overdue"], data["phase"]) == (2, 1, "宣传动员")
    assert data["items_by_state"] == {"confirmed": 1, "reported": 1}
    assert code


# --- stages and their guards ----------------------------------------------------------------------


def test_no_entering_a_stage_before_its_window(cli: Cli) -> None:
    before = dump(cli.db)
    err = cli.fails(1, "campaign", "advance", CAMPAIGN, "--actor", "lead", "--as-of", "2015-07-15")
    assert "cannot open stage 'self-inspect' (自查整改)" in err
    assert "window opens on 2015-08-01" in err and "--force" in err
    assert dump(cli.db) == before  # closing mobilize was rolled back with it
    assert advance(cli, "2015-08-01") == ["closed mobilize (宣传动员)", "opened self-inspect (自查整改)"]
    assert stages(cli)["self-inspect"] == "open"


def test_force_is_only_for_roles_with_overrides_and_is_recorded(cli: Cli) -> None:
    before = dump(cli.db)
    err = cli.fails(1, "campaign", "advance", CAMPAIGN, "--force", "--actor", "sup",
                    "--as-of", "2015-07-15")
    assert "'sup' may not force a stage change" in err and "overrides: true" in err
    assert dump(cli.db) == before
    assert advance(cli, "2015-07-15", "--force") == ["closed mobilize (宣传动员)",
                                                     "opened self-inspect (自查整改) [forced]"]
    payload = json.loads(scalar(cli.db, "SELECT payload FROM events WHERE machine = 'stage' "
                                        "AND trigger = 'open'"))
    assert payload["stage"] == "self-inspect"
    assert "window opens on 2015-08-01" in payload["overridden"][0]
    assert scalar(cli.db, "SELECT actor FROM events WHERE machine = 'stage' AND trigger = 'open'") == \
        "lead"


def test_advance_to_a_named_stage(cli: Cli) -> None:
    assert advance(cli, "2015-08-01", "--to", "supervise") == [
        "closed mobilize (宣传动员)", "opened self-inspect (自查整改)", "opened supervise (监督检查)"]
    before = dump(cli.db)
    err = cli.fails(1, "campaign", "advance", CAMPAIGN, "--to", "supervize", "--actor", "lead",
                    "--as-of", "2015-08-01")
    assert "unknown stage 'supervize'" in err and "did you mean 'supervise'?" in err
    assert "already open" in cli.fails(1, "campaign", "advance", CAMPAIGN, "--to", "supervise",
                                       "--actor", "lead", "--as-of", "2015-08-01")
    assert dump(cli.db) == before


def _to_last_stage(cli: Cli) -> None:
    advance(cli, "2015-08-01", "--to", "supervise")
    assert advance(cli, "2015-12-01") == ["closed self-inspect (自查整改)",
                                          "opened institutionalize (建章立制)"]


def test_no_concluding_while_items_are_open_unless_long_term(cli: Cli) -> None:
    _to_last_stage(cli)
    closed = [cli.submitted(as_of="2015-12-01", title=f"问题{n}") for n in range(9)]
    cli.ok("item", "advance", "verify", *closed, "--actor", "sup", "--as-of", "2015-12-01")
    still_open = cli.planned(as_of="2015-12-01", title="需长期整改的问题")
    before = dump(cli.db)
    err = cli.fails(1, "campaign", "advance", CAMPAIGN, "--actor", "lead", "--as-of", "2015-12-31")
    assert "cannot close stage 'institutionalize' (建章立制)" in err
    assert "1 item(s) are still open and not marked long-term" in err
    assert dump(cli.db) == before
    cli.ok("item", "advance", "defer", still_open, "--note", "涉及体制调整，转长效机制", "--actor", "lead",
           "--as-of", "2015-12-31")
    # 建章立制: the categories of the confirmed items need a mechanism in force
    err = cli.fails(1, "campaign", "advance", CAMPAIGN, "--actor", "lead", "--as-of", "2015-12-31")
    assert "have no long-term mechanism in force" in err
    categories = {row["category"] for row in json.loads(cli.ok("item", "list", CAMPAIGN, "--json"))}
    args = [a for c in sorted(categories) for a in ("--category", c)]
    cli.ok("mechanism", "add", CAMPAIGN, "--title", "限时办结制度", "--kind", "system", *args,
           "--actor", "lead", "--as-of", "2015-12-31")
    for step in (["issue"], ["enforce", "--number", "县组发〔2015〕9号", "--on", "2015-12-31"]):
        cli.ok("mechanism", "advance", "1", *step, "--actor", "lead", "--as-of", "2015-12-31")
    assert advance(cli, "2015-12-31") == ["closed supervise (监督检查)", "closed institutionalize (建章立制)",
                                          "campaign wgbw-2015 concluded on 2015-12-31"]
    assert json.loads(cli.ok("campaign", "list", "--json"))[0]["status"] == "concluded"
    # a concluded campaign takes no new items and no more advances
    before = dump(cli.db)
    assert "concluded on 2015-12-31" in cli.fails(1, "campaign", "advance", CAMPAIGN, "--actor", "lead",
                                                  "--as-of", "2016-01-04")
    assert "concluded on 2015-12-31" in cli.fails(
        1, "item", "add", CAMPAIGN, "--title", "t", "--unit", "jyj", "--category", "no-drive",
        "--source", "media", "--actor", "sup", "--as-of", "2016-01-04")
    assert dump(cli.db) == before


def test_forced_conclusion_records_what_was_overridden(cli: Cli) -> None:
    _to_last_stage(cli)
    cli.planned(as_of="2015-12-01")
    lines = advance(cli, "2015-12-31", "--force")
    assert lines == ["closed supervise (监督检查) [forced]", "closed institutionalize (建章立制) [forced]",
                     "campaign wgbw-2015 concluded on 2015-12-31"]
    overridden = scalar(cli.db, "SELECT payload FROM events WHERE machine = 'stage' AND trigger = "
                                "'close' ORDER BY id DESC LIMIT 1")
    assert "still open and not marked long-term" in json.loads(overridden)["overridden"][0]
