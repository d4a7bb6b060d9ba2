"""One way to print every listing: aligned tables (CJK is double width), --json or --csv."""

from __future__ import annotations

import csv
import functools
import io
import json
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import click

from campaigns.i18n import _, column_label


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, size: int) -> str:
    return text + " " * (size - width(text))


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None,
          headers: dict[str, str] | None = None) -> str:
    if not rows:
        return _("(none)")
    columns = list(columns or rows[0].keys())
    head = [column_label((headers or {}).get(c) or c) for c in columns]
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    sizes = [max(width(h), *(width(row[i]) for row in cells)) for i, h in enumerate(head)]
    lines = ["  ".join(_pad(h, s) for h, s in zip(head, sizes, strict=True)).rstrip(),
             "  ".join("-" * s for s in sizes)]
    lines += ["  ".join(_pad(v, s) for v, s in zip(row, sizes, strict=True)).rstrip()
              for row in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else ""
    return str(value).replace("\n", " ")


def _csv(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet would run as a formula is quoted (docs/security.md)."""
    from campaigns.safecells import csv_cell

    return csv_cell(_cell(value)) if isinstance(value, str) else _cell(value)


def output_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Adds --json and --csv; the command receives ``fmt`` ('table', 'json' or 'csv')."""
    @click.option("--json", "fmt", flag_value="json", help="Print JSON.")
    @click.option("--csv", "fmt", flag_value="csv", help="Print CSV (listings).")
    @functools.wraps(fn)
    def wrapper(*args: Any, fmt: str | None = None, **kwargs: Any) -> Any:
        return fn(*args, fmt=fmt or "table", **kwargs)
    return wrapper


def emit(data: Any, fmt: str, columns: Sequence[str] | None = None,
         headers: dict[str, str] | None = None) -> None:
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    elif fmt == "csv":
        rows = data if isinstance(data, list) else [data]
        buf = io.StringIO()
        cols = list(columns or (rows[0].keys() if rows else []))
        writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
        writer.writerow({k: _csv(k) for k in cols})
        for row in rows:
            writer.writerow({k: _csv(row.get(k)) for k in cols})
        click.echo(buf.getvalue(), nl=False)
    elif isinstance(data, list):
        click.echo(table(data, columns, headers))
    else:
        click.echo(data)


def record(detail: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """A single record as aligned 'label: value' lines (nested lists are printed by callers)."""
    flat = {k: v for k, v in detail.items() if not isinstance(v, (list, dict))}
    shown = {k: (labels or {}).get(k) or column_label(k) for k in flat}
    size = max(width(label) for label in shown.values()) if flat else 0
    return "\n".join(f"{_pad(shown[k], size)}  {_cell(v)}" for k, v in flat.items())
