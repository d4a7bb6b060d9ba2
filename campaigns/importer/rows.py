"""Checking one row: every cell converted, or every problem with its place."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.core.errors import EngineError, InvalidInput, NotFound

from ..context import Scope
from ..i18n import _
from ..plugin import CONFIDENTIAL_FIELDS
from ..stages import attributed_stage, stage_windows
from ..standing import Pair, Path, closing_states, label, parse_state, resting_pairs
from ..tables import ITEMS as I
from ..tabular import Sheet
from ..units import UnitRow
from ..valuemaps import Resolver, mapped_values
from .cells import cell_date, cell_text
from .columns import DATE_FIELDS, LABELS, REQUIRED
from .header import Header
from .people import PeopleIndex, UnknownPerson, unknown_person
from .problems import RowProblem, Where
from .remarks import reporter_in

if TYPE_CHECKING:
    from .creating import Creator


@dataclass
class Parsed:
    """A clean row, with values the database uses (ids, keys, dates)."""

    row: int
    key: str  # how the row is recognised again
    code: str | None
    values: dict[str, Any]  # field -> value, for the fields the row gives
    unit: UnitRow
    pair: Pair | None = None
    path: Path | None = None
    secrets: dict[str, str] = field(default_factory=dict)
    stage: str | None = None  # set for a new item: the stage it was found in


# Cells stored in a column of limited length (campaigns/tables.py): 问题编号 in items.code,
# 序号 in items.external_ref after the unit's code (at most 64 characters) and a '#'.
LIMITS = {"code": I.c.code.type.length or 32, "seq": 32}  # type: ignore[attr-defined]


_NUMBERING = frozenset({"seq", "remarks"})  # the cells a numbered but empty row gives


class RowChecker:
    def __init__(self, scope: Scope, header: Header, sheet: Sheet, creator: Creator | None = None,
                 remarks: str | None = None) -> None:
        run, tree = scope.run, scope.tree
        d = run.definition
        self.run, self.tree, self.as_of = run, tree, scope.as_of
        self.header, self.sheet = header, sheet
        self.spreadsheet = sheet.name is not None
        self.categories: Mapping[str, str] = d.sections.get("categories") or {}
        self.sources: Mapping[str, str] = d.sections.get("sources") or {}
        self.people = PeopleIndex(scope.conn, tree)
        mapped = mapped_values(scope.conn, run)
        self.resolvers = {f: Resolver(run, f, mapped[f]) for f in ("category", "source")}
        self.creator = creator
        self.remarks = remarks  # 'reporter': reporter data in 备注 kept; 'ignore'; None: refused
        self.remark_rows: list[int] = []  # rows whose 备注 looked like reporter data
        self._cells: list[Any] | None = None
        self._row = 0
        self.pairs = resting_pairs(d)
        self.closing = closing_states(d)
        self.cache: dict[tuple[str, str], Any] = {}
        self.problems: list[RowProblem] = []
        self.seen: dict[str, int] = {}  # natural key -> first row
        self.codes: dict[str, int] = {}  # 问题编号 -> first row
        self.fill = self._merged_fill()
        self.wanted: dict[int, set[int]] = {}
        for cells in self.fill.values():
            for _col, (row, col) in cells:
                self.wanted.setdefault(row, set()).add(col)
        self.anchors: dict[tuple[int, int], Any] = {}
        self.stages: dict[Any, Any] = {}  # date found -> the stage it is attributed to

    def _merged_fill(self) -> dict[int, list[tuple[int, tuple[int, int]]]]:
        """Cells of merged ranges below the header take the value of the range's first cell."""
        fill: dict[int, list[tuple[int, tuple[int, int]]]] = {}
        for rng in self.sheet.merged:
            if rng.min_row <= self.header.row:
                continue
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) != (rng.min_row, rng.min_col):
                        fill.setdefault(r, []).append((c - 1, (rng.min_row, rng.min_col - 1)))
        return fill

    def check(self, number: int, raw: Sequence[Any]) -> Parsed | None:
        cells = list(raw)
        if self.fill:
            for col in self.wanted.get(number, ()):
                self.anchors[(number, col)] = cells[col] if col < len(cells) else None
            for col, anchor in self.fill.get(number, ()):
                while len(cells) <= col:
                    cells.append(None)
                cells[col] = self.anchors.get(anchor)
        given: dict[str, tuple[int, Any]] = {}
        for col, name in self.header.fields.items():
            value = cells[col] if col < len(cells) else None
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            given[name] = (col, value)
        if not given:
            return None  # blank row
        if given.keys() <= _NUMBERING:
            return None  # a numbered but empty row at the end of a form
        before = len(self.problems)
        self._cells, self._row = cells, number
        try:
            return self._check(number, given, before)
        finally:
            self._cells = None

    def _check(self, number: int, given: dict[str, tuple[int, Any]], before: int) -> Parsed | None:
        if "remarks" in given:
            self._remarks(number, given)
        values: dict[str, Any] = {}
        for name, (col, value) in given.items():
            kind = self._formula_or_error(value) if self.spreadsheet else None
            if kind:
                what = "a formula" if kind == "formula" else "an error value"
                self._problem(number, col, f"the cell holds {what} ({value}), not a value",
                              "copy the column and paste it back as values (选择性粘贴 → 数值)")
                continue
            try:
                values[name] = self._convert(name, value)
            except EngineError as exc:
                self._problem(number, col, exc.message, exc.hint)
        for name in REQUIRED:
            if name not in given:
                self._problem(number, self._col(name), f"{self._label(name)} is empty",
                              "every row needs a unit, a problem description and a category")
        if "seq" not in given and "code" not in given:
            self._problem(number, self._col("seq") if self._col("seq") is not None
                          else self._col("code"), "序号 is empty",
                          "number the rows: a unit and its 序号 recognise the row when "
                          "the file is imported again")
        if "unit" in values and ("seq" in values or "code" in values):
            self._duplicate(self._key(values["unit"], values), values.get("code"), number)
        # people are checked even in a row with other problems: every problem in one pass
        unit: UnitRow | None = values.pop("unit", None)
        local = bool(self.creator and self.creator.people)
        for name in ("leader", "person"):
            if name in values:
                try:
                    values[name] = self._person(values[name], unit, local, number)
                except EngineError as exc:
                    self._problem(number, self._col(name), exc.message, exc.hint)
        if unit is None or ("seq" not in values and "code" not in values):
            return None  # no key to recognise the row by: its other checks need one
        parsed = Parsed(number, self._key(unit, values), values.get("code"), values, unit)
        for name in CONFIDENTIAL_FIELDS:
            if name in values:
                parsed.secrets[name] = values.pop(name)
        if "state" not in given or "state" in values:
            self._check_state(parsed)  # (a 状态 that could not be read says nothing more)
        return parsed if len(self.problems) == before else None

    def _person(self, text: str, unit: UnitRow | None, local: bool, row: int) -> int:
        """The 责任领导/责任人 a cell names; with --create-missing people, one created in the
        row's unit when none of that name is in it, below it or above it."""
        if unit is None:  # the row's unit is wrong: only whether the name is known at all
            if not local and text not in self.people.by_key and text not in self.people.by_name:
                raise unknown_person(text)
            return 0
        try:
            return self.people.find(text, unit, local)
        except UnknownPerson:
            if not local or self.creator is None:
                raise
            return self.creator.person(self.people, text, unit, row)

    def _duplicate(self, key: str, code: str | None, row: int) -> None:
        """A row that names the same item as an earlier one (by unit and 序号, or 问题编号)."""
        by_seq = not key.startswith("code:")
        if key in self.seen:
            what = "the same 单位 and 序号" if by_seq else "the same 问题编号"
            self._problem(row, self._col("seq" if by_seq else "code"),
                          f"duplicate of row {self.seen[key]} ({what})",
                          "each row needs its own 序号 within its unit")
            return
        self.seen[key] = row
        if code and by_seq:
            if code in self.codes:
                self._problem(row, self._col("code"),
                              f"duplicate of row {self.codes[code]} (the same 问题编号)")
            else:
                self.codes[code] = row

    def _key(self, unit: UnitRow, values: Mapping[str, Any]) -> str:
        if "seq" in values:
            return f"{unit.code}#{values['seq']}"
        return f"code:{values['code']}"

    def _formula_or_error(self, value: Any) -> str | None:
        if type(value) is str or not isinstance(value, str):
            return None  # a plain value (formulas and errors read as their own str types)
        from ..xlsx import formula_or_error

        return formula_or_error(value)

    def _convert(self, name: str, value: Any) -> Any:
        text = value.strip() if type(value) is str else cell_text(value)  # (its first case)
        limit = LIMITS.get(name)
        if limit is not None and len(text) > limit:
            raise InvalidInput(_("{value} is {count} characters long; at most {limit} fit").format(
                value=self._label(name), count=len(text), limit=limit), _("shorten it"))
        if name in DATE_FIELDS:
            key = (name, text) if not isinstance(value, (int, float)) else None
            if key and key in self.cache:
                return self.cache[key]
            day = cell_date(value, self.run.start_date, self.spreadsheet)
            if key:
                self.cache[key] = day
            return day
        if name == "unit":
            return self._cached(name, text, lambda: self._unit(text))
        if name in ("category", "source"):
            return self._cached(name, text, lambda: self.resolvers[name].find(text))
        if name == "state":
            return self._cached(name, text, lambda: parse_state(self.run.definition, text,
                                                                self.pairs))
        return text

    def _unit(self, text: str) -> UnitRow:
        """The unit a cell names; an unknown one created under --parent when asked to."""
        creating = self.creator is not None and self.creator.units
        if creating and not self._may_exist(text):
            assert self.creator is not None
            return self.creator.unit(text, self._row)  # (no suggestions sought: it is made)
        try:
            return self.tree.find(text)
        except NotFound as exc:
            if creating and self.creator is not None:
                return self.creator.unit(text, self._row)
            fix = _("add the unit ('rectify unit add', or import with --create-missing units "
                    "--parent UNIT)")
            hint = f"{exc.hint} {_('or')} {fix}" if exc.hint and "?" in exc.hint else fix
            raise NotFound(exc.message, hint) from None

    def _may_exist(self, text: str) -> bool:
        """Whether a unit of that code or (last) title is in the tree: one that is not is
        created without the search for a close name that ``UnitTree.find`` makes."""
        text = text.strip()
        last = text.split("/")[-1]
        return text in self.tree.by_code or any(u.title == last
                                                for u in self.tree.by_id.values())

    def _remarks(self, number: int, given: dict[str, tuple[int, Any]]) -> None:
        """A 备注 cell holding a reporter's details: kept as the confidential reporter fields
        (``remarks='reporter'``), left out ('ignore'), or a problem shown without its value."""
        col, value = given.pop("remarks")
        found = reporter_in(cell_text(value))
        if found is None:
            return
        self.remark_rows.append(number)
        if self.remarks == "reporter":
            name, contact = found
            if name and "reporter" not in given:
                given["reporter"] = (col, name)
            if contact and "reporter_contact" not in given:
                given["reporter_contact"] = (col, contact)
        elif self.remarks != "ignore":
            self._problem(number, col, _("备注 holds what looks like a reporter's details "
                                         "(举报人, 反映人 or a phone number)"),
                          _("give --remarks-to-reporter to keep them as the confidential "
                            "reporter fields, or --ignore-remarks to leave them out"),
                          hide=True)

    def _cached(self, name: str, text: str, compute: Callable[[], Any]) -> Any:
        key = (name, text)
        if key not in self.cache:
            try:
                self.cache[key] = compute()
            except EngineError as exc:
                self.cache[key] = exc
        found = self.cache[key]
        if isinstance(found, EngineError):
            raise found
        return found

    def _check_state(self, parsed: Parsed) -> None:
        v = parsed.values
        if "found_on" in v:
            if v["found_on"] > self.as_of:
                self._problem(parsed.row, self._col("found_on"),
                              f"{v['found_on']} is after the business date {self.as_of}",
                              "give --as-of on or after the dates in the file")
            elif v["found_on"] < self.run.start_date:
                self._problem(parsed.row, self._col("found_on"),
                              f"{v['found_on']} is before the campaign started "
                              f"({self.run.start_date})")
            elif "deadline" in v and v["deadline"] < v["found_on"]:
                self._problem(parsed.row, self._col("deadline"),
                              f"{v['deadline']} is before the problem was found ({v['found_on']})")

        if "state" in v:
            parsed.pair = v.pop("state")
            parsed.path = self.pairs[parsed.pair]
        if "closed_on" in v:
            if parsed.pair is None or parsed.pair[0] not in self.closing:
                shown = label(self.run.definition, *parsed.pair) if parsed.pair else "empty"
                self._problem(parsed.row, self._col("closed_on"),
                              f"a 销号日期 is given but 状态 is {shown}",
                              "only closed (已销号) items have a 销号日期")
            elif v["closed_on"] > self.as_of:
                self._problem(parsed.row, self._col("closed_on"),
                              f"{v['closed_on']} is after the business date {self.as_of}",
                              "give --as-of on or after the dates in the file")

    def attribute(self, parsed: Parsed) -> None:
        """Give a new item its stage, by the one rule (``stages.attributed_stage``) applied to
        the date it was found (its 发现日期, or the business date); a date outside every
        stage's window is a problem of the row."""
        found = parsed.values.get("found_on") or self.as_of
        deadline = parsed.values.get("deadline")
        if "found_on" not in parsed.values and parsed.pair is None and deadline is not None \
                and deadline < found:
            # a new item found on the business date, as `item add` records one: its rule
            self._problem(parsed.row, self._col("deadline"),
                          f"deadline {deadline} is before the item was found ({found})",
                          "give a deadline on or after --as-of, or a 发现日期 or 状态 column")
        stage = self.stages.get(found, self.stages)
        if stage is self.stages:  # one rule of the windows and the date: worked out per date
            stage = self.stages[found] = attributed_stage(self.run, found)
        parsed.stage = stage
        if parsed.stage is None and self.run.definition.stages:
            self._problem(parsed.row, self._col("found_on"),
                          f"{found} is outside every stage's window, so the item belongs to no stage",
                          f"give a date within a window: {stage_windows(self.run)}")

    def _col(self, name: str) -> int | None:
        return next((c for c, f in self.header.fields.items() if f == name), None)

    def _label(self, name: str) -> str:
        col = self._col(name)
        return self.header.texts[col] if col is not None else LABELS.get(name, name)

    def _problem(self, row: int, col: int | None, message: str, hint: str | None = None,
                 hide: bool = False) -> None:
        header = self.header.texts.get(col) if col is not None else None
        value = None
        cells = self._cells
        if not hide and cells is not None and col is not None and col < len(cells) \
                and row == self._row:
            value = cell_text(cells[col])
        self.problems.append(RowProblem(Where(self.sheet.name, row, col, header), message, hint,
                                        value))
