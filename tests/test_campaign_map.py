"""rectify campaign map: the words a ledger uses for categories and sources, mapped to a
running campaign's keys (its definition frozen), recorded in its log; and a definition's own
synonyms, checked when it is validated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_common import ROOT, Cli

from campaigns.db import Database
from campaigns.runs import load_run
from campaigns.valuemaps import Resolver, mapped_values

DEFINITION = ROOT / "definitions" / "zuofeng-datong-2015.yaml"
CAMPAIGN = "zuofeng-datong-2015"


@pytest.fixture
def site(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path / "r.db")
    cli.ok("init", "--admin", "admin")
    cli.ok("unit", "add", "datong", "--title", "大通县", "--actor", "admin")
    cli.ok("person", "add", "clerk", "--name", "王某", "--unit", "datong", "--actor", "admin")
    cli.ok("campaign", "start", str(DEFINITION), "--start", "2015-09-01", "--actor", "admin")
    return cli


def mapping(cli: Cli) -> list[dict[str, str]]:
    return list(json.loads(cli.ok("campaign", "map", CAMPAIGN, "--json")))


def test_a_mapping_is_an_event_and_the_latest_wins(site: Cli) -> None:
    out = site.ok("campaign", "map", CAMPAIGN, "--category",
                  "纪律作风=work-discipline,窗口服务=public-service", "--source", "督查发现=patrol",
                  "--actor", "admin")
    assert "3 value(s) mapped" in out
    rows = mapping(site)
    assert {"field": "category", "value": "纪律作风", "key": "work-discipline", "by": "map"} in rows
    assert {"field": "category", "value": "公车私用", "key": "official-car", "by": "synonym"} in rows
    assert {"field": "source", "value": "明察暗访", "key": "spot-check", "by": "title"} in rows
    site.ok("campaign", "map", CAMPAIGN, "--category", "纪律作风=meeting-discipline",
            "--category", "窗口服务=", "--actor", "admin")
    rows = [r for r in mapping(site) if r["by"] == "map"]
    assert {(r["value"], r["key"]) for r in rows} == {("纪律作风", "meeting-discipline"),
                                                      ("督查发现", "patrol")}
    with Database(str(site.db)).read() as conn:
        run = load_run(conn, CAMPAIGN)
        mapped = mapped_values(conn, run)
        events = conn.exec_driver_sql(
            "SELECT actor, payload FROM events WHERE machine = 'campaign' AND trigger = 'map' "
            "ORDER BY id").fetchall()
    assert len(events) == 3 and all(a == "admin" for a, _ in events)
    assert json.loads(events[-1][1]) == {"field": "category", "values": {
        "纪律作风": "meeting-discipline", "窗口服务": ""}}
    resolver = Resolver(run, "category", mapped["category"])
    assert resolver.find("纪律作风") == "meeting-discipline"
    assert resolver.find("公 车 私 用") == "official-car"  # spaces and full-width folded
    with pytest.raises(Exception, match="unknown category '窗口服务'"):
        resolver.find("窗口服务")


def test_a_mapping_file_in_yaml_or_csv(site: Cli, tmp_path: Path) -> None:
    yml = tmp_path / "map.yaml"
    yml.write_text("category:\n  纪律作风: work-discipline\nsource:\n  督查发现: patrol\n",
                   encoding="utf-8")
    assert "2 value(s) mapped" in site.ok("campaign", "map", CAMPAIGN, "--file", str(yml),
                                          "--actor", "admin")
    table = tmp_path / "map.csv"
    table.write_text("字段,原值,对应键\n问题类别,窗口服务,public-service\n", encoding="utf-8")
    site.ok("campaign", "map", CAMPAIGN, "--file", str(table), "--actor", "admin")
    assert {(r["value"], r["key"]) for r in mapping(site) if r["by"] == "map"} == {
        ("纪律作风", "work-discipline"), ("督查发现", "patrol"), ("窗口服务", "public-service")}
    with Database(str(site.db)).read() as conn:
        files = conn.exec_driver_sql("SELECT payload FROM events WHERE trigger = 'map'").fetchall()
    assert [json.loads(p).get("file") for p, in files] == ["map.yaml", "map.yaml", "map.csv"]


def test_bad_mappings_are_refused_and_change_nothing(site: Cli, tmp_path: Path) -> None:
    err = site.fails(1, "campaign", "map", CAMPAIGN, "--category", "公车=official-cars",
                     "--actor", "admin")
    assert "unknown category key 'official-cars' for '公车'" in err
    assert "did you mean 'official-car'?" in err
    assert "has no '='" in site.fails(1, "campaign", "map", CAMPAIGN, "--category", "公车",
                                      "--actor", "admin")
    assert "not an administrator" in site.fails(1, "campaign", "map", CAMPAIGN, "--category",
                                                "公车=official-car", "--actor", "clerk")
    bad = tmp_path / "bad.yaml"
    bad.write_text("category: [1, 2\n", encoding="utf-8")
    assert "bad.yaml:" in site.fails(1, "campaign", "map", CAMPAIGN, "--file", str(bad),
                                     "--actor", "admin")
    assert [r for r in mapping(site) if r["by"] == "map"] == []


def test_synonyms_are_validated(tmp_path: Path) -> None:
    text = DEFINITION.read_text(encoding="utf-8").replace(
        "synonyms: [公车私用, 公务用车, 车辆管理]", "synonyms: [公车私用, 工作纪律]")
    path = tmp_path / "d.yaml"
    path.write_text(text, encoding="utf-8")
    result = Cli(tmp_path / "x.db").invoke("validate", str(path), db=False)
    assert result.exit_code == 1
    line = next(n for n, x in enumerate(text.splitlines(), 1) if "[公车私用, 工作纪律]" in x)
    assert f":{line}:22: error[duplicate-synonym]: categories synonym '工作纪律' also names " \
           "'work-discipline'" in result.stderr
