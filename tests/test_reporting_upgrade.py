"""``campaign.reporting`` read as a filing: the located deprecation from ``validate`` with the
exact YAML to write instead, and a campaign whose stored definition still has the block,
chased by the clock with its text and hash as they were started."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest
from test_cli_common import WGBW, Cli, scalar, seeded

from campaigns.reporting_upgrade import SCHEDULES, upgrade
from engine.core.cadence import parse_schedule, period_of
from engine.core.calendar import calendar_for
from engine.core.loader import build, load, loads, normalized
from engine.core.registry import default_registry
from engine.core.spec import CalendarSpec

ROOT = Path(__file__).resolve().parent
LANZHENG = ROOT / "data" / "lanzheng-2015.yaml"
OLD_LANZHENG = ("  reporting:\n    cadence: monthly\n    due: period_end\n"
                "    to: 县专项行动办公室\n")


def old_lanzheng(folder: Path) -> Path:
    """tests/data/lanzheng-2015.yaml as it was written before filings: the reporting block,
    no filings section, no role that may file or accept."""
    text = LANZHENG.read_text(encoding="utf-8")
    text = text[:text.index("\n# Each bureau and township reports")] + "\n"
    text = text.replace("request-extension, file]", "request-extension]").replace(
        "refuse-extension, accept-filing,\n               return-filing]", "refuse-extension]")
    text = text.replace("  rectifying_kinds: [bureau, township]\n",
                        "  rectifying_kinds: [bureau, township]\n" + OLD_LANZHENG)
    path = folder / "lanzheng-2015.yaml"
    path.write_text(text, encoding="utf-8")
    return path
OLD_BLOCK = "  reporting: {cadence: monthly, due: period_end, to: 县委组织部（干部监督科）}\n"


def old_wgbw(folder: Path) -> Path:
    """wgbw-2015 as it was written before filings: the reporting block, no filings section."""
    text = WGBW.read_text(encoding="utf-8")
    text = text[:text.index("\nfilings:")] + "\n"
    text = text.replace("  code_prefix: WGBW\n", "  code_prefix: WGBW\n" + OLD_BLOCK)
    path = folder / "old-wgbw.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_warns_where_the_block_is_and_what_to_write(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "unused.db")
    old = old_lanzheng(tmp_path)
    result = cli.invoke("validate", str(old), db=False)
    assert result.exit_code == 0, result.output
    line = next(n for n, text in enumerate(old.read_text("utf-8").splitlines(), 1)
                if text.strip() == "reporting:")
    assert f"lanzheng-2015.yaml:{line}:3: warning[deprecated-reporting]" in result.stderr
    assert "filing 'report' (每月底前)" in result.stderr
    # the summary lists the filing it is read as
    assert "filing report: monthly by the last working day" in result.stdout
    report = json.loads(cli.invoke("validate", "--json", str(old), db=False).stdout)
    (note,) = report[0]["deprecated"]
    assert (note["code"], note["line"], note["column"]) == ("deprecated-reporting", line, 3)


def test_the_replacement_it_gives_is_the_same_filing_and_warns_no_more(tmp_path: Path) -> None:
    """Apply the hint by hand, as the reader would: the filing and the roles come out the same
    (and the same as the rewritten file in tests/data)."""
    old = old_lanzheng(tmp_path)
    before = load(str(old))
    (note,) = before.notes
    hint = note.hint or ""
    yaml_part = hint.split("\n", 1)[1].split("\nand give the roles")[0]
    text = old.read_text(encoding="utf-8")
    text = re.sub(r"  reporting:\n(    .*\n)+", "", text)
    for role, triggers in re.findall(r"roles\.([\w-]+)\.triggers \+= \[([^\]]*)\]", hint):
        text = re.sub(rf"(\n  {role}:\n(?:    .*\n)*?    triggers: \[)([^\]]*)\]",
                      lambda m, t=triggers: f"{m.group(1)}{m.group(2)}, {t}]", text, count=1)
    text += "\n" + yaml_part + "\n"
    after = loads(text, "rewritten.yaml")
    assert after.notes == ()
    old, new = before.sections["filings"].items, after.sections["filings"].items
    assert old == new
    assert {k: r.triggers for k, r in before.roles.items()} == \
        {k: r.triggers for k, r in after.roles.items()}
    rewritten = load(str(LANZHENG))
    assert rewritten.notes == () and rewritten.sections["filings"].items == new


def test_a_definition_without_the_block_is_not_rewritten() -> None:
    data = normalized(str(WGBW))[0]
    assert upgrade(data) is None


def test_shipped_definitions_have_no_reporting_block() -> None:
    for path in sorted((ROOT.parent / "definitions").glob("*.yaml")):
        assert "\n  reporting:" not in path.read_text("utf-8"), path
        assert load(str(path)).notes == (), path


def test_a_block_repeating_a_filing_is_dropped() -> None:
    text = WGBW.read_text(encoding="utf-8").replace(
        "  code_prefix: WGBW\n", "  code_prefix: WGBW\n" + OLD_BLOCK)
    definition = loads(text, "both.yaml")
    assert [f.key for f in definition.sections["filings"].items] == ["monthly-report"]
    (note,) = definition.notes
    assert "filing 'monthly-report' states the same obligation" in note.message
    assert note.location.line == 15


def test_a_snapshot_from_before_filings_gets_the_machine_and_the_triggers(tmp_path: Path,
                                                                         ) -> None:
    """A stored definition with no filing machine and no role that may file or accept."""
    data = normalized(str(old_lanzheng(tmp_path)))[0]
    del data["machines"]["filing"]
    for role in data["roles"].values():
        role["triggers"] = [t for t in role.get("triggers", [])
                            if t not in ("file", "accept-filing", "return-filing")]
    definition = build(data, default_registry(), "text")
    assert "filing" in definition.machines
    assert "file" in definition.roles["unit-head"].triggers
    assert {"accept-filing", "return-filing"} <= definition.roles["lead-office"].triggers
    assert "reporting" in data["campaign"]  # the stored data itself is left as it was


@pytest.mark.parametrize(("cadence", "due"), sorted(SCHEDULES))
def test_each_old_cadence_falls_due_where_it_said(cadence: str, due: str) -> None:
    """period_end: the period's last working day; period_start: its first working day."""
    data = {"campaign": {"key": "k", "title": "t", "code_prefix": "KK",
                         "reporting": {"cadence": cadence, "due": due}},
            "roles": {"office": {"title": "o", "side": "office", "triggers": []}}}
    found = upgrade(data)
    assert found is not None and "reporting" in data["campaign"]  # the given data is left alone
    (item,) = found[0]["filings"]["items"]
    schedule = parse_schedule(item["schedule"], item.get("on_days_off", "next"))
    cal = calendar_for(CalendarSpec())
    kind = schedule.period_kind
    day = dt.date(2015, 1, 1)
    while day < dt.date(2017, 1, 1):
        period = period_of(kind, day)
        working = [period.start + dt.timedelta(days=n)
                   for n in range((period.end - period.start).days + 1)
                   if cal.is_working(period.start + dt.timedelta(days=n))]
        if working:  # a daily schedule has no period on a day off
            want = working[-1] if due == "period_end" else working[0]
            assert schedule.due(period, cal) == want, (cadence, due, period.key)
        day = period.end + dt.timedelta(days=1)


