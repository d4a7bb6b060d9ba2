"""Office documents made of headed sections of paragraphs and tables, as HTML or DOCX.

A document is data (``Document``), so both formats say the same thing and a test can read what
a document says without parsing either.  DOCX is written with python-docx, in the fonts Chinese
offices print with; HTML is one self-contained page (campaigns.htmlkit).
"""

from __future__ import annotations

import datetime as dt
import os
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
    from docx.oxml.ns import qn
    from docx.shared import Pt

    out = Docx()
    normal = out.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(12)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")
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


def add_grid(out: Any, header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> None:
    """A bordered table: the header row, then the rows."""
    grid = out.add_table(rows=1 + len(rows), cols=len(header))
    grid.style = "Table Grid"
    for j, h in enumerate(header):
        grid.cell(0, j).text = str(h)
    for i, row in enumerate(rows, 1):
        for j, v in enumerate(row):
            grid.cell(i, j).text = "" if v is None else str(v)


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
