"""督办通知书 on paper: HTML (printed from a browser), PDF (WeasyPrint) and DOCX (python-docx).

Every format says the same thing, drawn from ``lines`` and ``table_rows`` so they cannot drift:
the number (文号, or 未编号 on a draft), the unit addressed, the text with the reply-by date, the
items with their deadlines and working days overdue, and the issuing office with the date.
Nothing confidential is in a notice row, so nothing confidential can be printed.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .i18n import _, chinese
from .notice_docs import KIND, NoticeDoc
from .runs import Run

FORMATS = ("html", "docx", "pdf")
DRAFT = "（草稿，未编号）"
HEADER = ("序号", "问题编号", "问题", "责任领导", "责任人", "整改时限", "逾期（工作日）", "新整改时限")


def cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def lines(run: Run, doc: NoticeDoc) -> dict[str, str]:
    """The document's text, by part."""
    meta = run.definition.sections.get("campaign") or {}
    filings = run.definition.sections.get("filings")
    report_to = next((f.to for f in getattr(filings, "items", ()) if f.to), None) or doc.issuer
    basis = str(meta.get("basis") or run.definition.title)
    overdue = any(r["deadline"] < doc.issued_on.isoformat() for r in doc.rows)
    state = "已逾期未完成" if overdue else "即将到期"
    action = f"{doc.action}。" if doc.action else ""
    reply = (f"并于{cn_date(doc.reply_by)}前将整改情况书面报送{report_to}。" if doc.reply_by
             else f"并将整改情况书面报送{report_to}。")
    return {
        "title": KIND,
        "number": doc.number or DRAFT,
        "campaign": run.definition.title,
        "to": f"{doc.to or doc.unit.title}：",
        "body": (f"根据《{basis}》的要求，经对你单位整改台账进行督查，下列{len(doc.rows)}项整改事项"
                 f"{state}，现予以{doc.level_title}。{action}请你单位主要负责人亲自过问，抓紧落实整改，"
                 + reply),
        "issuer": doc.issuer,
        "date": cn_date(doc.issued_on),
    }


PROVISIONAL = "（暂定）"
PROVISIONAL_NOTE = ("注：标“暂定”的日期所在年度尚未公布节假日安排，暂按法定节假日推算，"
                    "放假安排公布后可能调整。")


def _dated(run: Run | None, text: str) -> str:
    """A date cell, marked when it lies in a year the campaign counts on provisional data."""
    from .provisional import is_provisional

    if run is None or not text:
        return text
    return text + PROVISIONAL if is_provisional(run.definition, dt.date.fromisoformat(text)) else text


def table_rows(doc: NoticeDoc, run: Run | None = None) -> list[list[str]]:
    return [[str(i), r["code"], f"{r['title']}（{r['section']}）" if r.get("section") else r["title"],
             r["leader"], r["person"], _dated(run, r["deadline"]),
             str(r["working_days_overdue"]), _dated(run, r["new_deadline"])]
            for i, r in enumerate(doc.rows, 1)]


def note(rows: Sequence[Sequence[str]]) -> str:
    """The legend under a table with a provisional date, else ''."""
    return PROVISIONAL_NOTE if any(PROVISIONAL in cell for row in rows for cell in row) else \
        ""


STYLE = """
@page { size: A4; margin: 2.5cm 2cm; }
body { font-family: "Noto Serif CJK SC", "SimSun", "Songti SC", serif; margin: 2em; }
section { page-break-after: always; max-width: 60em; margin: 0 auto 3em; }
section:last-child { page-break-after: auto; }
h1 { text-align: center; color: #b00; letter-spacing: 0.3em; margin-bottom: 0.2em; }
p.number, p.campaign { text-align: center; margin: 0.3em 0; }
hr { border: 0; border-top: 2px solid #b00; margin: 0.6em 0 1.2em; }
p.body { text-indent: 2em; line-height: 1.8; }
table { border-collapse: collapse; width: 100%; font-size: 0.85em; table-layout: fixed; }
th, td { border: 1px solid #333; padding: 0.3em 0.4em; vertical-align: top; }
th { background: #eee; }
td.n { text-align: right; }
th:nth-child(1) { width: 2.2em; } th:nth-child(2) { width: 8.6em; }
th:nth-child(4), th:nth-child(5) { width: 4.4em; } th:nth-child(7) { width: 3.6em; }
th:nth-child(6), th:nth-child(8) { width: 6.2em; }
p.sign { text-align: right; margin-top: 3em; line-height: 1.8; }
section.office th { width: auto !important; }
section.office th:nth-child(1) { width: 2.6em !important; }
td { overflow-wrap: anywhere; }
@media print { body { margin: 0; } }
"""


