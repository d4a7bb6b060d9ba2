"""Office documents made of headed sections of paragraphs and tables, as HTML or DOCX.

A document is data (``Document``), so both formats say the same thing and a test can read what
a document says without parsing either.  DOCX is written with python-docx, in the fonts Chinese
offices print with; HTML is one self-contained page (campaigns.htmlkit).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.core.errors import InvalidInput

from .i18n import _

FORMATS = (".html", ".htm", ".docx")


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: Sequence[str] = ()
    header: Sequence[str] = ()  # a table's header, when the section has a table
    rows: Sequence[Sequence[Any]] = ()
    subsections: Sequence[Section] = ()

    def texts(self) -> list[str]:
        """Everything the section says, in order (for tests and searches)."""
        out = [self.heading, *self.paragraphs, *map(str, self.header)]
        out += [str(v) for row in self.rows for v in row]
        for sub in self.subsections:
            out += sub.texts()
        return out


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    sections: Sequence[Section]
    issuer: str = ""
    day: dt.date | None = None
    items_shown: int = 0  # item rows listed: what a read of confidential fields is recorded for

    def texts(self) -> list[str]:
        return [self.title, self.subtitle, *(t for s in self.sections for t in s.texts())]


def check_output(path: str) -> str:
    """The output's format from its extension, or a clear refusal before any work is done."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise InvalidInput(_("cannot write this document to '{name}'").format(
            name=os.path.basename(path)), _("name the output FILE.html or FILE.docx"))
    return "docx" if ext == ".docx" else "html"


def write(doc: Document, path: str) -> None:
    """Write ``doc`` whole or not at all (a partly written file never takes the name)."""
    part = path + ".part"
    if check_output(path) == "docx":
        _docx(doc).save(part)
    else:
        with open(part, "w", encoding="utf-8") as fh:
            fh.write(to_html(doc))
    os.replace(part, path)


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def to_html(doc: Document) -> str:
    from .htmlkit import esc, page, table

    def section(s: Section, level: int) -> list[str]:
        out = [f"<h{level}>{esc(s.heading)}</h{level}>"]
        out += [f"<p>{esc(p)}</p>" for p in s.paragraphs if p]
        if s.header:
            numeric = [i for i, _ in enumerate(s.header)
                       if s.rows and all(isinstance(r[i], int) for r in s.rows)]
            out.append(table(s.header, s.rows, numeric))
        for sub in s.subsections:
            out += section(sub, level + 1)
        return out

    body = [line for s in doc.sections for line in section(s, 2)]
    if doc.issuer or doc.day:
        body.append('<p style="text-align:right">' + "<br>".join(
            esc(x) for x in (doc.issuer, _cn(doc.day) if doc.day else "") if x) + "</p>")
    return page(doc.title, doc.subtitle, "\n".join(body))