def test_a_running_campaign_with_the_old_block_is_chased(tmp_path: Path,
                                                         tmp_path_factory: pytest.TempPathFactory,
                                                         ) -> None:
    cli = seeded(tmp_path, tmp_path_factory, campaign=False)
    path = old_wgbw(tmp_path)
    cli.ok("person", "add", "--actor", "admin", "lo-czj", "--name", "赵联络", "--unit", "czj",
           "--role", "liaison")
    cli.ok("campaign", "start", str(path), "--start", "2015-07-01", "--actor", "lead")
    stored = scalar(cli.db, "SELECT definition_hash FROM campaigns")
    assert stored == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "reporting" in scalar(cli.db, "SELECT definition_data FROM campaigns")
    cli.ok("tick", "wgbw-2015", "--as-of", "2015-08-03")
    rows = json.loads(cli.ok("filing", "status", "wgbw-2015", "--json", "--as-of", "2015-08-03",
                             "--period", "2015-07", "--filing", "report"))
    assert {r["unit"] for r in rows} == {"czj", "jw", "jyj", "zzb"}
    assert {(r["due"], r["status"]) for r in rows} == {("2015-07-31", "missing")}
    report = tmp_path / "report.docx"
    report.write_text("七月份工作情况", encoding="utf-8")
    cli.ok("filing", "submit", "czj", "report", "--period", "2015-08", "--file", str(report),
           "--actor", "lo-czj", "--as-of", "2015-08-28")
    cli.ok("filing", "accept", "czj", "report", "--period", "2015-08", "--actor", "lead",
           "--as-of", "2015-08-31")
    # the text and hash it was started with still verify
    assert scalar(cli.db, "SELECT definition_hash FROM campaigns") == stored
    cli.ok("audit", "verify", "wgbw-2015")
