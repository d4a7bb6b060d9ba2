"""The site calendar through the CLI: a deadline counted into a year no notice covers yet is
provisional, and importing that year's notice later lists it and moves it.

"Today" is set for these tests (``campaigns.dates.today``): the story happens around a New
Year that has not yet come when they are written, and business dates may not be in the future.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_cli_common import ENV, WGBW, Cli, populate, scalar, seeded

from campaigns.cli import cli as rectify
from engine.core.calendar import known_years
from engine.core.spec import CalendarSpec

NOTICE = Path(__file__).parent / "data" / "holidays-2027.yaml"
YEAR = 2027
pytestmark = pytest.mark.skipif(known_years(CalendarSpec())[1] >= YEAR,
                                reason="chinesecalendar knows 2027 now: it is no longer provisional")


class Today:
    """The date the commands take for today (``campaigns.dates.today``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import campaigns.dates

        self.day = dt.date(2026, 12, 14)
        monkeypatch.setattr(campaigns.dates, "today", lambda timezone="Asia/Shanghai": self.day)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    return Today(monkeypatch)


def definition(folder: Path, prefix: str, limit: str = "40 working days") -> Path:
    """The seed's definition moved to 2026, with its own code prefix and default time limit."""
    text = WGBW.read_text(encoding="utf-8").replace("2015-", "2026-")
    text = text.replace("code_prefix: WGBW", f"code_prefix: {prefix}")
    text = text.replace("default_limit: 20 working days", f"default_limit: {limit}")
    path = folder / f"{prefix.lower()}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def cli(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, today: Today) -> Cli:
    c = seeded(tmp_path, tmp_path_factory, campaign=False)
    c.ok("campaign", "start", str(definition(tmp_path, "ZZ")), "--key", "zz-2026",
         "--start", "2026-07-01", "--actor", "lead", "--as-of", "2026-07-01")
    c.ok("campaign", "start", str(definition(tmp_path, "EMPTY")), "--key", "empty-2026",
         "--start", "2026-07-01", "--actor", "lead", "--as-of", "2026-07-01")
    return c


def planned(cli: Cli, day: str, campaign: str = "zz-2026") -> str:
    code = cli.ok("item", "add", campaign, "--title", "群众办事多次往返", "--unit", "czj-bgs",
                  "--category", "passive-attitude", "--source", "public-report", "--actor", "sup",
                  "--as-of", day).strip()
    cli.ok("item", "advance", "confirm", code, "--actor", "sup", "--as-of", day)
    out = cli.ok("item", "rectify", code, "--measures", "建立首问负责制", "--actor", "head", "--as-of", day)
    assert ("(provisional)" in out) == (day < "2026-12-15"), out  # the notice comes on the 16th
    return code


def shown(cli: Cli, code: str) -> dict[str, object]:
    detail: dict[str, object] = json.loads(cli.ok("item", "show", code, "--json"))
    return detail


def test_a_2027_deadline_is_provisional_then_corrected_by_the_notice(cli: Cli, today: Today,
                                                                     tmp_path: Path) -> None:
    # 40 working days from Monday 2026-12-14: the provisional 2027 has 1 January and the
    # statutory Spring Festival days (5, 8-10 February) off and no weekend worked
    code = planned(cli, "2026-12-14")
    before = shown(cli, code)
    assert before["deadline"] == "2027-02-15"
    assert before["deadline_provisional"] is True
    table = cli.ok("item", "show", code)
    assert "2027-02-15 (provisional)" in table and "(provisional): counted" in table
    listing = cli.ok("item", "list", "zz-2026")
    assert "2027-02-15 (provisional)" in listing
    assert "2027-02-15（暂定）" in cli.ok("item", "list", "zz-2026", env={"LANG": "zh_CN.UTF-8"})
    report = tmp_path / "report.md"
    cli.ok("report", "zz-2026", "--month", "2026-12", "-o", str(report))
    text = report.read_text(encoding="utf-8")
    assert "2027-02-15（暂定）" in text and "尚未公布节假日安排" in text
    ledger = tmp_path / "ledger.csv"
    cli.ok("ledger", "zz-2026", "-o", str(ledger))
    header, row = ledger.read_text(encoding="utf-8-sig").splitlines()[:2]
    assert header.endswith(",时限说明") and "2027-02-15" in row
    assert row.endswith(",暂定：该年度放假安排未公布")
    board = tmp_path / "board.html"
    cli.ok("board", "zz-2026", "-o", str(board), "--as-of", "2026-12-14")
    assert "2027-02-15（暂定）" in board.read_text(encoding="utf-8")

    # the notice comes: 5-13 February off, Sunday 31 January worked
    today.day = dt.date(2026, 12, 16)
    out = cli.ok("calendar", "import", str(NOTICE), "--actor", "admin")
    assert f"{code}  2027-02-15 → 2027-02-16" in out
    assert shown(cli, code)["deadline"] == "2027-02-15"  # listed only
    assert "--apply" in out
    assert scalar(cli.db, "SELECT count(*) FROM site_events WHERE trigger = 'import' "
                          "AND machine = 'calendar'") == 1

    moved = json.loads(cli.ok("calendar", "import", str(NOTICE), "--apply", "--json",
                              "--actor", "admin"))
    assert moved["moved"] == 1
    assert moved["deadlines"] == [{"campaign": "zz-2026", "code": code, "deadline": "2027-02-15",
                                   "new_deadline": "2027-02-16", "limit": "40 working days",
                                   "counted_from": "2026-12-14", "passed": False}]
    after = shown(cli, code)
    assert after["deadline"] == "2027-02-16"
    assert after["original_deadline"] == "2027-02-16"
    assert after["deadline_provisional"] is False
    history = after["history"]
    assert isinstance(history, list)
    assert [e["trigger"] for e in history][-1] == "recount"
    payload = json.loads(scalar(cli.db, "SELECT payload FROM events WHERE trigger = 'recount'"))
    assert payload["was"] == "2027-02-15" and payload["deadline"] == "2027-02-16"
    assert payload["from"] == "2026-12-14"
    err = cli.fails(1, "item", "undo", code, "--note", "撤销", "--actor", "lead")
    assert "recounted on an imported holiday notice" in err
    # a deadline counted on the notice is not moved again
    again = json.loads(cli.ok("calendar", "import", str(NOTICE), "--apply", "--json",
                              "--actor", "admin"))
    assert again["deadlines"] == [] and again["moved"] == 0

    report.unlink()
    cli.ok("report", "zz-2026", "--month", "2026-12", "-o", str(report))
    assert "暂定" not in report.read_text(encoding="utf-8")

    # a new plan counts on the notice: nothing provisional about it
    fresh = planned(cli, "2026-12-16")
    assert shown(cli, fresh)["deadline_provisional"] is False

    # the clock runs into 2027 for every campaign, the one without items too
    today.day = dt.date(2027, 1, 20)
    ticked = json.loads(cli.ok("tick", "--all", "--as-of", "2027-01-20", "--json"))
    assert {r["campaign"] for r in ticked} == {"zz-2026", "empty-2026"}
    cli.ok("audit", "verify", "--all")
    cli.ok("audit", "verify", "--site")


def test_tick_into_a_provisional_year_works_before_any_notice(cli: Cli, today: Today,
                                                              tmp_path: Path) -> None:
    planned(cli, "2026-12-14")
    long = definition(tmp_path, "LONG")  # its last stages run into 2027
    long.write_text(long.read_text(encoding="utf-8").replace("end: 2026-12-31", "end: 2027-06-30"),
                    encoding="utf-8")
    started = cli.invoke("campaign", "start", str(long), "--key", "long-2026", "--start", "2026-07-01",
                         "--actor", "lead", "--as-of", "2026-07-01")
    assert started.exit_code == 0 and "reach 2027" in started.stderr
    code = planned(cli, "2026-12-14", "long-2026")
    cli.ok("item", "advance", "submit", code, "--actor", "head", "--as-of", "2026-12-14")
    today.day = dt.date(2026, 12, 28)
    out = cli.ok("item", "advance", "return", code, "--note", "佐证材料不全", "--actor", "sup",
                 "--as-of", "2026-12-28")  # after_return: 10 working days, into 2027
    assert "new deadline 2027-01-12 (provisional)" in out
    today.day = dt.date(2027, 2, 20)
    out = cli.ok("tick", "--all", "--as-of", "2027-02-20")
    assert "zz-2026: ticked" in out and "empty-2026: ticked" in out and "long-2026: ticked" in out
    assert "(provisional)" in out and "(provisional): counted" in out


def test_a_passed_deadline_is_listed_but_not_moved(cli: Cli, today: Today, tmp_path: Path) -> None:
    code = planned(cli, "2026-12-14")
    today.day = dt.date(2027, 2, 17)  # after the provisional deadline and the notice's
    result = json.loads(cli.ok("calendar", "import", str(NOTICE), "--apply", "--json",
                               "--as-of", "2027-02-17", "--actor", "admin"))
    assert result["moved"] == 0
    assert [(r["code"], r["passed"]) for r in result["deadlines"]] == [(code, True)]
    assert shown(cli, code)["deadline"] == "2027-02-15"


def test_import_is_for_an_administrator_and_a_refusal_changes_nothing(cli: Cli) -> None:
    err = cli.fails(1, "calendar", "import", str(NOTICE), "--actor", "sup")
    assert "administrator" in err
    assert scalar(cli.db, "SELECT count(*) FROM calendar_notices") == 0


def test_bad_notice_files_say_where(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2027\ntitle: 通知\ndays_off:\n  - 2027-02-30\n  - {from: 2027-02-05}\n",
                   encoding="utf-8")
    err = cli.fails(1, "calendar", "import", str(bad), "--actor", "admin")
    assert f"{bad}:4:5" in err and "2027-02-30" in err
    assert f"{bad}:5:5" in err
    rows = tmp_path / "bad.csv"
    rows.write_text("日期,类型,名称\n2027-01-01,休,元旦\n2027-13-01,休,x\n2027-01-31,maybe,春节调休\n",
                    encoding="utf-8")
    err = cli.fails(1, "calendar", "import", str(rows), "--actor", "admin")
    assert "row 3, column 1" in err and "row 4, column 2" in err
    assert scalar(cli.db, "SELECT count(*) FROM calendar_notices") == 0


def test_csv_notice_and_a_regional_holiday(cli: Cli, tmp_path: Path) -> None:
    rows = tmp_path / "guangxi-2027.csv"
    rows.write_text("date,kind,name\n2027-04-09,off,三月三\n2027-04-10,off,三月三\n", encoding="utf-8")
    cli.ok("calendar", "import", str(rows), "--area", "广西", "--actor", "admin")
    days = json.loads(cli.ok("calendar", "show", str(YEAR), "--json"))
    sanyuesan = [d for d in days if d["holiday"] == "三月三"]
    assert [d["date"] for d in sanyuesan] == ["2027-04-09"]  # the Saturday is off anyway
    assert "广西" in sanyuesan[0]["source"]
    # a regional holiday does not make the year known: the rest stays provisional
    assert any(d["provisional"] for d in days)


def test_validate_and_start_warn_about_provisional_years(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "y2027.yaml"
    path.write_text(WGBW.read_text(encoding="utf-8").replace("2015-", "2027-")
                    .replace("code_prefix: WGBW", "code_prefix: Y27"), encoding="utf-8")
    result = cli.invoke("validate", str(path), db=False)
    assert result.exit_code == 0, result.output
    assert "provisional" in result.stderr and "reach 2027" in result.stderr
    assert "warning" not in cli.invoke("validate", str(WGBW), db=False).stderr
    result = cli.invoke("campaign", "start", str(path), "--start", "2027-07-01", "--key", "y27",
                        "--actor", "lead", "--as-of", "2026-12-14")
    assert result.exit_code == 0, result.output
    assert "provisional" in result.stderr
    cli.ok("calendar", "import", str(NOTICE), "--actor", "admin")  # the site has the notice now
    path.write_text(path.read_text(encoding="utf-8").replace("code_prefix: Y27", "code_prefix: Y27B"),
                    encoding="utf-8")
    result = cli.invoke("campaign", "start", str(path), "--start", "2027-07-01", "--key", "y27b",
                        "--actor", "lead", "--as-of", "2026-12-14")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr


def test_calendar_show_as_a_campaign_counts(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "own.yaml"
    path.write_text(definition(tmp_path, "OWN").read_text(encoding="utf-8").replace(
        "  timezone: Asia/Shanghai\n", "  timezone: Asia/Shanghai\n  working_days: [2027-02-08]\n", 1),
        encoding="utf-8")
    cli.ok("campaign", "start", str(path), "--key", "own-2026", "--start", "2026-07-01",
           "--actor", "lead", "--as-of", "2026-07-01")
    cli.ok("calendar", "import", str(NOTICE), "--actor", "admin")
    days = {d["date"]: d for d in json.loads(cli.ok("calendar", "show", "2027", "--json",
                                                     "--campaign", "own-2026"))}
    assert "2027-02-08" not in days  # worked by the definition's own list: a plain Monday
    assert days["2027-02-09"]["kind"] == "off" and "2027" in days["2027-02-09"]["source"]
    site_days = {d["date"] for d in json.loads(cli.ok("calendar", "show", "2027", "--json"))}
    assert "2027-02-08" in site_days


class PgCli(Cli):
    """The same commands against a PostgreSQL database."""

    def __init__(self, url: str) -> None:
        super().__init__(Path("unused"))
        self.url = url

    def invoke(self, *args: str, env: dict[str, str | None] | None = None, db: bool = True,
               input: str | None = None) -> Result:
        argv = [*args, "--db", self.url] if db else list(args)
        return CliRunner().invoke(rectify, argv, env={**ENV, **(env or {})}, input=input,
                                  catch_exceptions=False, prog_name="rectify")


def test_the_notice_moves_a_deadline_on_postgresql(pg_db_url: str, tmp_path: Path, today: Today) -> None:
    cli = PgCli(pg_db_url)
    populate(cli)
    cli.ok("campaign", "start", str(definition(tmp_path, "ZZ")), "--key", "zz-2026",
           "--start", "2026-07-01", "--actor", "lead", "--as-of", "2026-07-01")
    code = planned(cli, "2026-12-14")
    assert json.loads(cli.ok("item", "show", code, "--json"))["deadline_provisional"] is True
    today.day = dt.date(2026, 12, 16)
    moved = json.loads(cli.ok("calendar", "import", str(NOTICE), "--apply", "--json", "--actor", "admin"))
    assert moved["moved"] == 1
    assert json.loads(cli.ok("item", "show", code, "--json"))["deadline"] == "2027-02-16"
    today.day = dt.date(2027, 1, 20)
    cli.ok("tick", "--all", "--as-of", "2027-01-20")
