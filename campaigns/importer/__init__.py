"""Importing problem items and their rectifications from a ledger (台账) spreadsheet.

All or nothing: every row is read and checked first, and every bad cell is reported with its
sheet, row and column; only a clean file is written, in one transaction, with bulk inserts.
A row is recognised again by its unit and 序号 (kept as the item's ``external_ref``) or by its
item code, so importing the same file twice adds nothing; rows whose facts changed since are
reported as conflicts, or applied (and recorded as edits) with ``update``.

Items enter their lifecycle's first states.  A row whose 状态 names a later state is imported
in that state only by an actor whose role may override (``overrides: true``); the move is
recorded as an ``import`` event of each machine it moves.

The package's modules, in the order an import runs: ``header`` opens the file and finds the
header row (``columns`` says which header means which field), ``rows`` checks each row
(``cells`` reads dates and text, ``people`` finds people), ``matching`` recognises rows
imported before and their changes, ``moves`` decides who may import a later 状态 and plans the
moves there (``plan_row_moves``, no I/O), ``inserting`` and ``updating`` write through
``writes`` (the one module that calls the engine's writer); ``importing`` runs it all.
"""

from .cells import cell_date, cell_text
from .columns import (
    DATE_FIELDS,
    FIELDS,
    HEADER_SCAN,
    HEADERS,
    LABELS,
    REQUIRED,
    column_mapping,
    normalize_header,
    parse_columns,
)
from .header import Header, find_header, open_table
from .importing import BATCH, catch_up_clock, import_items
from .matching import fingerprint
from .moves import Current, may_import_states, plan_row_moves
from .options import Options, Result
from .people import PeopleIndex
from .problems import ImportProblems, RowProblem, Where
from .rows import Parsed, RowChecker
from .writes import bulk_insert

__all__ = [
    "BATCH", "Current", "DATE_FIELDS", "FIELDS", "HEADERS", "HEADER_SCAN", "LABELS", "REQUIRED",
    "Header", "ImportProblems", "Options", "Parsed", "PeopleIndex", "Result", "RowChecker",
    "RowProblem",
    "Where", "bulk_insert", "cell_date", "cell_text", "column_mapping", "fingerprint",
    "catch_up_clock", "find_header", "import_items", "may_import_states", "normalize_header", "open_table",
    "parse_columns", "plan_row_moves",
]