def new_docx() -> Any:
    """An empty Word document in the fonts Chinese offices print with (SimSun, 12 pt)."""
    from docx import Document as Docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    out = Docx()
    normal = out.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(12)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")
    cells = out.styles.add_style(CELL_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cells.base_style = normal
    cells.font.size = Pt(CELL_PT)
    page = out.sections[0]  # A4 with the margins of GB/T 9704 (党政机关公文格式)
    page.page_width, page.page_height = Mm(210), Mm(297)
    page.top_margin, page.bottom_margin = Mm(37), Mm(35)
    page.left_margin, page.right_margin = Mm(28), Mm(26)
    return out


def add_para(out: Any, text: str, *, align: Any = None, size: float | None = None,
             bold: bool = False, red: bool = False, indent: bool = False) -> Any:
    """One paragraph of one run: headings, body text (first line indented two characters)."""
    from docx.shared import Pt, RGBColor

    p = out.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(24)
    run = p.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if red:
        run.font.color.rgb = RGBColor(0xBB, 0, 0)
    return p


CELL_STYLE, CELL_PT = "Table Text", 10.5  # 五号, the size of tables in printed documents
CELL_PADDING_PT = 11.5  # Word's default left and right cell margins together
SHORT = 8  # half-width characters: a cell this short (a name) stays on one line
# a run a line may not break inside: Latin letters, digits and their joiners (codes, dates)
_WORD = re.compile(r"[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+")


def text_width(text: str) -> float:
    """Width in half-width characters (half an em): a Chinese character takes two; Latin
    letters and digits as wide as in the proportional face a viewer without SimSun shows
    them in (DejaVu, Liberation), so a code or a date fits wherever it is opened."""
    return sum(_char_width(ch) for ch in text)


def _char_width(ch: str) -> float:
    if unicodedata.east_asian_width(ch) in "WF" or ch in "MW":
        return 2.0
    if ch.isupper():
        return 1.5
    if ch.isdigit() or ch.islower():
        return 1.3
    return 0.8


def column_widths(header: Sequence[Any], rows: Sequence[Sequence[Any]], total_pt: float
                  ) -> list[float]:
    """Column widths in points filling ``total_pt``.  Each column first gets what its longest
    unbreakable run needs (a code, a date: never split), then what is left of the line goes
    to the columns in proportion to how much more their longest text wants; Chinese text
    wraps anywhere, a header onto two lines."""
    unit = CELL_PT / 2
    need, least = [], []
    for j, h in enumerate(header):
        texts = ["" if row[j] is None else str(row[j]) for row in rows]
        lines = [line for t in texts for line in t.splitlines()]
        whole = max((text_width(line) for line in lines), default=0.0)
        words = max((text_width(w) for line in lines for w in _WORD.findall(line)), default=0.0)
        short = max((text_width(line) for line in lines if text_width(line) <= SHORT),
                    default=0.0)  # a name of up to four characters is not split either
        head = (text_width(str(h)) + 1) / 2  # a header on two lines at most
        least.append(max(4.0, words, short, min(head, SHORT)))
        need.append(max(least[-1], whole, head))
    pad = CELL_PADDING_PT
    if sum(n * unit + pad for n in need) <= total_pt:  # all on one line, the spare shared
        cells = [n * unit + pad for n in need]
        return [c * total_pt / sum(cells) for c in cells]
    floor = [m * unit + pad for m in least]
    spare = total_pt - sum(floor)
    if spare <= 0:  # not even the unbreakable runs fit: in proportion to them
        return [f * total_pt / sum(floor) for f in floor]
    wants = [n - m for n, m in zip(need, least, strict=True)]
    return [f + spare * w / sum(wants) for f, w in zip(floor, wants, strict=True)]


def add_grid(out: Any, header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> None:
    """A bordered table: the header row, then the rows, in table type, its columns as wide as
    their contents need within the page."""
    from docx.shared import Pt

    grid = out.add_table(rows=1 + len(rows), cols=len(header))
    grid.style = "Table Grid"
    grid.autofit = False
    page = out.sections[-1]
    total = (page.page_width - page.left_margin - page.right_margin) / 12700  # EMU → pt
    widths = [Pt(w) for w in column_widths(header, rows, total)]
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = width
    for i, values in enumerate([header, *rows]):
        for j, v in enumerate(values):
            cell = grid.cell(i, j)
            cell.width = widths[j]
            cell.text = "" if v is None else str(v)
            cell.paragraphs[0].style = CELL_STYLE
            if i == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True


def _docx(doc: Document) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    out = new_docx()

    def section(s: Section, size: float) -> None:
        add_para(out, s.heading, size=size, bold=True)
        for text in s.paragraphs:
            if text:
                add_para(out, text, indent=True)
        if s.header:
            add_grid(out, s.header, s.rows)
        for sub in s.subsections:
            section(sub, size - 1)

    add_para(out, doc.title, align=WD_ALIGN_PARAGRAPH.CENTER, size=20, bold=True)
    add_para(out, doc.subtitle, align=WD_ALIGN_PARAGRAPH.CENTER)
    for s in doc.sections:
        section(s, 14)
    if doc.issuer:
        add_para(out, doc.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT)
    if doc.day:
        add_para(out, _cn(doc.day), align=WD_ALIGN_PARAGRAPH.RIGHT)
    return out
