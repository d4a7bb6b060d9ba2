"""督办通知书 as issued: one per unit, level and day, only open items, numbered once; DOCX and PDF."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from clock_fixtures import WGBW, Rectify, add_planned, setup_campaign
from docx import Document
from pypdf import PdfReader

from campaigns.cli import cli
from campaigns.numbering import allocate, last_given, parse_pattern
from engine.core.errors import InvalidInput

NUMBER = "{issuer_short}督〔{year}〕{seq}号"


@pytest.fixture
def r(tmp_path: Path) -> Rectify:
    """县财政局's A (open throughout) and B (verified on 10-01, the day of its 督办); 县税务局's C."""
    rectify = Rectify(str(tmp_path / "d.db"))
    setup_campaign(rectify)
    a = add_planned(rectify, "wgbw-2015", "2015-08-03", "2015-09-30", title="窗口服务拖延")
    b = add_planned(rectify, "wgbw-2015", "2015-08-03", "2015-09-30", title="会议纪要不落实")
    c = add_planned(rectify, "wgbw-2015", "2015-08-04", "2015-09-30", title="办事推诿", unit="tax",
                    head="taxboss")
    rectify.ok("item", "advance", "submit", b, "--actor", "boss", "--as-of", "2015-10-01")
    rectify.ok("item", "advance", "verify", b, "--actor", "sup", "--as-of", "2015-10-01")
    rectify.ok("tick", "wgbw-2015", "--as-of", "2015-12-01")
    rectify.codes = [a, b, c]  # type: ignore[attr-defined]
    return rectify


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_one_document_per_level_and_day_with_only_open_items(r: Rectify, tmp_path: Path) -> None:
    a, b, c = r.codes  # type: ignore[attr-defined]
    notices = r.json("notices", "wgbw-2015", "--unit", "fin")
    assert sorted((n["issued_on"], n["level"], n["code"]) for n in notices) == [
        ("2015-09-25", "reminder", a), ("2015-09-25", "reminder", b),
        ("2015-10-01", "supervision", a), ("2015-10-01", "supervision", b),  # B's, then closed
        ("2015-11-03", "circular", a), ("2015-12-01", "accountability", a)]
    out = tmp_path / "out"
    text = r.ok("notices", "wgbw-2015", "--unit", "fin", "-o", str(out))
    assert text.startswith("4 document(s) listing 5 notice(s) for 1 unit(s)")
    assert sorted(os.listdir(out)) == [
        "fin-accountability-2015-12-01.html", "fin-circular-2015-11-03.html",
        "fin-reminder-2015-09-25.html", "fin-supervision-2015-10-01.html"]
    reminder = read(out / "fin-reminder-2015-09-25.html")
    assert "下列2项整改事项即将到期，现予以提醒" in reminder and a in reminder and b in reminder
    supervision = read(out / "fin-supervision-2015-10-01.html")
    assert "下列1项整改事项已逾期未完成，现予以督办" in supervision
    assert a in supervision and b not in supervision  # verified by the end of that day
    circular = read(out / "fin-circular-2015-11-03.html")
    # measured from the 督办's new deadline 10-20: 10-21..23, 26..30, 11-02, 11-03 = 10 working days
    assert "<td>2015-10-20</td><td class=n>10</td>" in circular
    assert "并于2015年11月10日前" in circular  # 5 working days after 11-03
    assert "下列1项" in read(out / "fin-accountability-2015-12-01.html")


def events_issued(r: Rectify) -> list[tuple[str, str]]:
    engine = sa.create_engine(f"sqlite:///{r.db}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT subject_key, business_date FROM events "
                                    "WHERE trigger = 'issue' ORDER BY id")).all()
    engine.dispose()
    return [(s, str(d)) for s, d in rows]


def test_issue_numbers_once_in_the_office_series(r: Rectify, tmp_path: Path) -> None:
    a, _, c = r.codes  # type: ignore[attr-defined]
    out = r.ok("notices", "wgbw-2015", "--issue", "--as-of", "2015-10-01", "--actor", "sup")
    assert out.splitlines()[:2] == [
        "issued 县组督〔2015〕1号 to 县财政局 (督办, 2015-10-01, 1 item(s), reply by 2015-10-13)",
        "issued 县组督〔2015〕2号 to 县税务局 (督办, 2015-10-01, 1 item(s), reply by 2015-10-13)"]
    again = r.ok("notices", "wgbw-2015", "--issue", "--as-of", "2015-10-01", "--actor", "sup")
    assert again == out  # issued already: the same numbers, nothing new
    assert events_issued(r) == [("县组督〔2015〕1号", "2015-10-01"), ("县组督〔2015〕2号", "2015-10-01")]
    later = r.ok("notices", "wgbw-2015", "--issue", "--since", "2015-11-01", "--as-of", "2015-12-01",
                 "--actor", "sup", "--level", "circular")
    assert [line.split()[1] for line in later.splitlines()[:2]] == ["县组督〔2015〕3号", "县组督〔2015〕4号"]
    r.ok("audit", "verify", "wgbw-2015")  # the chain holds the issue events


def test_issue_needs_an_actor_and_changes_nothing_when_a_file_fails(r: Rectify, tmp_path: Path) -> None:
    out = r.fails(1, "notices", "wgbw-2015", "--issue", "--as-of", "2015-10-01")
    assert "--actor is required" in out
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    out = r.fails(4, "notices", "wgbw-2015", "--issue", "--as-of", "2015-10-01", "--actor", "sup",
                  "-o", str(blocker / "sub"), "--format", "pdf")
    assert "cannot write" in out and "Traceback" not in out
    assert events_issued(r) == []  # rolled back: the number is given to the next issue, no gap
    text = r.ok("notices", "wgbw-2015", "--issue", "--as-of", "2015-10-01", "--actor", "sup")
    assert text.startswith("issued 县组督〔2015〕1号")


def test_docx_and_pdf_read_back(r: Rectify, tmp_path: Path) -> None:
    a, b, _ = r.codes  # type: ignore[attr-defined]
    docx_path, pdf_path = tmp_path / "n.docx", tmp_path / "n.pdf"
    for path in (docx_path, pdf_path):
        r.ok("notices", "wgbw-2015", "--issue", "--as-of", "2015-10-01", "--actor", "sup",
             "--unit", "fin", "-o", str(path))
    document = Document(str(docx_path))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[:4] == ["督办通知书", "县组督〔2015〕1号", "开展“为官不为”行为专项治理", "县财政局："]
    assert "并于2015年10月13日前将整改情况书面报送县委组织部（干部监督科）" in paragraphs[4]
    assert paragraphs[-2:] == ["县委组织部", "2015年10月1日"]
    (table,) = document.tables
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells == [["序号", "问题编号", "问题", "责任领导", "责任人", "整改时限", "逾期（工作日）",
                      "新整改时限"],
                     ["1", a, "窗口服务拖延", "张局长", "钱科员", "2015-09-30", "0", "2015-10-20"]]
    reader = PdfReader(str(pdf_path))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text().replace(" ", "").replace("\n", "")
    for expected in ("督办通知书", "县组督〔2015〕1号", "县财政局", a, "窗口服务拖延", "2015年10月13日"):
        assert expected in text, expected
    assert b not in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) not installed")
def test_pdf_renders_chinese(r: Rectify, tmp_path: Path) -> None:
    from PIL import Image

    pdf = tmp_path / "n.pdf"
    r.ok("notices", "wgbw-2015", "--as-of", "2015-10-01", "--since", "2015-10-01", "--unit", "fin",
         "-o", str(pdf))
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", str(pdf), str(tmp_path / "p")],
                   check=True)
    image = Image.open(tmp_path / "p.png").convert("RGB")
    # the red title: 督办通知书 drawn in glyphs, not missing-glyph boxes in black
    colors = image.getcolors(maxcolors=1 << 20) or []
    red = sum(n for n, (cr, cg, cb) in colors if cr > 150 and cg < 80 and cb < 80)
    assert red > 200


@pytest.mark.parametrize(("pattern", "message"), [
    ("{issuer_short}督〔{year}〕{seq:04d}号", "'{seq:04d}' in"),
    ("{issuer_short}督〔{year.real}〕{seq}号", "'{year.real}' in"),
    ("{issuer_short!r}〔{year}〕{seq}号", "'{issuer_short!r}' in"),
    ("{__class__}{year}{seq}", "'{__class__}' in"),
    ("督〔{year}〕号", "has no {seq}"),
    ("督〔{seq}〕号", "has no {year}"),
    ("督〔{year}〕{seq}{seq}", "appears twice"),
    ("督〔{year}〕{seq", "not well formed"),
])
def test_patterns_hold_only_the_placeholders(pattern: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_pattern(pattern)
    assert message in caught.value.message


def test_pattern_renders_number_and_series() -> None:
    p = parse_pattern("{issuer_short}督〔{year}〕{seq}号 {{副本}}")
    assert p.render("县组", 2015, 7) == "县组督〔2015〕7号 {副本}"
    assert p.series("县组") == "县组督〔{year}〕{seq}号 {副本}"


def test_definition_pattern_is_checked(tmp_path: Path) -> None:
    text = Path(WGBW).read_text(encoding="utf-8").replace(NUMBER, "{issuer_short}督〔{year}〕{seq:03}号")
    assert text != Path(WGBW).read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("  reply_within: 5 working days", "  reply_within: 0 working days"),
                   encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 1
    out = result.output
    assert "bad-number-pattern" in out and "'{seq:03}'" in out and "bad-reply-within" in out


def test_one_sequence_per_series_and_year(tmp_path: Path) -> None:
    r = Rectify(str(tmp_path / "s.db"))
    r.ok("init", "--admin", "admin")
    engine = sa.create_engine(f"sqlite:///{r.db}")
    with engine.begin() as conn:  # two campaigns of one office draw from one series
        assert [allocate(conn, "县组督〔{year}〕{seq}号", 2015) for _ in range(3)] == [1, 2, 3]
        assert allocate(conn, "县组督〔{year}〕{seq}号", 2016) == 1
        assert allocate(conn, "县纪督〔{year}〕{seq}号", 2015) == 1
    with engine.connect() as conn:
        with conn.begin() as tx:
            assert allocate(conn, "县组督〔{year}〕{seq}号", 2015) == 4
            tx.rollback()
        assert last_given(conn, "县组督〔{year}〕{seq}号", 2015) == 3
    engine.dispose()


@pytest.mark.postgres
def test_sequence_on_postgres(pg_db_url: str) -> None:
    Rectify(pg_db_url).ok("init", "--admin", "admin")
    engine = sa.create_engine(pg_db_url)
    try:
        with engine.begin() as conn:
            assert [allocate(conn, "S〔{year}〕{seq}", 2015) for _ in range(2)] == [1, 2]
        with engine.connect() as conn:
            with conn.begin() as tx:
                assert allocate(conn, "S〔{year}〕{seq}", 2015) == 3
                tx.rollback()
        with engine.begin() as conn:
            assert allocate(conn, "S〔{year}〕{seq}", 2015) == 3
            assert last_given(conn, "S〔{year}〕{seq}", dt.date(2015, 1, 1).year) == 3
    finally:
        engine.dispose()
