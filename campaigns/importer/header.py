"""Opening the file and finding its header row, which names the columns."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from campaigns.i18n import _
from engine.core.errors import InvalidInput

from ..tabular import Sheet, csv_sheet
from ..workbooks import CALAMINE_EXTENSIONS, EXCEL, WPS_EXTENSIONS, open_sheet, refuse_et
from .cells import cell_text
from .columns import HEADER_SCAN, LABELS, REQUIRED, normalize_header
from .options import Options
from .problems import ImportProblems, RowProblem, Where


@contextmanager
def open_table(path: str, options: Options) -> Iterator[Sheet]:
    ext = os.path.splitext(path)[1].lower()
    if ext in EXCEL or ext in CALAMINE_EXTENSIONS:  # python-calamine reads all of them
        with open_sheet(path, options.sheet, options.max_bytes) as sheet:
            yield sheet
    elif ext in (".csv", ".txt", ".tsv"):
        if options.sheet:
            raise InvalidInput(_("--sheet applies to workbooks; a CSV file has one table"),
                               _("leave out --sheet"))
        yield csv_sheet(path, options.max_bytes)
    elif ext in WPS_EXTENSIONS:
        raise refuse_et(path)
    else:
        raise InvalidInput(_("cannot import '{value}': not a spreadsheet").format(
            value=os.path.basename(path)),
                           _("import a workbook (.xlsx, .xls, .ods) or a CSV file (.csv)"))


@dataclass
class Header:
    row: int
    fields: dict[int, str]  # column index -> field
    texts: dict[int, str]  # column index -> header text as written
    ignored: list[str]

    def where(self, sheet: str | None, row: int, name: str) -> Where:
        col = next((c for c, f in self.fields.items() if f == name), None)
        return Where(sheet, row, col, self.texts.get(col) if col is not None else None)


def find_header(sheet: Sheet, mapping: Mapping[str, str], header_row: int | None,
                path: str) -> tuple[Header, list[tuple[int, Sequence[Any]]]]:
    """The header row (named, or the best match among the first rows) and rows read past it."""
    buffered: list[tuple[int, Sequence[Any]]] = []
    limit = header_row if header_row else HEADER_SCAN
    for number, values in sheet.rows:
        buffered.append((number, values))
        if number >= limit:
            break
    where = f"sheet '{sheet.name}'" if sheet.name else path
    if not any(any(cell_text(v) for v in values) for _, values in buffered):
        raise InvalidInput(_("{where} is empty").format(
            where=where), _("put the ledger's header row and rows in it"))
    if header_row:
        chosen = next((b for b in buffered if b[0] == header_row), None)
        if chosen is None:
            raise InvalidInput(_("{where} has no row {header_row}").format(
                where=where, header_row=header_row), _("check --header-row"))
    else:
        scored = [(sum(1 for v in values if mapping.get(normalize_header(v))), number, values)
                  for number, values in buffered]
        best = max(scored, key=lambda s: (s[0], -s[1]))
        if best[0] < 2:
            raise InvalidInput(
                _("{where}: no header row found in the first {HEADER_SCAN} rows").format(
                    where=where, HEADER_SCAN=HEADER_SCAN),
                _("the header row names the columns (单位, 问题描述, 问题类别, 整改措施, 整改时限 ...); "
                  "name it with --header-row N, or map other headers with --columns"))
        chosen = (best[1], best[2])
    number, values = chosen
    _check_merged_header(sheet, number, values, where)
    fields: dict[int, str] = {}
    texts: dict[int, str] = {}
    ignored: list[str] = []
    problems: list[RowProblem] = []
    for col, value in enumerate(values):
        text = cell_text(value)
        if not text:
            continue
        name = mapping.get(normalize_header(text))
        if not name:
            ignored.append(text)
            continue
        if name in fields.values():
            first = next(c for c, f in fields.items() if f == name)
            problems.append(RowProblem(Where(sheet.name, number, col, text),
                                       _("column '{text}' and column '{value}' both mean {name}").format(
                                           text=text, value=texts[first], name=name),
                                       _("map one of them elsewhere with --columns")))
            continue
        fields[col] = name
        texts[col] = text
    missing = [LABELS[f] for f in REQUIRED if f not in fields.values()]
    if "seq" not in fields.values() and "code" not in fields.values():
        missing.append("序号 (or 问题编号)")
    if missing:
        problems.append(RowProblem(Where(sheet.name, number), _("no column for {names}").format(
            names=', '.join(missing)),
                                   "the header row must name them; map other headers with "
                                   "--columns, e.g. --columns '问题=title'"))
    if problems:
        raise ImportProblems(path, problems)
    rest = [b for b in buffered if b[0] > number]
    return Header(number, fields, texts, ignored), rest


def _check_merged_header(sheet: Sheet, row: int, values: Sequence[Any], where: str) -> None:
    for rng in sheet.merged:
        if rng.min_row <= row <= rng.max_row:
            raise InvalidInput(
                _("{where} row {row}: merged header cells {rng}").format(where=where, row=row, rng=rng),
                _("unmerge the header cells so that each column has its own one-row header (or name another "
                  "row with --header-row)"))
