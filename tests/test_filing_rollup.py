"""Filings that carry figures: prefilled from the record (nobody types a fact twice), and a
county's filing rolled up from its units' accepted filings (figures summed, documents bundled),
in the same campaign and, from a city campaign, across campaigns in the same database."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest
from test_cli_common import WGBW, Cli, populate

MONTHLY = """
filings:
  items:
    - key: monthly-report
      title: 为官不为专项治理工作月报
      schedule: 每月底前
      units: [department]
      office: lead-office
      figures: [found, closed, overdue, open, cases]
    - key: county-report
      title: 全县工作月报
      schedule: 每月底前
      units: [county]
      office: lead-office
      rollup: {from: monthly-report}
"""
CITY = """
filings:
  items:
    - key: city-report
      title: 全市工作月报
      schedule: 每月底前
      units: [city]
      office: lead-office
      document: false
      rollup: {from: monthly-report, campaigns: [wgbw-2015]}
"""


def definition(folder: Path, filings: str, key: str = "wgbw-2015", prefix: str = "WGBW") -> Path:
    text = WGBW.read_text(encoding="utf-8")
    text = text[:text.index("\nfilings:")] + "\n" + filings
    text = text.replace("  key: wgbw-2015\n", f"  key: {key}\n").replace(
        "  code_prefix: WGBW\n", f"  code_prefix: {prefix}\n")
    path = folder / f"{key}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def site(cli: Cli, folder: Path, city: bool = False) -> None:
    """The seeded county (under a city when asked), its campaign, liaisons who file."""
    populate(cli)
    people = [("lo-czj", "czj"), ("lo-jyj", "jyj"), ("lo-jw", "jw"), ("lo-county", "county")]
    if city:
        cli.ok("unit", "add", "--actor", "admin", "city", "--title", "某市", "--kind", "city")
        cli.ok("unit", "edit", "--actor", "admin", "county", "--parent", "city", "--on",
               "2015-06-01")
        people.append(("lo-city", "city"))
        cli.ok("person", "add", "--actor", "admin", "city-lead", "--name", "市领导", "--unit",
               "city", "--role", "lead-office")
    for key, unit in people:
        cli.ok("person", "add", "--actor", "admin", key, "--name", key, "--unit", unit,
               "--role", "liaison")
    cli.ok("campaign", "start", str(definition(folder, MONTHLY)), "--start", "2015-07-01",
           "--actor", "lead")
    if city:
        cli.ok("campaign", "start", str(definition(folder, CITY, "city-2015", "CITY")),
               "--start", "2015-07-01", "--actor", "city-lead")


def record_august(cli: Cli) -> None:
    """czj: two items found in August (one closed); jyj: one found in July, overdue by August."""
    code = cli.confirmed(as_of="2015-07-06", unit="jyj", title="办事拖拉")
    cli.ok("item", "rectify", code, "--measures", "限时办结", "--deadline", "2015-07-31",
           "--actor", "edu", "--as-of", "2015-07-07")
    cli.add_item("窗口服务推诿", "czj-bgs", "2015-07-10")
    cli.closed(as_of="2015-08-03", unit="czj-bgs")
    cli.confirmed(as_of="2015-08-05", unit="czj")


def document(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def file_and_accept(cli: Cli, folder: Path, unit: str, day: str = "2015-08-31") -> dict[str, Any]:
    out = json.loads(cli.ok("filing", "submit", unit, "monthly-report", "--period", "2015-08",
                            "--file", document(folder, f"{unit}.docx", f"{unit}八月工作情况"),
                            "--actor", f"lo-{unit}", "--as-of", day, "--json"))
    cli.ok("filing", "accept", unit, "monthly-report", "--period", "2015-08", "--actor", "lead",
           "--as-of", day)
    return out


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    c = Cli(tmp_path / "rectify.db")
    site(c, tmp_path)
    record_august(c)
    return c


def test_prefill_counts_the_unit_and_the_units_under_it(cli: Cli) -> None:
    shown = json.loads(cli.ok("filing", "prefill", "czj", "monthly-report", "--period", "2015-08",
                              "--as-of", "2015-09-02", "--json"))
    # czj-bgs is under czj: its July item is open, its August one closed; czj's own is open
    assert shown["figures"] == {"found": 2, "closed": 1, "overdue": 0, "open": 2, "cases": 0}
    assert shown["as_of"] == "2015-08-31"  # the period's end, not the business date
    jyj = json.loads(cli.ok("filing", "prefill", "jyj", "monthly-report", "--period", "2015-08",
                            "--as-of", "2015-09-02", "--json"))["figures"]
    assert jyj == {"found": 0, "closed": 0, "overdue": 1, "open": 1, "cases": 0}
    july = json.loads(cli.ok("filing", "prefill", "czj", "monthly-report", "--period", "2015-07",
                             "--as-of", "2015-09-02", "--json"))["figures"]
    assert july["found"] == 1 and july["open"] == 1  # as July ended
    table = cli.ok("filing", "prefill", "czj", "monthly-report", "--period", "2015-08",
                   "--as-of", "2015-09-02")
    assert "新发现问题" in table and "已销号" in table


def test_prefill_refuses_a_unit_that_does_not_file_it(cli: Cli) -> None:
    args = ("filing", "prefill", "czj-bgs", "monthly-report", "--period", "2015-08",
            "--as-of", "2015-09-02")
    error = cli.fails(1, *args)  # czj-bgs is an office: only departments file it
    assert "UNIT: unit 'czj-bgs' does not file 'monthly-report'" in error
    assert "units of kind department" in error
    chinese = cli.invoke(*args, env={"LANG": "zh_CN.UTF-8"})
    assert chinese.exit_code == 1 and not chinese.stdout
    assert "单位“czj-bgs”不报送“monthly-report”" in chinese.stderr
    assert "由类型为 department 的单位报送" in chinese.stderr
    # the same refusal, worded alike, where a filing is made for it
    error = cli.fails(1, "filing", "submit", "county", "monthly-report", "--period", "2015-08",
                      "--file", __file__, "--actor", "lo-county", "--as-of", "2015-09-02")
    assert "UNIT: unit 'county' does not file 'monthly-report'" in error


def test_status_shows_the_figures_filed(cli: Cli, tmp_path: Path) -> None:
    filed = file_and_accept(cli, tmp_path, "czj")["figures"]
    cli.ok("tick", "wgbw-2015", "--as-of", "2015-09-02")  # the others' occurrences opened
    args = ("filing", "status", "wgbw-2015", "--filing", "monthly-report", "--period", "2015-08",
            "--as-of", "2015-09-02")
    rows = {r["unit"]: r for r in json.loads(cli.ok(*args, "--figures", "--json"))}
    assert rows["czj"]["figures"] == filed and filed["found"] == 2
    assert rows["jyj"]["figures"] is None  # not filed
    assert "figures" not in json.loads(cli.ok(*args, "--json"))[0]  # only when asked
    # as of the day before it was filed, nothing filed is shown, its figures neither
    before = {r["unit"]: r for r in json.loads(cli.ok(
        "filing", "status", "wgbw-2015", "--period", "2015-08", "--figures", "--json",
        "--as-of", "2015-08-30"))}
    assert before["czj"]["figures"] is None and before["czj"]["filed_on"] == ""
    table = list(csv.DictReader(io.StringIO(cli.ok(*args, "--figures", "--csv"))))
    assert list(table[0])[-5:] == ["found", "closed", "overdue", "open", "cases"]
    czj = next(r for r in table if r["unit"] == "czj")
    assert {k: czj[k] for k in filed} == {k: str(v) for k, v in filed.items()}
    assert all(r[k] == "" for r in table if r["unit"] != "czj" for k in filed)
    chinese = cli.ok(*args, "--figures", env={"LANG": "zh_CN.UTF-8"})
    assert "新发现问题" in chinese and "问责案件" in chinese


def test_submit_stores_the_figures_with_the_filing_and_its_event(cli: Cli, tmp_path: Path) -> None:
    out = file_and_accept(cli, tmp_path, "czj")
    assert out["figures"]["found"] == 2
    conn = sqlite3.connect(cli.db)
    stored = conn.execute("SELECT figures FROM filings WHERE filing='monthly-report' AND "
                          "period='2015-08' AND figures IS NOT NULL").fetchone()[0]
    payload, version = conn.execute("SELECT payload, payload_version FROM events WHERE "
                                    "trigger='file' ORDER BY id DESC").fetchone()
    conn.close()
    assert json.loads(stored) == out["figures"] == json.loads(payload)["figures"]
    assert version == 2
    cli.ok("audit", "verify", "wgbw-2015")


def test_a_county_report_rolled_up_from_accepted_filings(cli: Cli, tmp_path: Path) -> None:
    for unit in ("czj", "jyj"):
        file_and_accept(cli, tmp_path, unit)
    # jw files but is not accepted: it is left out, and said to be
    cli.ok("filing", "submit", "jw", "monthly-report", "--period", "2015-08", "--file",
           document(tmp_path, "jw.docx", "纪委"), "--actor", "lo-jw", "--as-of", "2015-08-31")
    out = json.loads(cli.ok("filing", "rollup", "county", "county-report", "--period", "2015-08",
                            "--file", document(tmp_path, "县汇总.docx", "全县情况"), "--actor",
                            "lo-county", "--as-of", "2015-09-01", "--json"))
    assert out["figures"] == {"found": 2, "closed": 1, "overdue": 1, "open": 3, "cases": 0}
    assert out["bundled"] == ["wgbw-2015/czj", "wgbw-2015/jyj"]
    assert sorted(out["missing"]) == ["wgbw-2015/jw", "wgbw-2015/zzb"]
    assert out["status"] == "late"  # due 31 August
    conn = sqlite3.connect(cli.db)
    name, blob = conn.execute(
        "SELECT f.document_name, b.content FROM filings f JOIN blobs b ON "
        "b.sha256 = f.document_sha256 WHERE f.filing='county-report'").fetchone()
    payload = json.loads(conn.execute("SELECT payload FROM events WHERE trigger='file' "
                                      "ORDER BY id DESC").fetchone()[0])
    conn.close()
    assert name == "county-report-county-2015-08.zip"
    assert payload["bundled"] == out["bundled"] and payload["figures"] == out["figures"]
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        assert z.namelist() == ["县汇总.docx", "wgbw-2015/czj-czj.docx", "wgbw-2015/jyj-jyj.docx",
                                "figures.csv"]
        assert z.read("wgbw-2015/jyj-jyj.docx").decode() == "jyj八月工作情况"
        rows = z.read("figures.csv").decode("utf-8-sig").splitlines()
    assert rows[0] == "campaign,unit,found,closed,open,overdue,cases"  # the figures' order
    assert rows[-1] == ",county,2,1,3,1,0"
    status = json.loads(cli.ok("filing", "status", "wgbw-2015", "--filing", "county-report",
                               "--as-of", "2015-09-01", "--json"))
    assert [(r["unit"], r["document"]) for r in status] == [("county", name)]


def test_rollup_refusals_leave_the_database_as_it_was(cli: Cli, tmp_path: Path) -> None:
    from test_cli_common import dump

    before = dump(cli.db)
    err = cli.fails(1, "filing", "rollup", "county", "county-report", "--period", "2015-08",
                    "--actor", "lo-county", "--as-of", "2015-09-01")
    assert "no unit under 'county' has an accepted 'monthly-report' for 2015-08" in err
    err = cli.fails(1, "filing", "submit", "county", "county-report", "--period", "2015-08",
                    "--actor", "lo-county", "--as-of", "2015-09-01")
    assert "rectify filing rollup county county-report --period 2015-08" in err
    err = cli.fails(1, "filing", "rollup", "czj", "monthly-report", "--period", "2015-08",
                    "--actor", "lo-czj", "--as-of", "2015-09-01")
    assert "is not a roll-up" in err
    assert dump(cli.db) == before


def test_a_rollup_of_an_unknown_or_unlike_filing_is_a_located_error(tmp_path: Path) -> None:
    bad = MONTHLY.replace("rollup: {from: monthly-report}", "rollup: {from: monthly-reprot}")
    result = Cli(tmp_path / "x.db").invoke("validate", str(definition(tmp_path, bad)), db=False)
    assert result.exit_code == 1, result.output
    assert "error[unknown-filing]" in result.stderr and "wgbw-2015.yaml:" in result.stderr
    weekly = MONTHLY.replace("title: 全县工作月报\n      schedule: 每月底前",
                             "title: 全县工作周报\n      schedule: 每周一")
    result = Cli(tmp_path / "x.db").invoke("validate", str(definition(tmp_path, weekly)), db=False)
    assert "error[rollup-period]" in result.stderr


def city_rollup(cli: Cli, folder: Path) -> None:
    site(cli, folder, city=True)
    record_august(cli)
    for unit in ("czj", "jyj", "jw"):
        file_and_accept(cli, folder, unit)
    out = json.loads(cli.ok("filing", "rollup", "city", "city-report", "--period", "2015-08",
                            "--actor", "lo-city", "--as-of", "2015-09-02", "--json"))
    # the city campaign reads the county campaign's accepted filings in the same database
    assert out["bundled"] == ["wgbw-2015/czj", "wgbw-2015/jw", "wgbw-2015/jyj"]
    assert out["missing"] == ["wgbw-2015/zzb"]
    assert out["figures"] == {"found": 2, "closed": 1, "overdue": 1, "open": 3, "cases": 0}
    status = json.loads(cli.ok("filing", "status", "city-2015", "--as-of", "2015-09-02",
                               "--json"))
    assert [(r["unit"], r["status"]) for r in status if r["period"] == "2015-08"] == \
        [("city", "late")]
    cli.ok("audit", "verify", "city-2015")


def test_a_city_campaign_rolls_up_a_county_campaign(tmp_path: Path) -> None:
    city_rollup(Cli(tmp_path / "rectify.db"), tmp_path)


@pytest.mark.postgres
def test_a_city_campaign_rolls_up_a_county_campaign_on_postgresql(tmp_path: Path,
                                                                   pg_db_url: str) -> None:
    city_rollup(Cli(pg_db_url), tmp_path)  # type: ignore[arg-type]
