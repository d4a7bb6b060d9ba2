"""rectify circular: the weekly circular, the monthly bulletin and the month-end sorting, rebuilt
from the event log as the campaign stood at the period's end, in HTML and DOCX."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, county, invoke, progressed_campaign, query

from campaigns.circulars import month_period, parse_week, weeks_ending_in


@pytest.fixture
def db(tmp_path: Path) -> str:
    db = county(str(tmp_path / "c.db"))
    progressed_campaign(db)
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-08-31")  # the ladder's notices, by the clock
    return db


def docx_text(path: Path) -> list[str]:
    from docx import Document

    doc = Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        texts += ["|".join(c.text for c in row.cells) for row in table.rows]
    return texts


def circular(db: str, kind: str, period: str, out: Path, as_of: str, ok: bool = True) -> str:
    flag = "--week" if kind == "weekly" else "--month"
    result = invoke(db, "circular", kind, CAMPAIGN, flag, period, "-o", str(out), "--as-of", as_of,
                    ok=ok)
    return result.output


def test_weeks_are_monday_to_sunday_and_belong_to_the_month_of_their_sunday() -> None:
    assert parse_week("2015-W35") == parse_week("2015-08-26") == parse_week("2015-08-30")
    week = parse_week("2015-08-26")
    assert (week.first.isoformat(), week.last.isoformat()) == ("2015-08-24", "2015-08-30")
    assert week.label == "2015年第35周（8月24日至8月30日）"
    assert [w.short for w in weeks_ending_in(month_period("2015-08"))] == \
        ["第31周", "第32周", "第33周", "第34周", "第35周"]  # Aug 2 is a Sunday: week 31
    assert [w.short for w in weeks_ending_in(month_period("2015-09"))] == \
        ["第36周", "第37周", "第38周", "第39周"]  # Aug 31-Sep 6 ends in September


def test_the_weekly_circular_names_the_units_with_overdue_items(db: str, tmp_path: Path) -> None:
    out = tmp_path / "w35.docx"
    assert circular(db, "weekly", "2015-W35", out, "2015-09-02").strip() == f"wrote {out}"
    text = docx_text(out)
    assert text[0] == "开展“为官不为”行为专项治理工作周通报"
    assert text[1] == "2015年第35周（8月24日至8月30日）　截至2015年8月30日"
    issued = query(db, "SELECT count(*) FROM notices WHERE issued_on BETWEEN '2015-08-24' "
                       "AND '2015-08-30'")[0][0]
    assert issued > 0
    overview = next(t for t in text if t.startswith("本周新发现问题"))
    assert "本周新发现问题 0 条，整改销号 0 条" in overview
    # overdue from Aug 26, escalated that day with a new deadline: not overdue at the week's end
    assert "问题总数 4 条，累计销号 1 条，销号率 25.0%，逾期未完成 0 条" in overview
    assert f"本周下发督办：督办 {issued} 件。" in overview
    assert "1|县财政局|0|1|0|0" in text  # named: one item escalated, none new or closed
    assert any(t.startswith("WGBW-2015-0002|县财政局|项目资金拨付拖延|") and t.endswith("|督办")
               for t in text)
    from docx import Document

    assert [p.text for p in Document(str(out)).paragraphs][-2:] == ["县委组织部", "2015年8月30日"]


def test_a_past_week_reads_the_same_after_later_work(db: str, tmp_path: Path) -> None:
    first, again = tmp_path / "a.html", tmp_path / "b.html"
    circular(db, "weekly", "2015-08-26", first, "2015-09-02")
    code = "WGBW-2015-0002"
    invoke(db, "item", "advance", "submit", code, "--actor", "zhang-czj", "--as-of", "2015-09-03")
    invoke(db, "item", "advance", "verify", code, "--actor", "sup", "--as-of", "2015-09-04")
    invoke(db, "item", "add", CAMPAIGN, "--title", "新问题", "--unit", "jyj", "--category",
           "passive-attitude", "--source", "self-inspection", "--actor", "sup",
           "--as-of", "2015-09-04")
    circular(db, "weekly", "2015-08-26", again, "2015-09-10")
    assert first.read_bytes() == again.read_bytes()
    week = tmp_path / "w36.html"
    circular(db, "weekly", "2015-W36", week, "2015-09-10")
    html = week.read_text(encoding="utf-8")
    assert "本周新发现问题 1 条，整改销号 1 条" in html and "新问题" in html
    assert "本期无逾期未完成整改或被督办的单位。" in html


def test_a_week_in_progress_says_so(db: str, tmp_path: Path) -> None:
    out = tmp_path / "now.docx"
    circular(db, "weekly", "2015-W36", out, "2015-09-02")
    assert docx_text(out)[1] == "2015年第36周（8月31日至9月6日）　截至2015年9月2日（本期尚未结束）"


def test_the_monthly_bulletin_has_the_stages(db: str, tmp_path: Path) -> None:
    out = tmp_path / "aug.html"
    circular(db, "monthly", "2015-08", out, "2015-09-02")
    html = out.read_text(encoding="utf-8")
    assert "开展“为官不为”行为专项治理工作简报" in html and "2015年8月" in html
    assert "本月新发现问题 4 条，整改销号 1 条" in html
    assert "二、阶段进展" in html and "宣传动员" in html and "三、点名通报" in html


def test_the_month_end_sorting_counts_by_category_and_unit(db: str, tmp_path: Path) -> None:
    out = tmp_path / "sort.docx"
    circular(db, "sorting", "2015-08", out, "2015-09-02")
    text = docx_text(out)
    assert text[0] == "开展“为官不为”行为专项治理2015年8月通报分类汇总"
    notices = query(db, "SELECT count(*) FROM notices WHERE issued_on LIKE '2015-08-%'")[0][0]
    assert any(f"督办通知 {notices} 件" in t for t in text)
    unit_rows = [t for t in text if t.startswith("1|县财政局|")]
    # named in week 35 only (overdue from Aug 26), one item; plus the month's notices
    assert unit_rows and unit_rows[-1].split("|")[2:4] == ["1", "1"]
    assert unit_rows[-1].split("|")[-1] == str(1 + notices)
    assert any(t.startswith("1|推诿扯皮不主动|1|1|") for t in text)


@pytest.mark.parametrize("args, message", [
    (("weekly", "--week", "2015-W35", "-o", "x.pdf"), "give a file ending in .html, .htm, .docx"),
    (("weekly", "--week", "2015-W61", "-o", "x.html"), "is not a week"),
    (("weekly", "--week", "2015-W26", "-o", "x.html"), "is before campaign 'wgbw-2015' started"),
    (("monthly", "--month", "2015-10", "-o", "x.html"), "has not begun"),
    (("sorting", "--month", "2015-13", "-o", "x.docx"), "is not a month"),
])
def test_bad_input_is_refused_and_writes_nothing(db: str, tmp_path: Path, args: tuple[str, ...],
                                                 message: str) -> None:
    kind, *rest = args
    out = [str(tmp_path / a) if a.startswith("x.") else a for a in rest]
    result = invoke(db, "circular", kind, CAMPAIGN, *out, "--as-of", "2015-09-02", ok=False)
    usage = "-o" in args and args[-1].endswith(".pdf")  # a wrong output name: a usage error
    assert result.exit_code == (2 if usage else 1) and message in result.output, result.output
    assert "Traceback" not in result.output
    assert not list(tmp_path.glob("x.*"))
