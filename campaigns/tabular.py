"""Reading CSV files whose headers may be Chinese or English; errors name row and column."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass

from engine.errors import InvalidInput, NotFound

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
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise NotFound(f"cannot read {path}: {exc.strerror}", "check the path") from None
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"{path} is larger than 50 MB", "split the file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(f"{path} is neither UTF-8 nor GB18030 text", "save it as UTF-8 CSV")
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header:
        raise InvalidInput(f"{path} is empty", "the first row must name the columns")
    fields: dict[int, str] = {}
    for i, name in enumerate(header):
        field = mapping.get(name.strip()) or mapping.get(name.strip().lower())
        if field:
            fields[i] = field
    missing = [f for f in required if f not in fields.values()]
    if missing:
        raise InvalidInput(f"{path}: no column for {', '.join(missing)}",
                           f"the header row must name them; known headers: "
                           f"{', '.join(sorted(mapping))}")
    letters = {f: f"column {i + 1} ({header[i].strip()})" for i, f in fields.items()}
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        values = {fields[i]: c.strip() for i, c in enumerate(cells) if i in fields}
        rows.append(Row(number, values, letters))
    return rows
