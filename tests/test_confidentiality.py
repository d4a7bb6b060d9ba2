"""No confidential value leaves in any export: a reporter's identity and contact, and every
field the definition marks confidential, are absent from the ledger (XLSX and CSV), the
monthly report (Markdown and HTML), the public board, the dashboard, and item listings
(--json, --csv) — while an entitled actor can still see them."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, DEFINITION, HEADERS, ROWS, county, invoke, write_xlsx

SECRETS = ("举报人周某某", "13912345678", "举报人钱某某", "13800001111", "描述里的保密细节", "孙保密")


@pytest.fixture
def db(tmp_path: Path) -> str:
    text = Path(DEFINITION).read_text(encoding="utf-8")
    assert "confidential: [reporter, reporter_contact]" in text
    definition = tmp_path / "wgbw-secret.yaml"
    definition.write_text(text.replace("confidential: [reporter, reporter_contact]",
                                       "confidential: [reporter, reporter_contact, description, "
                                       "person]"), encoding="utf-8")
    db = county(str(tmp_path / "c.db"), definition=str(definition))
    invoke(db, "person", "add", "--actor", "admin", "sun-czj", "--name", "孙保密", "--unit", "czj")
    code = invoke(db, "item", "add", CAMPAIGN, "--title", "窗口工作人员索要好处", "--unit", "czj",
                  "--category", "cold-service", "--source", "public-report",
                  "--reporter", "举报人周某某", "--reporter-contact", "13912345678",
                  "--description", "描述里的保密细节", "--actor", "sup",
                  "--as-of", "2015-08-03").output.strip()
    invoke(db, "item", "advance", "confirm", code, "--actor", "sup", "--as-of", "2015-08-04")
    invoke(db, "item", "rectify", code, "--measures", "严肃处理并公开承诺", "--deadline", "2015-08-10",
           "--leader", "zhang-czj", "--person", "sun-czj", "--actor", "zhang-czj",
           "--as-of", "2015-08-05")
    invoke(db, "item", "edit", code, "--typical", "--actor", "sup", "--as-of", "2015-08-05")
    rows = [r + ["举报人钱某某", "13800001111"] for r in ROWS]
    path = write_xlsx(tmp_path / "举报.xlsx", rows, HEADERS + ["举报人", "举报人联系方式"])
    invoke(db, "item", "import", CAMPAIGN, str(path), "--actor", "lead", "--as-of", "2015-08-06")
    return db


def exported_text(path: Path) -> str:
    """Every byte of text in the file; for a workbook, every part inside it."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as zf:
            return "\n".join(zf.read(name).decode("utf-8", "replace") for name in zf.namelist())
    return path.read_text(encoding="utf-8-sig")


def test_no_confidential_value_in_any_export(db: str, tmp_path: Path) -> None:
    files = []
    for name, args in (("ledger.xlsx", ["ledger", CAMPAIGN]), ("ledger.csv", ["ledger", CAMPAIGN]),
                       ("report.md", ["report", CAMPAIGN, "--month", "2015-08"]),
                       ("report.html", ["report", CAMPAIGN, "--month", "2015-08"]),
                       ("board.html", ["board", CAMPAIGN]),
                       ("dashboard.html", ["dashboard", CAMPAIGN])):
        out = tmp_path / name
        invoke(db, *args, "-o", str(out), "--as-of", "2015-08-31")
        files.append(out)
    texts = {f.name: exported_text(f) for f in files}
    for fmt in ("--json", "--csv"):
        texts[f"item list {fmt}"] = invoke(db, "item", "list", CAMPAIGN, fmt,
                                           "--as-of", "2015-08-31").output
    assert "窗口工作人员索要好处" in texts["ledger.csv"]  # the item itself is there
    assert "严肃处理并公开承诺" in texts["board.html"] and "严肃处理并公开承诺" in texts["report.md"]
    for where, text in texts.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into {where}"
    assert "责任人" not in texts["ledger.csv"].splitlines()[0]  # a confidential column: gone
    assert "person" not in json.loads(texts["item list --json"])[0]


def test_an_entitled_actor_still_sees_them(db: str) -> None:
    shown = json.loads(invoke(db, "item", "show", "WGBW-2015-0001", "--json", "--actor", "sup",
                              "--as-of", "2015-08-31").output)
    assert (shown["reporter"], shown["reporter_contact"]) == ("举报人周某某", "13912345678")
    hidden = invoke(db, "item", "show", "WGBW-2015-0001", "--json", "--actor", "zhang-czj",
                    "--as-of", "2015-08-31").output
    assert "举报人周某某" not in hidden and "13912345678" not in hidden
    imported = json.loads(invoke(db, "item", "show", "WGBW-2015-0002", "--json", "--actor", "lead",
                                 "--as-of", "2015-08-31").output)
    assert imported["reporter"] == "举报人钱某某"


def test_conflicts_on_reimport_never_print_secrets(db: str, tmp_path: Path) -> None:
    rows = [r + ["另一位举报人", "13700002222"] for r in ROWS]
    path = write_xlsx(tmp_path / "举报.xlsx", rows, HEADERS + ["举报人", "举报人联系方式"])
    result = invoke(db, "item", "import", CAMPAIGN, str(path), "--actor", "lead",
                    "--as-of", "2015-08-07", ok=False)
    assert "4 conflict(s)" in result.output and "举报人 differs" in result.output
    for secret in ("另一位举报人", "13700002222", "举报人钱某某", "13800001111"):
        assert secret not in result.output
    events = invoke(db, "item", "show", "WGBW-2015-0002", "--json", "--as-of", "2015-08-31").output
    assert "举报人钱某某" not in events  # nor in the history an unentitled viewer sees
