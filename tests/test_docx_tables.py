"""Tables in Word documents fill the A4 text width, keep codes, dates and names on one line
and give what is left to the long text."""

from __future__ import annotations

from pathlib import Path

from docx import Document as Docx
from hypothesis import given, strategies as st

from campaigns.docwriter import CELL_PADDING_PT, CELL_PT, add_grid, column_widths, new_docx, text_width

A4_TEXT_PT = (210 - 28 - 26) / 25.4 * 72  # GB/T 9704's margins
HEADER = ["问题编号", "责任单位", "问题", "类别", "整改时限", "状态"]
ROWS = [["WGBW-2015-0037", "县政务服务中心", "遇矛盾就绕、见问题就躲，群众反映强烈的事项久拖不决",
         "推诿扯皮不主动", "2015-09-19", "整改中"],
        ["WGBW-2015-0038", "沙洋镇", "跨部门事项习惯等一等、看一看", "降低标准不尽责", "", "待核实"]]


def fits(width_pt: float, text: str) -> bool:
    return width_pt + 0.01 >= text_width(text) * CELL_PT / 2 + CELL_PADDING_PT


def test_codes_dates_and_names_keep_their_width_and_the_long_text_takes_the_rest() -> None:
    widths = column_widths(HEADER, ROWS, A4_TEXT_PT)
    assert abs(sum(widths) - A4_TEXT_PT) < 0.01
    assert fits(widths[0], "WGBW-2015-0037") and fits(widths[4], "2015-09-19")
    assert fits(widths[5], "整改中") and fits(widths[1], "沙洋镇")
    assert widths[2] > max(widths[1], widths[3], widths[5])  # the long text gets the most room


def test_a_table_that_fits_is_laid_out_on_one_line_a_row() -> None:
    rows = [["1", "张三", "2015-08-11"]]
    widths = column_widths(["序号", "姓名", "时限"], rows, A4_TEXT_PT)
    assert abs(sum(widths) - A4_TEXT_PT) < 0.01
    assert all(fits(w, v) for w, v in zip(widths, rows[0], strict=True))


@given(st.lists(st.lists(st.text(max_size=30), min_size=3, max_size=3), max_size=6),
       st.floats(min_value=50, max_value=800))
def test_widths_always_fill_the_line_and_are_positive(rows: list[list[str]], total: float) -> None:
    widths = column_widths(["甲", "乙", "丙"], rows, total)
    assert len(widths) == 3 and all(w > 0 for w in widths)
    assert abs(sum(widths) - total) < 1e-6 * total + 0.01


def test_the_document_is_a4_and_its_table_carries_the_widths(tmp_path: Path) -> None:
    out = new_docx()
    add_grid(out, HEADER, ROWS)
    path = tmp_path / "t.docx"
    out.save(str(path))
    doc = Docx(str(path))
    page = doc.sections[0]
    assert (round(page.page_width.mm), round(page.page_height.mm)) == (210, 297)
    table = doc.tables[0]
    got = [c.width.pt for c in table.columns]
    want = column_widths(HEADER, ROWS, A4_TEXT_PT)
    assert all(abs(g - w) < 0.1 for g, w in zip(got, want, strict=True)), (got, want)  # twips
    assert table.rows[1].cells[0].paragraphs[0].style.name == "Table Text"
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold
