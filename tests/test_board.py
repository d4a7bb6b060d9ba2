"""rectify board: the public disclosure (公示) of measures and progress, unit by unit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, county, invoke, progressed_campaign


@pytest.fixture
def db(tmp_path: Path) -> str:
    db = county(str(tmp_path / "b.db"))
    progressed_campaign(db)
    return db


def board(db: str, out: Path, as_of: str = "2015-08-31"):
    return invoke(db, "board", CAMPAIGN, "-o", str(out), "--as-of", as_of)


def test_confirmed_items_by_unit_with_measures_and_progress(db: str, tmp_path: Path) -> None:
    out = tmp_path / "公示.html"
    result = board(db, out)
    assert result.output == f"wrote {out}: 2 item(s) disclosed\n"
    html = out.read_text(encoding="utf-8")
    assert "<title>开展“为官不为”行为专项治理整改情况公示</title>" in html
    assert "公示日期：2015年8月31日" in html
    sections = re.findall(r"<section><h2>([^<]+)</h2>", html)
    assert sections == ["整改情况公示", "县财政局", "问责情况"]  # the register: counts alone
    assert "<td>县财政局</td><td class=n>2</td><td class=n>1</td><td class=n>1</td>" in html
    for text in ("窗口服务态度生硬", "开展窗口服务培训", "已培训窗口人员12人", "已销号", "2015-08-18",
                 "项目资金拨付拖延", "建立限时办结制度", "整改中", "张局长"):
        assert text in html
    # never disclosed: unverified reports, reports found untrue
    assert "会议文件过多" not in html and "匿名反映收受红包" not in html
    assert "<script" not in html and "http" not in html.replace("http://www.w3.org/2000/svg", "")


def test_a_board_is_html_only(db: str, tmp_path: Path) -> None:
    result = invoke(db, "board", CAMPAIGN, "-o", str(tmp_path / "b.md"), ok=False)
    assert result.exit_code == 2 and "give a file ending in .html, .htm" in result.output


def test_an_empty_board(tmp_path: Path) -> None:
    db = county(str(tmp_path / "e.db"))
    out = tmp_path / "e.html"
    assert board(db, out, "2015-07-10").output == f"wrote {out}: 0 item(s) disclosed\n"
    assert "暂无可公示的问题" in out.read_text(encoding="utf-8")
