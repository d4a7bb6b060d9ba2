"""The workbook reader (python-calamine, plus a scan of the sheet's XML) gives the rows the
openpyxl reader gave: merged titles, formula and error cells, dates as Excel dates and as text,
cells left of and below the data; and a ledger written with xlsxwriter reads back whole."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ledger_fixtures import CAMPAIGN, county, invoke, progressed_campaign
from openpyxl import Workbook, load_workbook

from campaigns.importer.cells import cell_date, cell_text
from campaigns.workbooks import ErrorValue, Formula, open_sheet, read_rows

START = dt.date(2015, 7, 1)


def openpyxl_rows(path: Path) -> list[tuple[int, list[Any]]]:
    """How the importer read a sheet before: openpyxl read-only, a formula cell as its text,
    an error cell as its code."""
    wb = load_workbook(path, read_only=True, data_only=False)
    ws = wb.worksheets[0]
    ws.reset_dimensions()
    out = []
    for number, cells in enumerate(ws.iter_rows(), start=1):
        row: list[Any] = []
        for c in cells:
            if c.data_type == "f":
                row.append(Formula(str(getattr(c.value, "text", c.value))))
            elif c.data_type == "e" and isinstance(c.value, str):
                row.append(ErrorValue(c.value))
            else:
                row.append(c.value)
        out.append((number, row))
    wb.close()
    return out


def seen(value: Any) -> Any:
    """A cell as the importer sees it: its kind if a formula or an error, else its text."""
    if isinstance(value, Formula):
        return ("formula", str(value))
    if isinstance(value, ErrorValue):
        return ("error", str(value))
    return cell_text(value)


def normal(rows: Sequence[tuple[int, Sequence[Any]]]) -> list[tuple[int, list[Any]]]:
    out = []
    for number, cells in rows:
        values = [seen(v) for v in cells]
        while values and values[-1] == "":
            values.pop()
        out.append((number, values))
    while out and not out[-1][1]:
        out.pop()
    return out


def merged_of(path: Path) -> list[str]:
    return sorted(str(r) for r in load_workbook(path).worksheets[0].merged_cells.ranges)


def office_ledger(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    ws.append(["某县为官不为问题整改台账"])
    ws.merge_cells("A1:G1")
    ws.append(["序号", "单位", "问题描述", "问题类别", "整改时限", "销号日期", "备注"])
    ws.append([1, "县财政局", "窗口服务态度生硬", "服务群众不热心", dt.datetime(2015, 9, 30),
               dt.date(2015, 9, 20), 2.5])
    ws.append([2, None, "项目资金拨付拖延", "推诿扯皮不主动", "2015年10月底", "2015/9/30", True])
    ws.append([3, "县教育局", "=A3&A4", "工作态度不积极", "=DATE(2015,10,31)", 42277, "10月20日"])
    ws.append([4, "县教育局", "#N/A", "  ", dt.datetime(2015, 10, 1, 9, 30), None, "=1/0"])
    ws["B6"].data_type = "e"
    ws["B6"].value = "#DIV/0!"
    ws.merge_cells("B3:B4")  # a unit's cell merged down two rows
    ws["I9"] = "=SUM(A3:A6)"  # a formula below and right of the data
    wb.save(path)
    return path


def test_an_office_ledger_reads_as_openpyxl_read_it(tmp_path: Path) -> None:
    path = office_ledger(tmp_path / "l.xlsx")
    with open_sheet(str(path)) as sheet:
        assert sheet.name == "问题清单" and sheet.sheets == ["问题清单"]
        assert sorted(str(m) for m in sheet.merged) == merged_of(path) == ["A1:G1", "B3:B4"]
        rows = list(sheet.rows)
    assert normal(rows) == normal(openpyxl_rows(path))
    cells = dict(rows)
    assert cells[1][0] == "某县为官不为问题整改台账"
    assert isinstance(cells[5][2], Formula) and cells[5][2] == "=A3&A4"
    assert cells[5][4] == "=DATE(2015,10,31)"
    assert isinstance(cells[6][1], ErrorValue) and cells[6][1] == "#DIV/0!"
    assert isinstance(cells[6][2], ErrorValue)  # openpyxl stores "#N/A" as an error cell
    assert cells[9][8] == "=SUM(A3:A6)"
    # dates as Excel dates, as serial numbers and as text all give the same days as before
    old = dict(openpyxl_rows(path))
    for number, col in ((3, 4), (3, 5), (4, 4), (4, 5), (5, 5), (5, 6), (6, 4)):
        assert cell_date(cells[number][col], START, True) == cell_date(old[number][col], START,
                                                                        True)


def test_rows_start_at_one_whatever_the_first_cell(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws["C3"] = "序号"
    ws["D4"] = 5
    wb.save(tmp_path / "c.xlsx")
    rows = list(read_rows(str(tmp_path / "c.xlsx")))
    assert [n for n, _ in rows] == [1, 2, 3, 4]
    assert normal(rows) == normal(openpyxl_rows(tmp_path / "c.xlsx"))


def test_shared_formulas_read_as_each_cell_s_own(tmp_path: Path) -> None:
    """Excel writes a formula filled down once (``t="shared"``); each cell names its own."""
    import zipfile

    src = tmp_path / "s.xlsx"
    wb = Workbook()
    wb.active.append(["a", "b"])
    wb.save(src)
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B2" '
             'si="0">A1*2</f><v>2</v></c></row><row r="2"><c r="A2"><v>3</v></c><c r="B2">'
             '<f t="shared" si="0"/><v>6</v></c></row></sheetData></worksheet>')
    out = tmp_path / "shared.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, sheet if info.filename == "xl/worksheets/sheet1.xml" else data)
    rows = dict(read_rows(str(out)))
    assert rows[1][1] == "=A1*2" and rows[2][1] == "=A2*2"
    assert normal(list(rows.items())) == normal(openpyxl_rows(out))


TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)
CELL = st.one_of(
    st.none(), TEXT, st.integers(-10**9, 10**9), st.booleans(),
    st.floats(-1e9, 1e9, allow_nan=False).map(lambda f: round(f, 6)),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
    st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2030, 12, 31)).map(
        lambda d: d.replace(microsecond=0)),
    st.sampled_from(["=A1", "=SUM(A1:B2)", "=DATE(2015,9,30)", "#N/A", "=1+2"]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELL, max_size=6), min_size=1, max_size=8), st.integers(0, 2),
       st.booleans())
def test_any_sheet_reads_as_openpyxl_read_it(tmp_path: Path, grid: list[list[Any]], skip: int,
                                            merge: bool) -> None:
    path = tmp_path / "g.xlsx"
    wb = Workbook()
    ws = wb.active
    for r, row in enumerate(grid, start=1 + skip):
        for c, value in enumerate(row, start=1 + skip):
            cell = ws.cell(r, c, value)
            if value == "#N/A":
                cell.data_type = "e"
    if merge:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=3)
    wb.save(path)
    with open_sheet(str(path)) as sheet:
        assert sorted(str(m) for m in sheet.merged) == merged_of(path)
        rows = list(sheet.rows)
    assert normal(rows) == normal(openpyxl_rows(path))


def test_a_written_ledger_reads_back_with_its_dates_and_titles(tmp_path: Path) -> None:
    db = county(str(tmp_path / "a.db"))
    progressed_campaign(db)
    out = tmp_path / "l.xlsx"
    invoke(db, "ledger", CAMPAIGN, "-o", str(out), "--as-of", "2015-08-31")
    with open_sheet(str(out)) as sheet:
        assert sheet.sheets == ["台账", "汇总"]
        assert sorted(str(m) for m in sheet.merged) == ["A1:P1", "A2:P2"]
        rows = list(sheet.rows)
    assert normal(rows) == normal(openpyxl_rows(out))
    header = rows[2][1]
    data = [cells for _, cells in rows[3:]]
    deadline = header.index("整改时限")
    given = [r[deadline] for r in data if r[deadline] != ""]
    assert given and all(isinstance(d, dt.date) for d in given)  # date cells, not text


@pytest.mark.parametrize("name", ["old.xls", "book.ods"])
def test_other_workbook_names_are_read_by_content(tmp_path: Path, name: str) -> None:
    """A file named .xls or .ods that is not one is refused with what it is, not read."""
    from engine.core.errors import InvalidInput

    path = tmp_path / name
    path.write_bytes(b"not a workbook")
    with pytest.raises(InvalidInput, match="not an Excel workbook"):
        list(read_rows(str(path)))


def test_an_ods_workbook_reads_through_the_same_function(tmp_path: Path) -> None:
    """OpenDocument (LibreOffice, WPS) sheets: calamine reads them; dates stay dates."""
    import zipfile

    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    cells = ('<table:table-row><table:table-cell office:value-type="string"><text:p>序号</text:p>'
             '</table:table-cell><table:table-cell office:value-type="string"><text:p>整改时限'
             '</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell '
             'office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
             '<table:table-cell office:value-type="date" office:date-value="2015-09-30"><text:p>'
             '2015-09-30</text:p></table:table-cell></table:table-row>')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
               'office:version="1.2"><office:body><office:spreadsheet><table:table '
               f'table:name="台账">{cells}</table:table></office:spreadsheet></office:body>'
               '</office:document-content>')
    path = tmp_path / "台账.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type='
            '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
            'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>'))
        z.writestr("content.xml", content)
    with open_sheet(str(path)) as sheet:
        assert sheet.name == "台账" and sheet.merged == []
        rows = list(sheet.rows)
    assert [(n, [cell_text(v) for v in cells]) for n, cells in rows] == [
        (1, ["序号", "整改时限"]), (2, ["1", "2015-09-30"])]
    assert rows[1][1][1] == dt.date(2015, 9, 30)
