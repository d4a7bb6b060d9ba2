"""Numbering new items."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.engine import Connection

from campaigns.i18n import _
from engine.core.errors import InvalidInput

from ..runs import Run
from ..tables import ITEMS as I
from .rows import Parsed


class CodeAllocator:
    """Item codes for new rows: the row's own 问题编号 when it is one of this campaign's form
    and still free (so a ledger re-imported into a fresh campaign keeps its codes), else the
    next free numbers."""

    def __init__(self, conn: Connection, run: Run) -> None:
        self.conn, self.run = conn, run
        self.prefix = f"{run.code_prefix}-{run.start_date.year}-"
        # a number that would not fit the seq column gets the next free code instead
        self.pattern = re.compile(re.escape(self.prefix) + r"(\d{4,9})\Z")
        self.own = set(conn.execute(select(I.c.code).where(I.c.campaign_id == run.id)).scalars())
        self.used = set(conn.execute(select(I.c.seq).where(I.c.campaign_id == run.id)).scalars())
        self.others = conn.execute(select(I.c.id).where(
            I.c.code.like(self.prefix + "%"), I.c.campaign_id != run.id).limit(1)).first()

    def _taken(self, codes: list[str]) -> set[str]:
        found = {c for c in codes if c in self.own}
        if self.others is not None:
            for start in range(0, len(codes), 500):
                found.update(self.conn.execute(select(I.c.code).where(
                    I.c.code.in_(codes[start:start + 500]))).scalars())
        return found

    def assign(self, rows: list[Parsed]) -> tuple[list[int], list[str]]:
        wanted = {p.code: int(m.group(1)) for p in rows
                  if p.code and (m := self.pattern.match(p.code))}
        taken = self._taken(list(wanted))
        seqs: list[int | None] = []
        for p in rows:
            seq = wanted.get(p.code) if p.code else None
            if seq is None or seq in self.used or p.code in taken \
                    or f"{self.prefix}{seq:04d}" != p.code:
                seqs.append(None)
            else:
                self.used.add(seq)
                seqs.append(seq)
        nxt = max(self.used, default=0)
        out: list[int] = []
        for seq in seqs:
            if seq is None:
                nxt += 1
                seq = nxt
                self.used.add(seq)
            out.append(seq)
        codes = [f"{self.prefix}{seq:04d}" for seq in out]
        clash = self._taken([c for c, s in zip(codes, seqs, strict=True) if s is None])
        if clash:
            raise InvalidInput(_("item codes such as {value} are already used by another campaign with code "
                                 "prefix {code_prefix} in {year}").format(
                                     value=sorted(clash)[0], code_prefix=self.run.code_prefix,
                                     year=self.run.start_date.year),
                               _("import into a database of its own, or start the campaign from a definition "
                                 "with another code_prefix"))
        self.own.update(codes)
        return out, codes
