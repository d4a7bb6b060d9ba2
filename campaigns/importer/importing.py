"""The import itself: rows read, checked, matched and written batch by batch."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from typing import TYPE_CHECKING, Any

from campaigns.i18n import _
from engine.core.collector import paused
from engine.core.errors import InvalidInput, Refused

from ..admins import require_admin
from ..batches import IMPORT, recording
from ..context import Scope
from ..events import lock
from ..runs import require_forward
from ..sealed import Sealer
from ..tables import SITE
from ..tabular import Sheet
from .codes import CodeAllocator
from .columns import column_mapping
from .creating import Creator
from .header import Header, find_header, open_table
from .inserting import insert_new
from .matching import describe_change, diff_row, existing_items, last_item_id, match_rows
from .moves import refusals
from .options import Options, Result
from .problems import ImportProblems, RowProblem, Where
from .rows import Parsed, RowChecker
from .updating import update_item

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from ..clock import TickReport

BATCH = 2000  # rows checked, matched and written together


def import_items(scope: Scope, path: str, options: Options | None = None,
                 progress: Callable[[int], None] | None = None,
                 on_total: Callable[[int | None], None] | None = None,
                 table: Sheet | None = None) -> Result:
    """Import ``path`` into the scope's campaign; raises ``ImportProblems``, writing nothing,
    if any row is bad.

    Rows are read, checked and written in batches inside one savepoint, so memory stays
    bounded however long the file; the first problem stops the writing, the rest of the file
    is still checked so that every problem is reported, and the savepoint is rolled back.
    ``table`` is the file opened (and checked) by ``open_table`` before the caller's write
    transaction began, as the command does: a file that hangs or is damaged holds no lock.
    """
    options = options or Options()
    conn, run = scope.conn, scope.run
    _refuse(scope, options)
    if not options.dry_run:
        # An import may touch any item: the campaign's clock first runs up to its date, as every
        # change brings the clock up to date for what it touches (docs/deadlines.md).  A caller
        # that opens its own transactions does that beforehand in short ones (``catch_up_clock``,
        # as the command does); this one-transaction tick is for a caller that did not.  The
        # tick takes the event log's head before any row: the writers' one lock order.
        if run.ticked_to is None or run.ticked_to < scope.as_of:
            from ..clock import tick

            tick(scope)
        # the event logs' heads before any row (the writers' lock order): the site's too when
        # units or people may be created
        lock(conn, [run.key, *([SITE] if options.create else [])])
    mapping = column_mapping(run, options.columns)
    section = run.definition.sections.get("import") or {}
    with ExitStack() as stack:
        if not options.dry_run:  # one batch, undone as a whole ('rectify campaign undo --batch')
            stack.enter_context(recording(conn, run.id, run.key, IMPORT, scope.acting.key,
                                          scope.as_of, {"file": os.path.basename(path)}))
        return _import(scope, path, options, mapping, section, progress, on_total, table)


def catch_up_clock(read: Callable[[], AbstractContextManager[Connection]],
                   write: Callable[[], AbstractContextManager[Connection]],
                   scope_in: Callable[[Connection], Scope],
                   options: Options | None = None) -> TickReport | None:
    """Run the campaign's clock up to the import's date as the tick does, in short resumable
    transactions (``clock.tick_in_batches``), before the import's own transaction opens: that
    one then holds the write lock for its own rows only, not for months of escalation.

    What would refuse the import anyway (actor, date, a concluded campaign) is checked first,
    in a read, so such an import moves no clock.  The catch-up is the clock's own work, the
    same whoever brings it about, so it stands when the import is then refused for its rows,
    and a rerun finds it done; killed midway, the rerun finishes it as the next tick would.
    A dry run ticks nothing (None), nor does a campaign already up to date.
    """
    from .. import clock

    options = options or Options()
    if options.dry_run:
        return None
    with read() as conn:
        scope = scope_in(conn)
        _refuse(scope, options)
        run = scope.run
        if run.ticked_to is not None and run.ticked_to >= scope.as_of:
            return None
    return clock.tick_in_batches(write, scope_in, hold=clock.HOLD)


def _refuse(scope: Scope, options: Options) -> None:
    """What refuses an import whatever its file holds."""
    run = scope.run
    require_forward(run, scope.as_of, dry_run=options.dry_run)
    if run.concluded_on:
        raise Refused(_("campaign '{key}' concluded on {concluded_on}").format(
            key=run.key, concluded_on=run.concluded_on))
    if options.create:  # units and people are created by an administrator only
        require_admin(scope.conn, scope.acting.key)


def _import(scope: Scope, path: str, options: Options, mapping: dict[str, str],
            section: Any, progress: Callable[[int], None] | None,
            on_total: Callable[[int | None], None] | None, table: Sheet | None) -> Result:
    opened = nullcontext(table) if table is not None else open_table(path, options)
    # each batch builds tens of thousands of rows, events and moves, freed when it is written:
    # the cyclic collector would rescan the whole heap for them again and again (a fifth of a
    # 100,000-row import), and finds nothing it needs to
    with scope.conn.begin_nested(), opened as sheet, paused():
        header, rest = find_header(sheet, mapping, options.header_row or section.get("header_row"),
                                   path)
        if on_total is not None:
            on_total(sheet.total - header.row if sheet.total else None)
        creator = Creator(scope, os.path.basename(path), sheet.name, options.create,
                          options.parent, options.dry_run) if options.create else None
        checker = RowChecker(scope, header, sheet, creator, options.remarks)
        work = _Writer(scope, path, options, header, checker)
        batch: list[Parsed] = []
        count = 0
        for number, values in _chain(rest, sheet.rows):
            row = checker.check(number, values)
            if row is not None:
                batch.append(row)
                if len(batch) >= BATCH:
                    work.flush(batch)
                    batch = []
            count += 1
            if progress is not None and count % 500 == 0:
                progress(500)
        work.flush(batch)
        if progress is not None:
            progress(count % 500)
        work.finish()
    return work.result


class _Writer:
    """Matches checked rows with the campaign's items and writes them, batch by batch."""

    def __init__(self, scope: Scope, path: str, options: Options, header: Header,
                 checker: RowChecker) -> None:
        self.scope, self.run, self.actor, self.path = scope, scope.run, scope.acting, path
        self.options, self.header, self.checker = options, header, checker
        self.sheet = checker.sheet.name
        self.origin = {"file": os.path.basename(path), "sheet": self.sheet}
        self.upto = last_item_id(scope.conn)  # items this import adds are never matched
        self.codes = CodeAllocator(scope.conn, scope.run)
        self.conflicts: list[RowProblem] = []
        self.refused: list[RowProblem] = []
        self.default_source = next(iter(checker.sources), None)
        self.result = Result(path, self.sheet, header.row, ignored_columns=header.ignored,
                             dry_run=options.dry_run)

    @property
    def blocked(self) -> bool:
        return bool(self.checker.problems or self.refused
                    or (self.conflicts and not self.options.update))

    def flush(self, batch: list[Parsed]) -> None:
        if not batch:
            return
        self.result.rows += len(batch)
        existing = existing_items(self.scope.conn, self.run, batch, self.upto)
        fresh, matched = match_rows(batch, existing)
        for p in fresh:
            self.checker.attribute(p)
        changed = []
        sealer = Sealer(self.scope.conn, self.run)
        for p, item in matched:
            if sealer:  # compared as tokens: the columns hold tokens, never the values
                p.values = sealer.seal(item["id"], item["code"], p.values)
            diff = diff_row(self.run, p, item, self.checker.people.names)
            if not diff:
                self.result.unchanged += 1
                continue
            changed.append((p, item, diff))
            self.conflicts.append(RowProblem(
                Where(self.sheet, p.row), f"{item['code']} changed since it was imported: "
                + "; ".join(describe_change(self.run, self.header, name, old, new)
                            for name, (old, new) in diff.items())))
        self.refused += refusals(self.run, self.actor, self.header, self.sheet, fresh, changed)
        if any("source" not in p.values for p in fresh):
            if self.default_source is None:
                raise InvalidInput(_("the definition lists no sources and the file gives none"),
                                   _("add a 问题来源 column"))
            self.result.default_source = self.default_source
        if self.options.dry_run:
            # the numbering the real import would give, with its checks (a code prefix that
            # another campaign uses): a dry run refuses what the import would refuse
            if not self.blocked:
                self.codes.assign(fresh)
            self.result.new += [f"(new) {p.key}" for p in fresh]
            self.result.updated += [item["code"] for _, item, _ in changed]
            return
        if self.blocked:
            return
        self.result.new += insert_new(self.scope, self.origin, fresh, self.default_source,
                                      self.codes)
        for p, item, diff in changed:
            update_item(self.scope, self.origin, p, item, diff)
            self.result.updated.append(item["code"])
        sealer.flush()

    def finish(self) -> None:
        """Raise (rolling the savepoint back) if anything stood in the way."""
        problems = self.checker.problems
        self.result.remark_rows = self.checker.remark_rows
        if self.checker.creator is not None:
            self.result.created_units = self.checker.creator.new_units
            self.result.created_people = self.checker.creator.new_people
        if not self.result.rows and not problems:
            raise InvalidInput(_("{path}: no rows below the header (row {row})").format(
                path=self.path, row=self.header.row),
                               _("add the items under the header row"))
        if problems:
            raise ImportProblems(self.path, sorted(problems, key=lambda p: (p.where.row,
                                                                             p.where.column or 0)))
        if self.conflicts and not self.options.update:
            raise ImportProblems(self.path, self.conflicts, what="conflict",
                                 hint="give --update to take the file's values (each change is "
                                      "recorded), or correct the file")
        if self.refused:
            roles = [r.key for r in self.run.definition.roles.values() if r.overrides]
            raise ImportProblems(self.path, self.refused, what="refused row",
                                 hint=f"import as someone with role "
                                      f"{' or '.join(roles) or '(none defined)'}, "
                                      "or without the 状态 column")


def _chain(first: list[tuple[int, Sequence[Any]]],
           rest: Iterator[tuple[int, Sequence[Any]]]) -> Iterator[tuple[int, Sequence[Any]]]:
    yield from first
    yield from rest
