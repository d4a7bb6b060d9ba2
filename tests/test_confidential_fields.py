"""Every command × every field a definition may mark confidential: with all of them marked, no
output shows any of their values to a viewer without an entitled role (no --actor, or one
without ``confidential: true``), while an entitled one sees them and each such read is an
event of the log."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, DEFINITION, county, invoke

from campaigns.plugin import MAY_HIDE

# each field that may be confidential, and the value the test gives it
VALUES = {"title": "标题机密甲", "description": "描述机密乙", "measures": "措施机密丙",
          "target": "目标机密丁", "department": "部门机密戊", "leader": "领导机密己",
          "person": "责任人机密庚", "progress": "进展机密辛", "reporter": "举报人机密壬",
          "reporter_contact": "13999990000"}
DAY = "2015-09-30"  # after the deadline: the ladder has issued notices
# the name of a person held accountable: the definition keeps the register confidential
SANCTIONED = "问责对象机密子"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("conf")
    assert set(VALUES) == set(MAY_HIDE)
    text = Path(DEFINITION).read_text(encoding="utf-8")
    definition = tmp / "all-secret.yaml"
    definition.write_text(text.replace("confidential: [reporter, reporter_contact]",
                                       f"confidential: [{', '.join(MAY_HIDE)}]"), encoding="utf-8")
    db = county(str(tmp / "c.db"), definition=str(definition))
    invoke(db, "person", "add", "--actor", "admin", "qian-czj", "--name", VALUES["leader"], "--unit", "czj")
    invoke(db, "person", "add", "--actor", "admin", "sun-czj", "--name", VALUES["person"], "--unit", "czj")
    code = invoke(db, "item", "add", CAMPAIGN, "--title", VALUES["title"], "--unit", "czj",
                  "--category", "cold-service", "--source", "public-report",
                  "--reporter", VALUES["reporter"], "--reporter-contact", VALUES["reporter_contact"],
                  "--description", VALUES["description"], "--actor", "sup",
                  "--as-of", "2015-08-03").output.strip()
    invoke(db, "item", "advance", "confirm", code, "--actor", "sup", "--as-of", "2015-08-04")
    invoke(db, "item", "rectify", code, "--measures", VALUES["measures"], "--target",
           VALUES["target"], "--department", VALUES["department"], "--deadline", "2015-08-20",
           "--leader", "qian-czj", "--person", "sun-czj", "--actor", "zhang-czj",
           "--as-of", "2015-08-05")
    invoke(db, "item", "progress", code, "--note", VALUES["progress"], "--actor", "zhang-czj",
           "--as-of", "2015-08-06")
    invoke(db, "item", "edit", code, "--typical", "--actor", "sup", "--as-of", "2015-08-07")
    invoke(db, "person", "add", "--actor", "admin", "acc-czj", "--name", SANCTIONED, "--unit", "czj")
    invoke(db, "accountability", "add", CAMPAIGN, "--item", code, "--person", "acc-czj",
           "--person", "qian-czj", "--outcome", "admonish", "--actor", "lead",
           "--as-of", "2015-08-08")
    invoke(db, "mechanism", "add", CAMPAIGN, "--title", "窗口服务规范", "--kind", "rule",
           "--item", code, "--actor", "lead", "--as-of", "2015-08-08")
    invoke(db, "tick", CAMPAIGN, "--as-of", DAY)
    return db


def file_text(path: Path) -> str:
    """Every piece of text in a written file: each part of a zip (XLSX, DOCX), a PDF's text."""
    if path.is_dir():
        return "\n".join(file_text(p) for p in sorted(path.iterdir()))
    if path.suffix in (".xlsx", ".docx"):
        with zipfile.ZipFile(path) as zf:
            raw = "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
        if path.suffix == ".xlsx":  # its XML may hold CJK as character references: the cells
            from openpyxl import load_workbook

            book = load_workbook(path)
            raw += "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows()
                              for c in row if c.value is not None)
        return raw
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return "".join(p.extract_text() for p in PdfReader(str(path)).pages).replace(" ", "")
    return path.read_text(encoding="utf-8-sig")


# every command that shows a campaign or its items; {o} is an output path to write
COMMANDS: list[tuple[str, ...]] = [
    ("item", "show", "WGBW-2015-0001"), ("item", "show", "WGBW-2015-0001", "--json"),
    ("item", "show", "WGBW-2015-0001", "--csv"),
    ("item", "list", CAMPAIGN), ("item", "list", CAMPAIGN, "--json"),
    ("item", "list", CAMPAIGN, "--csv"), ("item", "triggers", "WGBW-2015-0001", "--actor", "wu-qsz"),
    ("campaign", "status", CAMPAIGN), ("campaign", "status", CAMPAIGN, "--json"),
    ("campaign", "list"),
    ("ledger", CAMPAIGN, "-o", "{o}.csv"), ("ledger", CAMPAIGN, "-o", "{o}.xlsx"),
    ("report", CAMPAIGN, "--month", "2015-08", "-o", "{o}.md"),
    ("report", CAMPAIGN, "--month", "2015-08", "-o", "{o}.html"),
    ("board", CAMPAIGN, "-o", "{o}.html"), ("dashboard", CAMPAIGN, "-o", "{o}.html"),
    ("notices", CAMPAIGN), ("notices", CAMPAIGN, "--json"), ("notices", CAMPAIGN, "--csv"),
    ("notices", CAMPAIGN, "-o", "{o}"), ("notices", CAMPAIGN, "-o", "{o}.docx"),
    ("notices", CAMPAIGN, "-o", "{o}.pdf"),
    *[("diagram", CAMPAIGN, "--kind", k, "-o", "{o}.dot")
      for k in ("stages", "items", "rectifications", "escalation", "units")],
    ("audit", "verify", CAMPAIGN), ("audit", "head", CAMPAIGN),
    ("tick", CAMPAIGN, "--dry-run"),
    ("accountability", "list", CAMPAIGN), ("accountability", "list", CAMPAIGN, "--json"),
    ("accountability", "list", CAMPAIGN, "--csv"), ("mechanism", "list", CAMPAIGN),
    ("mechanism", "show", "1", "--json"),
]


