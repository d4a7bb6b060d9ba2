"""rectify report: the monthly report in Markdown and HTML, rebuilt from the event log as the
campaign stood at the month's end, unchanged by later work."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, county, invoke, progressed_campaign, query


@pytest.fixture
def db(tmp_path: Path) -> str:
    db = county(str(tmp_path / "r.db"))
    codes = progressed_campaign(db)
    invoke(db, "item", "edit", codes[0], "--typical", "--note", "典型", "--actor", "sup",
           "--as-of", "2015-08-20")
    rect = query(db, "SELECT r.id FROM rectifications r JOIN items i ON i.id = r.item_id "
                     "WHERE i.code = ?", codes[1])[0][0]
    with __import__("sqlite3").connect(db) as conn:  # as the clock would have issued it
        conn.execute("INSERT INTO notices (campaign_id, rectification_id, level, issued_on, "
                     "deadline, days_overdue, new_deadline, action) VALUES (1, ?, 'supervision', "
                     "'2015-08-26', '2015-08-25', 1, '2015-09-09', '下发督办意见')", (rect,))
        conn.execute("UPDATE rectifications SET level = 'supervision' WHERE id = ?", (rect,))
    return db


def report(db: str, month: str, out: Path, as_of: str, ok: bool = True):
    return invoke(db, "report", CAMPAIGN, "--month", month, "-o", str(out), "--as-of", as_of, ok=ok)


def test_markdown_report(db: str, tmp_path: Path) -> None:
    out = tmp_path / "2015-08.md"
    report(db, "2015-08", out, "2015-09-10")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# 开展“为官不为”行为专项治理 2015年8月工作月报\n\n截至 2015年8月31日\n")
    assert "- 问题总数 4 条，已销号 1 条，销号率 25.0%，逾期未完成 1 条。" in text
    assert "- 本月新增 4 条，本月销号 1 条，本月下发督办 1 件。" in text
    assert "按状态：待核实 1 条，整改中 1 条，不属实 1 条，已销号 1 条" in text
    assert "| 宣传动员 | 宣传动员 | 2015-07-01 至 2015-07-31 | 进行中 | 2015-07-01 |  |" in text
    assert "## 三、本月新增问题（4 条）" in text
    assert "## 四、本月销号问题（1 条）\n\n| 问题编号 | 单位 | 问题描述 | 问题类别 | 整改时限 | 状态 |\n" \
           "|---|---|---|---|---|---|\n| WGBW-2015-0001 | 县财政局 | 窗口服务态度生硬 | 服务群众不热心 | " \
           "2015-08-20 | 已销号 |" in text
    assert "## 五、逾期未完成问题（1 条）" in text
    assert "| WGBW-2015-0002 | 县财政局 | 项目资金拨付拖延" in text
    assert "| 2015-08-26 | WGBW-2015-0002 | 县财政局 | 督办 | 2015-08-25 | 1 | 2015-09-09 | 下发督办意见 |" \
        in text
    ranking = text.split("## 七、")[1].split("## 八、")[0]
    assert ranking.index("| 1 | 县财政局 | 2 | 2 | 1 | 1 | 50.0% | 1 |") < ranking.index("县教育局")
    assert "## 八、典型案例（1 件）" in text and "开展窗口服务培训 | 已培训窗口人员12人 |" in text


def test_a_past_month_does_not_change_afterwards(db: str, tmp_path: Path) -> None:
    md1, html1 = tmp_path / "a.md", tmp_path / "a.html"
    report(db, "2015-08", md1, "2015-08-31")
    report(db, "2015-08", html1, "2015-08-31")
    # September: the overdue item is finished, another is reopened, facts are corrected,
    # a stage opens, and a new item is found
    invoke(db, "item", "progress", "WGBW-2015-0002", "--note", "制度已印发", "--actor", "zhang-czj",
           "--as-of", "2015-09-02")
    invoke(db, "item", "advance", "submit", "WGBW-2015-0002", "--actor", "zhang-czj",
           "--as-of", "2015-09-03")
    invoke(db, "item", "advance", "verify", "WGBW-2015-0002", "--actor", "sup", "--as-of", "2015-09-04")
    invoke(db, "item", "advance", "reopen", "WGBW-2015-0001", "--note", "回头看发现反弹",
           "--deadline", "2015-09-08", "--actor", "sup", "--as-of", "2015-09-05")
    invoke(db, "item", "move", "WGBW-2015-0001", "--to", "jyj", "--note", "划转",
           "--actor", "lead", "--as-of", "2015-09-06")
    invoke(db, "item", "edit", "WGBW-2015-0001", "--not-typical",
           "--title", "改过的标题", "--actor", "sup", "--as-of", "2015-09-06")
    invoke(db, "item", "edit", "WGBW-2015-0003", "--typical", "--actor", "sup", "--as-of", "2015-09-06")
    invoke(db, "campaign", "advance", CAMPAIGN, "--to", "supervise", "--force", "--actor", "lead",
           "--as-of", "2015-09-07")
    invoke(db, "item", "add", CAMPAIGN, "--title", "九月新问题", "--unit", "czj", "--category",
           "no-drive", "--source", "media", "--actor", "sup", "--as-of", "2015-09-08")
    md2, html2 = tmp_path / "b.md", tmp_path / "b.html"
    report(db, "2015-08", md2, "2015-09-30")
    report(db, "2015-08", html2, "2015-09-30")
    assert md2.read_text(encoding="utf-8") == md1.read_text(encoding="utf-8")
    assert html2.read_text(encoding="utf-8") == html1.read_text(encoding="utf-8")
    september = tmp_path / "sep.md"
    report(db, "2015-09", september, "2015-09-10")
    text = september.read_text(encoding="utf-8")
    assert "截至 2015年9月10日（本月尚未结束）" in text
    # 0002 closed; 0001 reopened with the deadline 09-08, overdue again from it
    assert "- 问题总数 5 条，已销号 1 条，销号率 20.0%，逾期未完成 1 条。" in text
    assert "| 监督检查 | 监督检查 | 2015-08-01 至 2015-12-31 | 进行中 | 2015-09-07 |" in text
    assert "改过的标题" in text and "## 八、典型案例（1 件）" in text


def test_html_report_embeds_diagrams(db: str, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = report(db, "2015-08", out, "2015-09-10")
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>开展“为官不为”行为专项治理 2015年8月工作月报</title>" in html
    assert "<h2>六、本月督办情况（1 件）</h2>" in html
    assert "<script" not in html and "<link" not in html
    if shutil.which("dot") is None:
        assert "图示未能生成" in html and "图示未能生成" in result.output
    else:
        assert html.count('<div class="diagram"><svg') == 3
        assert "<?xml" not in html
        assert result.output == f"wrote {out}\n"


def test_without_the_diagram_module_the_report_says_so(db: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "campaigns.diagrams", None)  # as if not installed
    out = tmp_path / "r.html"
    result = report(db, "2015-08", out, "2015-09-10")
    assert "图示未能生成：本安装未包含图示模块（campaigns.diagrams）。" in out.read_text(encoding="utf-8")
    assert "图示未能生成" in result.output
    md = tmp_path / "r.md"
    report(db, "2015-08", md, "2015-09-10")
    assert "图示" not in md.read_text(encoding="utf-8")


def test_months_outside_the_campaign_and_bad_names(db: str, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    assert "is before campaign 'wgbw-2015' started" in report(db, "2015-06", out, "2015-09-10",
                                                             ok=False).output
    assert "2015-10 has not begun" in report(db, "2015-10", out, "2015-09-10", ok=False).output
    assert "--month '2015-13' is not a month" in report(db, "2015-13", out, "2015-09-10",
                                                        ok=False).output
    assert "give a file ending in .md, .markdown, .html, .htm" in report(
        db, "2015-08", tmp_path / "r.pdf", "2015-09-10", ok=False).output
    report(db, "2015年8月", out, "2015-09-10")
    assert out.exists()


def test_a_month_without_events_is_an_empty_report(tmp_path: Path) -> None:
    db = county(str(tmp_path / "e.db"))
    out = tmp_path / "jul.md"
    report(db, "2015-07", out, "2015-07-31")
    text = out.read_text(encoding="utf-8")
    assert "- 问题总数 0 条，已销号 0 条，销号率 0.0%，逾期未完成 0 条。" in text
    assert "本月未下发督办通知" in text


def test_the_rebuilt_campaign_matches_the_tables_today(db: str) -> None:
    """Replaying the whole event log arrives where the tables are."""
    import datetime as dt

    from campaigns.db import Database
    from campaigns.reducer import campaign_at
    from campaigns.runs import load_run

    store = Database(db)
    with store.read() as conn:
        rebuilt = {(it.code, it.state, it.rect_state, it.deadline, it.closed_on, it.unit_id,
                    it.typical, it.measures)
                   for it in campaign_at(conn, load_run(conn, CAMPAIGN), dt.date(2016, 1, 1),
                                         replay=True).items}
    store.engine.dispose()
    rows = query(db, "SELECT i.code, i.state, r.state, r.deadline, i.closed_on, i.unit_id, "
                     "i.typical, r.measures FROM items i JOIN rectifications r ON r.item_id = i.id")
    tables = {(c, s, rs, dt.date.fromisoformat(d) if d else None,
               dt.date.fromisoformat(cl) if cl else None, u, bool(t), m)
              for c, s, rs, d, cl, u, t, m in rows}
    assert rebuilt == tables


def test_a_month_of_many_notices_lists_the_first_and_counts_them_all(db: str, tmp_path: Path) -> None:
    rect = query(db, "SELECT id FROM rectifications ORDER BY id LIMIT 1")[0][0]
    with __import__("sqlite3").connect(db) as conn:  # 120 more in August, one in September
        days = [f"2015-08-{d:02d}" for d in range(1, 31)] * 4 + ["2015-09-01"]
        for i, day in enumerate(days):  # a deadline of its own each (one notice per deadline)
            conn.execute("INSERT INTO notices (campaign_id, rectification_id, level, issued_on, "
                         "deadline, days_overdue, new_deadline, action) VALUES (1, ?, 'reminder', "
                         "?, date('2015-01-01', ?), 1, NULL, '提醒')", (rect, day, f"+{i} days"))
    out = tmp_path / "many.md"
    report(db, "2015-08", out, "2015-09-10")
    text = out.read_text(encoding="utf-8")
    assert "本月下发督办 121 件。" in text and "## 六、本月督办情况（121 件）" in text
    listed = text.split("## 六、")[1].split("## 七、")[0]
    assert listed.count("\n| 2015-08-") == 100 and "另有 21 条未列出（见台账）。" in listed
    assert "| 2015-08-01 |" in listed and "| 2015-08-30 |" not in listed  # the month's first