def to_html(run: Run, docs: Sequence[NoticeDoc], office: Sequence[OfficePage] = ()) -> str:
    """One HTML page with a section (a printed page) per document, then the notices to the
    office; all text escaped."""
    e = html.escape
    sections = []
    for doc in docs:
        t = lines(run, doc)
        rows = table_rows(doc, run)
        body = "\n".join(
            "<tr>" + "".join(f"<td{' class=n' if j in (0, 6) else ''}>{e(v)}</td>"
                             for j, v in enumerate(row)) + "</tr>"
            for row in rows)
        legend = f"\n<p class=\"note\">{e(note(rows))}</p>" if note(rows) else ""
        head = "".join(f"<th>{h}</th>" for h in HEADER)
        sections.append(f"""<section>
<h1>{e(t['title'])}</h1>
<p class="number">{e(t['number'])}</p>
<hr>
<p class="campaign">{e(t['campaign'])}</p>
<p>{e(t['to'])}</p>
<p class="body">{e(t['body'])}</p>
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>{legend}
<p class="sign">{e(t['issuer'])}<br>{e(t['date'])}</p>
</section>""")
    sections += office_html(office)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{KIND} — {e(run.definition.title)}</title>
<style>{STYLE}</style>
</head>
<body>
{chr(10).join(sections)}
</body>
</html>
"""


def write_pdf(run: Run, docs: Sequence[NoticeDoc], path: str,
              office: Sequence[OfficePage] = ()) -> None:
    """The HTML laid out by WeasyPrint (Pango draws the CJK fonts the system has)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # font subsetting chatter
    HTML(string=to_html(run, docs, office)).write_pdf(path)