def outputs(db: str, tmp: Path, viewer: list[str]) -> Iterator[tuple[str, str]]:
    """(command, everything it printed and wrote) for each of COMMANDS."""
    for i, args in enumerate(COMMANDS):
        out = tmp / f"out{i}"
        argv = [a.replace("{o}", str(out)) for a in args]
        dated = ["--as-of", DAY] if args[:2] != ("campaign", "list") else []
        signed = viewer if args[0] in ("item", "ledger", "report", "notices",
                                       "accountability") else []
        result = invoke(db, *argv, *signed, *dated)
        written = [p for p in tmp.iterdir() if p.name.startswith(f"out{i}")]
        yield " ".join(args), result.output + "".join(file_text(p) for p in written)


@pytest.mark.parametrize("viewer", [[], ["--actor", "zhang-czj"]], ids=["nobody", "unit-head"])
def test_no_confidential_value_in_any_output(db: str, tmp_path: Path, viewer: list[str]) -> None:
    before = events(db)
    seen = 0
    for command, text in outputs(db, tmp_path, viewer if viewer else []):
        seen += 1
        for name, value in {**VALUES, "sanctioned": SANCTIONED}.items():
            assert value not in text, f"{name} ({value}) shown by 'rectify {command}'"
    assert seen == len(COMMANDS)
    assert [e for e in events(db) if e[1] == "read"] == [e for e in before if e[1] == "read"]


def events(db: str) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT actor, trigger, subject_key, coalesce(payload, '') "
                            "FROM events ORDER BY id").fetchall()


def test_an_entitled_viewer_sees_them_and_the_read_is_recorded(db: str, tmp_path: Path) -> None:
    shown = json.loads(invoke(db, "item", "show", "WGBW-2015-0001", "--json", "--actor", "sup",
                              "--as-of", DAY).output)
    assert {k: shown[k] for k in ("title", "description", "measures", "target", "reporter",
                                  "reporter_contact", "leader", "person")} == {
        k: VALUES[k] for k in ("title", "description", "measures", "target", "reporter",
                               "reporter_contact", "leader", "person")}
    assert shown["progress"][0]["note"] == VALUES["progress"]
    out = tmp_path / "ledger.csv"
    invoke(db, "ledger", CAMPAIGN, "-o", str(out), "--actor", "lead", "--as-of", DAY)
    assert VALUES["measures"] in out.read_text(encoding="utf-8-sig")
    listed = json.loads(invoke(db, "item", "list", CAMPAIGN, "--json", "--actor", "sup",
                               "--as-of", DAY).output)
    assert listed[0]["person"] == VALUES["person"]
    reads = [(actor, subject, json.loads(payload)) for actor, trigger, subject, payload
             in events(db) if trigger == "read"]
    assert [(a, s, p["output"], p["items"]) for a, s, p in reads] == [
        ("sup", "WGBW-2015-0001", "item show", 1), ("lead", CAMPAIGN, "ledger", 1),
        ("sup", CAMPAIGN, "item list", 1)]
    assert "reporter" in reads[0][2]["fields"] and "reporter" not in reads[1][2]["fields"]
    for value in VALUES.values():  # the record of a read names fields, never values
        assert all(value not in json.dumps(p, ensure_ascii=False) for _, _, p in reads)
    assert invoke(db, "audit", "verify", CAMPAIGN).exit_code == 0


def test_what_supervision_counts_by_cannot_be_confidential(tmp_path: Path) -> None:
    text = Path(DEFINITION).read_text(encoding="utf-8")
    definition = tmp_path / "bad.yaml"
    definition.write_text(text.replace("confidential: [reporter, reporter_contact]",
                                       "confidential: [reporter, state]"), encoding="utf-8")
    result = invoke(str(tmp_path / "none.db"), "validate", str(definition), ok=False)
    assert result.exit_code != 0
    assert "not-confidential" in result.output or "'state' cannot be confidential" in result.output


def test_names_held_accountable_only_for_an_entitled_viewer(db: str) -> None:
    before = [e for e in events(db) if e[1] == "read"]
    shown = json.loads(invoke(db, "accountability", "list", CAMPAIGN, "--json", "--actor", "lead",
                              "--as-of", DAY).output)
    assert shown["cases"][0]["people"] == f"{SANCTIONED}、{VALUES['leader']}"
    reads = [e for e in events(db) if e[1] == "read"][len(before):]
    assert [(a, json.loads(p)["fields"]) for a, _t, _s, p in reads] == [("lead", ["sanctioned"])]
    assert SANCTIONED not in reads[0][3]
