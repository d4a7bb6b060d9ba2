"""``rectify notices`` lists the clock's notices to the office beside the escalation notices: a
stage its exit guard keeps open (to the lead unit and the roles that may force it) and reminders
to confirm a waiting report (to the roles that must confirm), in every format, filtered like the
others, as of a date, and withdrawn (作废) with the tick an undo reverses.

wgbw-2015 with reminders: 监督检查 (08-01..12-31) needs 90% of the items done to close, 建章立制
(12-01..12-31) every item done or long-term.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from clock_fixtures import Rectify, add_planned, setup_campaign

CAMPAIGN = "wgbw-2015"
WGBW = Path(__file__).parent.parent / "definitions" / "wgbw-2015.yaml"
REMINDERS = """
reminders:
  machine: item
  states: [reported]
  to: [supervision-office]
  levels:
    - {key: confirm-reminder, title: 核实提醒, at: +1 working day, action: 请尽快核实问题是否属实}
    - {key: confirm-urge, title: 核实催办, at: +3 working days}
"""
STAGE_WHY = "问题完成比例不低于 90%: only 0 of 2 (0%) are done; 90% needed"
TO = "县委组织部（干部监督科）"  # the lead unit, then the roles that may force
STAGES = [("2016-01-02", "stage", "stage-close", "supervise"),
          ("2016-01-02", "stage", "stage-close", "institutionalize")]


def definition(tmp: Path, secret_titles: bool = False) -> str:
    text = WGBW.read_text(encoding="utf-8").replace(
        "deadlines:\n", "deadlines:\n  confirm_within: 3 working days\n", 1) + REMINDERS
    if secret_titles:
        text = text.replace("confidential: [reporter, reporter_contact]",
                            "confidential: [reporter, reporter_contact, title]")
    path = tmp / "wgbw-2015.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def build(tmp: Path, db: str | None = None, secret_titles: bool = False) -> Rectify:
    """A planned item never done (due 12-30) and a report never confirmed (reported 08-03, to be
    confirmed by 08-06), ticked to 12-31, then to 2016-01-02 in a tick of its own."""
    r = Rectify(db or str(tmp / "r.db"))
    setup_campaign(r, definition(tmp, secret_titles))
    r.codes = [add_planned(r, CAMPAIGN, "2015-08-03", "2015-12-30"),  # type: ignore[attr-defined]
               r.ok("item", "add", CAMPAIGN, "--title", "无人核实的举报", "--unit", "tax",
                    "--category", "passive-attitude", "--source", "public-report", "--actor",
                    "sup", "--as-of", "2015-08-03").strip()]
    r.ok("tick", CAMPAIGN, "--as-of", "2015-12-31")
    r.ok("tick", CAMPAIGN, "--as-of", "2016-01-02")
    return r


@pytest.fixture(scope="module")
def r(tmp_path_factory: pytest.TempPathFactory) -> Rectify:
    return build(tmp_path_factory.mktemp("office"))


def office(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(n["issued_on"], n["kind"], n["level"], n["code"]) for n in rows
            if n["kind"] != "escalation"]


def test_json_lists_stage_and_reminder_notices_with_the_escalations(r: Rectify) -> None:
    planned, waiting = r.codes  # type: ignore[attr-defined]
    rows = r.json("notices", CAMPAIGN)
    assert office(rows) == [("2015-08-07", "reminder", "confirm-reminder", waiting),
                            ("2015-08-11", "reminder", "confirm-urge", waiting), *STAGES]
    assert [n["issued_on"] for n in rows] == sorted(n["issued_on"] for n in rows)  # by day
    stage = next(n for n in rows if n["kind"] == "stage")
    assert {k: stage[k] for k in ("title", "level_title", "to", "deadline", "days_overdue",
                                  "since", "guards", "reason", "roles", "status")} == {
        "title": "监督检查", "level_title": "stage not closed", "to": TO,
        "deadline": "2015-12-31", "days_overdue": 2, "since": "2016-01-01",
        "guards": ["问题完成比例不低于 90%"], "reason": STAGE_WHY, "roles": ["lead-office"],
        "status": ""}
    first = rows[[n["level"] for n in rows].index("confirm-reminder")]
    assert {k: first[k] for k in ("level_title", "to", "unit", "title", "deadline",
                                  "days_overdue", "action")} == {
        "level_title": "核实提醒", "to": "县“两办”督查室", "unit": "县税务局",
        "title": "无人核实的举报", "deadline": "2015-08-06", "days_overdue": 1,
        "action": "请尽快核实问题是否属实"}
    assert {n["kind"] for n in rows} == {"escalation", "stage", "reminder"}
    assert any(n["code"] == planned and n["level"] == "supervision" for n in rows)


def test_filters_kind_level_unit_since_and_as_of(r: Rectify) -> None:
    _planned, waiting = r.codes  # type: ignore[attr-defined]
    assert office(r.json("notices", CAMPAIGN, "--kind", "stage")) == STAGES
    assert {n["kind"] for n in r.json("notices", CAMPAIGN, "--kind", "stage")} == {"stage"}
    assert {n["kind"] for n in r.json("notices", CAMPAIGN, "--kind", "escalation")} == {"escalation"}
    both = r.json("notices", CAMPAIGN, "--kind", "stage,reminder")
    assert both == r.json("notices", CAMPAIGN, "--kind", "stage", "--kind", "reminder")
    assert {n["kind"] for n in both} == {"stage", "reminder"}
    assert [n["level"] for n in r.json("notices", CAMPAIGN, "--level", "核实催办")] == ["confirm-urge"]
    # --unit: notices about that subtree's items; a stage is about no unit's items
    assert office(r.json("notices", CAMPAIGN, "--unit", "tax")) == [
        ("2015-08-07", "reminder", "confirm-reminder", waiting),
        ("2015-08-11", "reminder", "confirm-urge", waiting)]
    assert office(r.json("notices", CAMPAIGN, "--unit", "fin")) == []
    assert office(r.json("notices", CAMPAIGN, "--since", "2015-08-10")) == [
        ("2015-08-11", "reminder", "confirm-urge", waiting), *STAGES]
    assert office(r.json("notices", CAMPAIGN, "--as-of", "2015-08-10")) == [
        ("2015-08-07", "reminder", "confirm-reminder", waiting)]
    out = r.fails(2, "notices", CAMPAIGN, "--kind", "stages")
    assert "unknown notice kind 'stages'" in out and "did you mean 'stage'?" in out


def test_csv_and_table(r: Rectify) -> None:
    rows = list(csv.DictReader(io.StringIO(r.ok("notices", CAMPAIGN, "--csv", "--kind", "stage"))))
    assert [(x["kind"], x["code"], x["title"], x["to"], x["deadline"]) for x in rows] == [
        ("stage", "supervise", "监督检查", TO, "2015-12-31"),
        ("stage", "institutionalize", "建章立制", TO, "2015-12-31")]
    assert rows[0]["reason"] == STAGE_WHY
    assert rows[1]["reason"].startswith("问题均已办结或转为长期整改: 2 item(s) are still open")
    text = r.ok("notices", CAMPAIGN, "--kind", "reminder,stage")
    assert text.splitlines()[0].split()[:5] == ["issued", "kind", "level", "title", "addressee"]
    assert "stage not closed" in text and STAGE_WHY in text
    assert "核实提醒" in text and "核实催办" in text and "县“两办”督查室" in text
    from campaigns.cli import cli

    chinese = r.runner.invoke(cli, ["--lang", "zh_CN", "notices", CAMPAIGN, "--kind", "stage",
                                    "--db", r.db])
    assert "阶段未按期结束" in chinese.output and "主送" in chinese.output


def test_html_pages_to_the_office_beside_the_documents(r: Rectify, tmp_path: Path) -> None:
    _planned, waiting = r.codes  # type: ignore[attr-defined]
    folder = tmp_path / "html"
    out = r.ok("notices", CAMPAIGN, "--kind", "stage,reminder", "--html", str(folder))
    # a row a refusing guard: 监督检查's share, 建章立制's open items and missing mechanisms
    assert out.startswith("0 document(s) listing 0 notice(s) for 0 unit(s) and 3 page(s) of "
                          "notices to the office (5 row(s))")
    assert sorted(p.name for p in folder.iterdir()) == [
        "office-reminder-confirm-reminder-2015-08-07.html",
        "office-reminder-confirm-urge-2015-08-11.html", "office-stage-2016-01-02.html"]
    page = (folder / "office-stage-2016-01-02.html").read_text(encoding="utf-8")
    assert "<h1>阶段逾期提示</h1>" in page and f"<p>{TO}：</p>" in page
    assert "监督检查（supervise）" in page and "问题完成比例不低于 90%" in page
    assert "建章立制（institutionalize）" in page and "监督检查、建章立制应已按期结束" in page
    # the reason, stored in the log in English, reads in Chinese in a Chinese document
    assert "仅完成 0 个（共 2 个，0%），需达到 90%" in page and "2016年1月2日" in page
    assert "only 0 of 2" not in page
    page = (folder / "office-reminder-confirm-reminder-2015-08-07.html").read_text(encoding="utf-8")
    assert "<h1>核实提醒</h1>" in page and "<p>县“两办”督查室：</p>" in page
    assert waiting in page and "无人核实的举报" in page and "请尽快核实问题是否属实" in page
    # one file: the 督办通知书 first, then the pages to the office
    single = tmp_path / "all.html"
    out = r.ok("notices", CAMPAIGN, "-o", str(single))
    whole = single.read_text(encoding="utf-8")
    assert whole.count('<section class="office">') == 3
    assert whole.index("<h1>督办通知书</h1>") < whole.index("<h1>阶段逾期提示</h1>")


def test_docx_carries_the_pages_to_the_office(r: Rectify, tmp_path: Path) -> None:
    from docx import Document

    path = tmp_path / "n.docx"
    r.ok("notices", CAMPAIGN, "--kind", "stage", "-o", str(path))
    document = Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "阶段逾期提示" in text and f"{TO}：" in text
    assert "监督检查（supervise）" in cells and "问题完成比例不低于 90%" in cells
    assert "仅完成 0 个（共 2 个，0%），需达到 90%" in cells


def test_an_undone_tick_withdraws_its_notices_as_it_does_the_escalations(tmp_path: Path) -> None:
    r = build(tmp_path)
    planned, _waiting = r.codes  # type: ignore[attr-defined]
    # the tick to 2016-01-02 wrote the stages' notices only (督办 came on 12-31)
    before = r.json("notices", CAMPAIGN, "--since", "2016-01-01")
    assert office(before) == STAGES and len(before) == 2
    out = r.ok("campaign", "undo", CAMPAIGN, "--note", "时钟跑错日期", "--actor", "lead")
    assert "undid tick" in out
    after = r.json("notices", CAMPAIGN, "--since", "2016-01-01")
    assert [(n["kind"], n["status"]) for n in after] == [("stage", "作废"), ("stage", "作废")]
    # the tick to 12-31 undone too: its escalations and its reminders are 作废 alike
    r.ok("campaign", "undo", CAMPAIGN, "--note", "时钟跑错日期", "--actor", "lead", "--as-of",
         "2016-01-02")
    rows = r.json("notices", CAMPAIGN)
    assert {(n["kind"], n["status"]) for n in rows} == {("escalation", "作废"), ("reminder", "作废"),
                                                        ("stage", "作废")}
    # as of a day before the undo (dated 2016-01-02), a notice stands as it stood then
    assert {n["status"] for n in r.json("notices", CAMPAIGN, "--as-of", "2016-01-01")} == {""}
    assert {n["status"] for n in r.json("notices", CAMPAIGN, "--as-of", "2016-01-02")} == {"作废"}
    # the clock runs again: every notice is given anew, the withdrawn ones stay 作废
    r.ok("tick", CAMPAIGN, "--as-of", "2016-01-02")
    again = r.json("notices", CAMPAIGN)
    live = [(n["issued_on"], n["kind"], n["level"]) for n in again if not n["status"]]
    gone = [(n["issued_on"], n["kind"], n["level"]) for n in again if n["status"]]
    assert sorted(live) == sorted(gone)
    assert ("2016-01-02", "stage", "stage-close") in live
    assert ("2015-08-07", "reminder", "confirm-reminder") in live
    assert any(n["code"] == planned and n["kind"] == "escalation" for n in again if not n["status"])


def test_a_confidential_title_is_shown_only_to_an_entitled_actor(tmp_path: Path) -> None:
    r = build(tmp_path, secret_titles=True)
    for args in ((), ("--csv",), ("--json",)):
        assert "无人核实的举报" not in r.ok("notices", CAMPAIGN, "--kind", "reminder", *args)
    folder = tmp_path / "html"
    r.ok("notices", CAMPAIGN, "--kind", "reminder", "--html", str(folder))
    assert all("无人核实的举报" not in p.read_text(encoding="utf-8") for p in folder.iterdir())
    shown = r.json("notices", CAMPAIGN, "--kind", "reminder", "--actor", "lead")
    assert {n["title"] for n in shown} == {"无人核实的举报"}
    assert r.sql("SELECT count(*) FROM events WHERE \"trigger\" = 'read'") == [(1,)]


def test_on_postgresql(tmp_path: Path, pg_db_url: str) -> None:
    r = build(tmp_path, pg_db_url)
    assert office(r.json("notices", CAMPAIGN, "--kind", "stage")) == STAGES
    r.ok("campaign", "undo", CAMPAIGN, "--note", "时钟跑错日期", "--actor", "lead")
    assert [n["status"] for n in r.json("notices", CAMPAIGN, "--kind", "stage")] == ["作废", "作废"]
    assert [n["status"] for n in r.json("notices", CAMPAIGN, "--kind", "reminder")] == ["", ""]
    r.ok("tick", CAMPAIGN, "--as-of", "2016-01-02")
    assert [n["status"] for n in r.json("notices", CAMPAIGN, "--kind", "stage")] == [
        "作废", "作废", "", ""]