def write_docx(run: Run, docs: Sequence[NoticeDoc], path: str,
               office: Sequence[OfficePage] = ()) -> None:
    """A Word document, a page per notice, in the fonts Chinese offices print with."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK

    from .docwriter import add_grid, add_para, new_docx

    document = new_docx()

    def para(text: str, **style: Any) -> Any:
        return add_para(document, text, **style)

    for k, doc in enumerate(docs):
        t = lines(run, doc)
        para(t["title"], align=WD_ALIGN_PARAGRAPH.CENTER, size=22, bold=True, red=True)
        para(t["number"], align=WD_ALIGN_PARAGRAPH.CENTER)
        para(t["campaign"], align=WD_ALIGN_PARAGRAPH.CENTER)
        para(t["to"])
        para(t["body"], indent=True)
        rows = table_rows(doc, run)
        add_grid(document, HEADER, rows)
        if note(rows):
            para(note(rows))
        para(t["issuer"], align=WD_ALIGN_PARAGRAPH.RIGHT)
        last = para(t["date"], align=WD_ALIGN_PARAGRAPH.RIGHT)
        if k < len(docs) + len(office) - 1:
            last.add_run().add_break(WD_BREAK.PAGE)
    for k, page in enumerate(office, len(docs)):
        para(page.title, align=WD_ALIGN_PARAGRAPH.CENTER, size=22, bold=True, red=True)
        para(page.campaign, align=WD_ALIGN_PARAGRAPH.CENTER)
        para(page.to)
        para(page.body, indent=True)
        add_grid(document, page.header, page.rows)
        last = para(cn_date(page.day), align=WD_ALIGN_PARAGRAPH.RIGHT)
        if k < len(docs) + len(office) - 1:
            last.add_run().add_break(WD_BREAK.PAGE)
    document.save(path)


def write(run: Run, docs: Sequence[NoticeDoc], fmt: str, *, folder: str | None = None,
          path: str | None = None, office: Sequence[OfficePage] = ()) -> list[str]:
    """A file per document in ``folder`` (named unit-level-day; a page to the office
    office-KIND-day), or all in the one file ``path``."""
    def one(target: str, chosen: Sequence[NoticeDoc], pages: Sequence[OfficePage] = ()) -> None:
        if fmt == "html":
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(to_html(run, chosen, pages))
        elif fmt == "pdf":
            write_pdf(run, chosen, target, pages)
        else:
            write_docx(run, chosen, target, pages)

    from engine.core.errors import EnvironmentProblem

    written: list[str] = []
    if not docs and not office:
        return written
    target = folder or path or ""
    try:
        if folder is not None:
            os.makedirs(folder, exist_ok=True)
            for doc in docs:
                target = os.path.join(folder, f"{doc.stem}.{fmt}")
                one(target, [doc])
                written.append(target)
            for page in office:
                target = os.path.join(folder, f"{page.stem}.{fmt}")
                one(target, [], [page])
                written.append(target)
        if path is not None:
            target = path
            one(path, docs, office)
            written.append(path)
    except OSError as exc:
        raise EnvironmentProblem(_("cannot write {target}: {value}").format(
            target=target, value=exc.strerror or exc),
                                 _("choose a folder or file you may write to (-o, --html)")) from None
    return written


# --- the clock's notices to the office ----------------------------------------------------------

STAGE_HEADER = ("序号", "阶段", "应结束日期", "未满足的条件", "原因")
REMINDER_HEADER = ("序号", "问题编号", "问题", "单位", "应核实日期", "逾期（自然日）")
INSPECTION_HEADER = ("序号", "问题编号", "问题", "督查检查编号")


@dataclass(frozen=True)
class OfficePage:
    """One page of notices to the office: the stages kept open on a day, or one reminder level's
    reports on a day, to the offices that must answer.  Never numbered: not a 督办通知书."""

    title: str
    to: str
    body: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    campaign: str
    day: dt.date
    stem: str


def office_pages(run: Run, rows: Sequence[dict[str, Any]]) -> list[OfficePage]:
    """Pages from the stage, reminder and inspection rows of a listing (withdrawn ones left
    out)."""
    from .safecells import file_stem

    meta = run.definition.sections.get("campaign") or {}
    basis = str(meta.get("basis") or run.definition.title)
    groups: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("kind") in ("stage", "reminder", "inspection") and not r.get("status"):
            # an inspection's findings: one page a unit and day, to its head
            part = {"reminder": r["level"], "inspection": r.get("unit_code") or ""}
            groups.setdefault((r["issued_on"], r["kind"], part.get(r["kind"], ""), r["to"]),
                              []).append(r)
    pages = []
    for (day_text, kind, level, to), group in sorted(groups.items()):
        day = dt.date.fromisoformat(day_text)
        table: tuple[tuple[str, ...], ...]
        header: tuple[str, ...]
        if kind == "stage":
            table = tuple((str(i), f"{r['title']}（{r['code']}）", r["deadline"], g, chinese(why))
                          for i, r in enumerate(group, 1)
                          for g, why in zip(r.get("guards") or [""], r.get("reasons") or [""],
                                            strict=False))
            names = "、".join(r["title"] for r in group)
            body = (f"根据《{basis}》的安排，{names}应已按期结束，但下列条件尚未满足，该阶段仍未结束。"
                    "请督促落实；条件满足后由系统自动结束，确需提前结束的，由有权角色强制结束。")
            title, header = "阶段逾期提示", STAGE_HEADER
        elif kind == "inspection":
            table = tuple((str(i), r["code"], r["title"], r["reason"])
                          for i, r in enumerate(group, 1))
            refs = "、".join(dict.fromkeys(r["reason"] for r in group))
            body = (f"{refs}督查检查发现你单位存在以下{len(group)}个问题，现予通报。"
                    "请单位主要负责人严格落实整改，按期报告整改情况。")
            title, header = "督查问题通报", INSPECTION_HEADER
        else:
            table = tuple((str(i), r["code"], r["title"], r["unit"], r["deadline"],
                           str(r["days_overdue"])) for i, r in enumerate(group, 1))
            action = f"{group[0]['action']}。" if group[0]["action"] else ""
            body = f"下列{len(group)}项问题已超过核实时限，尚未核实或处理。{action}"
            title, header = group[0]["level_title"] or "核实提醒", REMINDER_HEADER
        pages.append(OfficePage(title, f"{to}：" if to else "", body, header, table,
                                run.definition.title, day,
                                file_stem(f"office-{kind}{'-' + level if level else ''}-{day_text}")))
    return pages


def office_html(pages: Sequence[OfficePage]) -> list[str]:
    """The pages as HTML sections, all text escaped."""
    e = html.escape
    out = []
    for page in pages:
        head = "".join(f"<th>{e(h)}</th>" for h in page.header)
        body = "\n".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>"
                         for row in page.rows)
        out.append(f"""<section class="office">
<h1>{e(page.title)}</h1>
<p class="campaign">{e(page.campaign)}</p>
<hr>
<p>{e(page.to)}</p>
<p class="body">{e(page.body)}</p>
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>
<p class="sign">{e(cn_date(page.day))}</p>
</section>""")
    return out
