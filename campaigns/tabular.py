"""Reading CSV files whose headers may be Chinese or English; errors name row and column."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.core.errors import InvalidInput, NotFound
from engine.core.files import regular_file

from .i18n import _
from .safecells import csv_value

MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Row:
    number: int  # 1-based line in the file, header included
    values: dict[str, str]
    columns: dict[str, str]  # field -> column letter/name, for messages


class ImportErrors(InvalidInput):
    """Every bad row of a file; nothing is imported until the file is clean."""

    def __init__(self, path: str, problems: list[str]) -> None:
        shown = problems[:50]
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in {path}; nothing was imported:\n  "
                         + "\n  ".join(shown) + more, "fix the rows and import again")
        self.problems = problems


def read_csv(path: str, mapping: Mapping[str, str], required: tuple[str, ...]) -> list[Row]:
    regular_file(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise NotFound(_("cannot read {path}: {strerror}").format(
            path=path, strerror=exc.strerror), _("check the path")) from None
    if len(raw) > MAX_BYTES:
        raise InvalidInput(_("{path} is larger than 50 MB").format(path=path), _("split the file"))
    reader = csv.reader(decode(raw, path).splitlines())
    header = next(reader, None)
    if not header:
        raise InvalidInput(_("{path} is empty").format(path=path), _("the first row must name the columns"))
    fields: dict[int, str] = {}
    for i, name in enumerate(header):
        field = mapping.get(name.strip()) or mapping.get(name.strip().lower())
        if field:
            fields[i] = field
    missing = [f for f in required if f not in fields.values()]
    if missing:
        raise InvalidInput(_("{path}: no column for {names}").format(path=path, names=', '.join(missing)),
                           _("the header row must name them; known headers: {names}").format(
                               names=', '.join(sorted(mapping))))
    letters = {f: f"column {i + 1} ({header[i].strip()})" for i, f in fields.items()}
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        values = {fields[i]: csv_value(c.strip()) for i, c in enumerate(cells) if i in fields}
        rows.append(Row(number, values, letters))
    return rows


# --- streaming tables (used by the item importer) -----------------------------------------------


@dataclass
class Sheet:
    """Rows of one sheet or CSV file: (1-based row number, cell values)."""

    name: str | None  # None for a CSV file
    rows: Iterator[tuple[int, Sequence[Any]]]
    total: int | None = None  # rows, when known up front (for a progress bar)
    merged: list[Any] = field(default_factory=list)  # merged ranges (xlsx only)
    sheets: list[str] = field(default_factory=list)


def size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def check_file(path: str, max_bytes: int) -> int:
    """The file's size, after checking it exists and is within the limit."""
    size = regular_file(path)
    if size > max_bytes:
        raise InvalidInput(_("{path} is {value}, over the import limit of {value2}").format(
            path=path, value=size_text(size), value2=size_text(max_bytes)),
                           _("split the file, or raise the limit with --max-size"))
    return size


def decode(raw: bytes, path: str) -> str:
    """UTF-8 (with or without BOM), else GB18030 (what Excel saves as CSV in China)."""
    if b"\0" in raw[:4096]:
        raise InvalidInput(_("{path} is not a text (CSV) file").format(path=path),
                           _("save the sheet as CSV (UTF-8), or import the .xlsx itself"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(_("{path} is neither UTF-8 nor GB18030 text").format(
        path=path), _("save it as UTF-8 CSV"))


def _encoding(path: str) -> str:
    """UTF-8 (with or without BOM), else GB18030, found by decoding the file chunk by chunk
    (``decode``'s rule, without holding the file's text)."""
    import codecs

    with open(path, "rb") as fh:
        if b"\0" in fh.read(4096):
            raise InvalidInput(f"{path} is not a text (CSV) file",
                               "save the sheet as CSV (UTF-8), or import the .xlsx itself")
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInput(f"{path} is neither UTF-8 nor GB18030 text", "save it as UTF-8 CSV")


def _check_quotes(path: str, encoding: str, dialect: Any) -> int:
    """Parse the whole file once, so a malformed one is refused before anything is written;
    a quote never closed would otherwise swallow every later row into one cell.  The number
    of lines."""
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, dialect, strict=True)
        rows = 0
        try:
            for rows, _row in enumerate(reader, start=1):  # noqa: B007
                pass
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise InvalidInput(
                    _('{path}: row {value}: a quote (") is opened and never closed').format(
                        path=path, value=rows + 1),
                    _('close the quote, or double a quote inside a quoted cell ("")')) from None
            if "field larger" in str(exc):
                raise InvalidInput(_("{path}: row {value}: a cell is larger than 128 KB").format(
                    path=path, value=rows + 1), _("check the quotes on that row")) from None
            # other strictness (text after a closing quote) is read as spreadsheet programs do
            return 0
        return reader.line_num


def csv_sheet(path: str, max_bytes: int = MAX_BYTES) -> Sheet:
    """A CSV file as a stream of rows; numbered as a spreadsheet program shows them.

    The file is read three times and never held whole: its encoding checked, its quotes
    checked, then its rows, so memory stays flat however long it is."""
    check_file(path, max_bytes)
    encoding = _encoding(path)
    with open(path, encoding=encoding, newline="") as fh:
        first = fh.readline()
    dialect: Any = csv.excel_tab if "\t" in first and "," not in first else csv.excel
    total = _check_quotes(path, encoding, dialect) or None

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        with open(path, encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, dialect)
            try:
                for number, cells in enumerate(reader, start=1):
                    yield number, [csv_value(c) if c[:1] == "'" else c for c in cells]
            except csv.Error as exc:
                raise InvalidInput(_("{path}: row {line_num}: malformed CSV ({exc})").format(
                    path=path, line_num=reader.line_num, exc=exc),
                                   _("check the quotes on that line")) from None

    return Sheet(None, rows(), total)
