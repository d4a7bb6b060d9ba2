"""Every kind of event Rectify writes, with its payload's fields and version (docs/events.md).

Each kind is a frozen dataclass: its ``KIND`` names it in the docs, ``MACHINE`` and ``TRIGGER``
are the event columns it is written with (None: the caller's, for kinds any transition writes),
and ``VERSION`` is its payload version, stored and hashed with the event.  A change to a kind's
fields raises its version and is documented; readers keep understanding every older version.

Writers build their events with ``entry`` (a campaign's stream) or ``site_entry`` (the site
log) and hand them to engine.io.writer, the only code that inserts events.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.engine import Connection

from engine.io.writer import Entry, append, lock_heads

from .tables import SITE, SITE_EVENTS

OPTIONAL: Mapping[str, Any] = {"optional": True}  # left out of the payload when None


def _iso(value: Any) -> Any:
    """A payload value as JSON holds it: dates as ISO text, an import's origin as its mapping."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Origin):
        return value.as_dict()
    if isinstance(value, Mapping):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


@dataclass(frozen=True)
class Payload:
    """A typed payload: ``as_payload`` is the JSON object stored (and hashed) with the event."""

    KIND: ClassVar[str] = ""
    MACHINE: ClassVar[str | None] = None
    TRIGGER: ClassVar[str | None] = None
    VERSION: ClassVar[int] = 1

    def as_payload(self) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None and f.metadata.get("optional"):
                continue
            out[f.metadata.get("name", f.name)] = _iso(value)
        return out or None


# --- a campaign's stream -------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignStarted(Payload):
    """A campaign started from a definition file (the snapshot's hash)."""

    KIND = "campaign started"
    MACHINE, TRIGGER = "campaign", "start"
    definition: str
    hash: str


@dataclass(frozen=True)
class CampaignConcluded(Payload):
    """The last stage closed: the campaign's clock stops."""

    KIND = "campaign concluded"
    MACHINE, TRIGGER = "campaign", "conclude"


@dataclass(frozen=True)
class StageOpened(Payload):
    """A stage opened, by hand or by the clock; ``overridden``: exit guards forced past."""

    KIND = "stage opened"
    MACHINE, TRIGGER = "stage", "open"
    stage: str
    overridden: list[str] | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class StageClosed(Payload):
    """A stage closed."""

    KIND = "stage closed"
    MACHINE, TRIGGER = "stage", "close"
    stage: str
    overridden: list[str] | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class Origin:
    """Where an imported value came from: file, sheet and row (1-based), and the row's values."""

    file: str
    sheet: str | None
    row: int
    values: Mapping[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "sheet": self.sheet, "row": self.row}
        if self.values is not None:
            out["values"] = dict(self.values)
        return out


@dataclass(frozen=True)
class ItemAdded(Payload):
    """A problem item recorded, with its rectification (not yet planned unless imported)."""

    KIND = "item added"
    MACHINE, TRIGGER = "item", "add"
    VERSION = 5  # 2: an import gives leader_id and person_id; 3: hmac of confidential values;
    # 4: a field the campaign seals (campaigns.sealed) holds its token, never the value;
    # 5: ``inspection``, the reference of the inspection whose finding it is
    title: str
    unit: str  # unit code
    category: str
    source: str | None
    rectification: int  # the rectification's row id in the database that recorded it
    deadline: dt.date | None
    secrets: list[str]  # names of the confidential fields given (their values are elsewhere)
    measures: str | None = field(default=None, metadata=OPTIONAL)
    target: str | None = field(default=None, metadata=OPTIONAL)
    department: str | None = field(default=None, metadata=OPTIONAL)
    original_deadline: dt.date | None = field(default=None, metadata=OPTIONAL)
    origin: Origin | None = field(default=None, metadata={"optional": True, "name": "import"})
    # since version 2, with ``import``: who is responsible from the start (null: no one yet)
    leader_id: int | None = field(default=None, metadata=OPTIONAL)
    person_id: int | None = field(default=None, metadata=OPTIONAL)
    # since version 3: field → keyed hash of the value given (campaigns.secrets), never the value
    hmac: Mapping[str, str] | None = field(default=None, metadata=OPTIONAL)
    inspection: str | None = field(default=None, metadata=OPTIONAL)  # since version 5

    def as_payload(self) -> dict[str, Any] | None:
        out = super().as_payload() or {}
        if self.origin is not None:  # an import says who is responsible, even no one
            out["leader_id"], out["person_id"] = self.leader_id, self.person_id
        return out


@dataclass(frozen=True)
class Planned(Payload):
    """A rectification plan given (措施、目标、时限、责任人): the columns it set."""

    KIND = "plan"
    MACHINE, TRIGGER = "rectification", "plan"
    VERSION = 2  # 2: a sealed field (measures, target, department) holds its token
    measures: str
    target: str | None
    department: str | None
    deadline: dt.date | None
    level_base: dt.date | None
    level: str | None
    original_deadline: dt.date | None = field(default=None, metadata=OPTIONAL)
    leader_id: int | None = field(default=None, metadata=OPTIONAL)
    person_id: int | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class Moved(Payload):
    """Any other transition fired on an item or rectification: the fields its actions set."""

    KIND = "move"
    changes: Mapping[str, Any] = field(default_factory=dict)

    def as_payload(self) -> dict[str, Any] | None:
        return {k: _iso(v) for k, v in self.changes.items()} or None


@dataclass(frozen=True)
class Merged(Moved):
    """An item merged into the item it duplicates ('merge'); ``into`` is that item's code."""

    KIND = "merge"
    MACHINE, TRIGGER = "item", "merge"
    into: str = ""

    def as_payload(self) -> dict[str, Any] | None:
        return {**(super().as_payload() or {}), "into": self.into}


@dataclass(frozen=True)
class ProgressRecorded(Payload):
    """Progress reported (整改进展): the note is the event's note; evidence by content hash."""

    KIND = "progress"
    MACHINE, TRIGGER = "record", "progress"
    VERSION = 2  # 2: the note is its token when progress is sealed
    evidence: list[dict[str, str]]  # [{"file": name, "sha256": hex}]
    origin: Origin | None = field(default=None, metadata={"optional": True, "name": "import"})


@dataclass(frozen=True)
class Edited(Payload):
    """An item's facts corrected: each changed column's old and new value."""

    KIND = "edit"
    MACHINE, TRIGGER = "record", "edit"
    VERSION = 3  # 2: hmac of the confidential values given; 3: sealed fields as tokens
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    secrets: list[str] | None = field(default=None, metadata=OPTIONAL)
    origin: Origin | None = field(default=None, metadata={"optional": True, "name": "import"})
    hmac: Mapping[str, str] | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class ItemMoved(Payload):
    """An item handed to another unit by the office (not an edit): its unit, old and new.

    ``old`` and ``new`` hold ``unit_id`` as an edit's do, so every replay reads them alike;
    ``from``/``to`` name the units by code for people reading the log.
    """

    KIND = "item moved"
    MACHINE, TRIGGER = "record", "move"
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    from_unit: str = field(metadata={"name": "from"})
    to_unit: str = field(metadata={"name": "to"})


@dataclass(frozen=True)
class Imported(Payload):
    """A state taken from an imported file, not reached by triggers (item or rectification)."""

    KIND = "import"
    TRIGGER = "import"
    file: str
    sheet: str | None
    row: int
    closed_on: dt.date | None = field(default=None, metadata=OPTIONAL)  # item events
    deadline: dt.date | None = field(default=None, metadata=OPTIONAL)  # rectification events
    values: Mapping[str, Any] | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class Escalated(Payload):
    """A ladder step by the clock (trigger 'escalate', the state unchanged; rule escalation.KEY).

    Written by engine.io.clock, which builds the same object (tests/test_chain.py holds them
    together).
    """

    KIND = "escalate"
    MACHINE, TRIGGER = "rectification", "escalate"
    level: str
    from_level: str | None
    new_deadline: dt.date | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class Reminded(Payload):
    """A reminder to answer by the clock (trigger 'remind', nothing changes; rule reminders.KEY):
    a report waited past its confirmation deadline.  Written by engine.io.clock and by a
    catch-up (engine.core.schedule.reminder_payload), which build the same fields."""

    KIND = "reminder"
    TRIGGER = "remind"
    reminder: str  # the reminder's key
    due: dt.date  # when the answer was due
    days_overdue: int  # calendar days past it
    to: list[str]  # the roles that must answer


@dataclass(frozen=True)
class StageOverdue(Payload):
    """A stage kept open after its window by a guard that refused (rule stages.KEY): recorded
    once, and again only when the reason changes.  ``guards`` are their titles, ``reasons`` why."""

    KIND = "stage overdue"
    MACHINE, TRIGGER = "stage", "overdue"
    stage: str
    verb: str  # open or close: which way the stage could not move
    since: dt.date  # the first day it should have moved
    guards: list[str]
    reasons: list[str]


@dataclass(frozen=True)
class TimerFired(Payload):
    """A timer's trigger fired by the clock without guards or actions (rule timers.KEY)."""

    KIND = "timer"


@dataclass(frozen=True)
class DocumentIssued(Payload):
    """A numbered document issued to a unit: a 督办通知书 for one ladder level on one day.

    ``items`` are the codes it lists, in order; the subject is the document's number.
    """

    KIND = "document issued"
    MACHINE, TRIGGER = "document", "issue"
    number: str
    kind: str
    unit: str  # unit code
    level: str
    items: list[str]
    reply_by: dt.date | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class Undone(Payload):
    """A compensating move: the subject put back as it was before the events ``undoes`` (their
    ``seq`` in the campaign's chain), with the value each field they set had before.

    Written by ``rectify item undo`` and ``rectify campaign undo`` (campaigns.undo) on the
    undone events' machine; the undone events stay in the log as they were.
    """

    KIND = "undo"
    TRIGGER = "undo"
    undoes: list[int]
    changes: Mapping[str, Any] = field(default_factory=dict)

    def as_payload(self) -> dict[str, Any] | None:
        return {**{k: _iso(v) for k, v in sorted(self.changes.items())}, "undoes": self.undoes}


@dataclass(frozen=True)
class DocumentWithdrawn(Payload):
    """A numbered document withdrawn (作废) because an undo reversed an escalation it lists;
    its row and number stay, and the number is never given again."""

    KIND = "document withdrawn"
    MACHINE, TRIGGER = "document", "withdraw"
    number: str
    undoes: list[int]  # the undone events (seq) that withdrew it


@dataclass(frozen=True)
class DocumentSigned(Payload):
    """签收: a person of the unit addressed signed for a numbered document (the subject)."""

    KIND = "document signed"
    MACHINE, TRIGGER = "document", "sign"
    number: str
    unit: str  # the addressed unit's code
    person: str  # who signed


@dataclass(frozen=True)
class ChainStarted(Payload):
    """The first link of a stream whose events began before the chain (migration 0003).

    ``events`` and ``digest`` cover the older, unchained events of the stream (see
    docs/events.md); ``units`` and ``people`` count the site's rows that no event records.
    """

    KIND = "chain started"
    TRIGGER = "chain-start"
    events: int
    digest: str | None
    units: int | None = field(default=None, metadata=OPTIONAL)
    people: int | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class ConfidentialRead(Payload):
    """An entitled viewer was shown confidential fields (campaigns.confidential): which, in
    which output, of how many items; a read of one item has its code as the subject."""

    KIND = "confidential read"
    MACHINE, TRIGGER = "record", "read"
    output: str
    fields: list[str]
    items: int
    filters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportersPurged(Payload):
    """Reporters' identities and contacts removed by the retention rule (campaigns.retention):
    which fields, of how many items; the values were never in the log."""

    KIND = "reporters purged"
    MACHINE, TRIGGER = "campaign", "purge"
    fields: list[str]
    items: int


@dataclass(frozen=True)
class Sealed(Payload):
    """An item's confidential values moved out of the state tables into the secrets table
    (migration 0011; campaigns.sealed): ``new`` holds each field's token, never the value.
    Events written before it keep the values they carried (the log is append-only)."""

    KIND = "sealed"
    MACHINE, TRIGGER = "record", "seal"
    new: Mapping[str, str]
    progress: int | None = field(default=None, metadata=OPTIONAL)  # notes moved, if any


@dataclass(frozen=True)
class ValuesMapped(Payload):
    """Words a ledger uses for a category or source, mapped to the definition's keys
    (``rectify campaign map``); an empty key drops the word's mapping."""

    KIND = "values mapped"
    MACHINE, TRIGGER = "campaign", "map"
    field: str  # category or source
    values: Mapping[str, str]  # word as written -> key ('' drops it)
    file: str | None = dataclasses.field(default=None, metadata=OPTIONAL)  # the mapping file


@dataclass(frozen=True)
class MechanismAdded(Payload):
    """A long-term mechanism (长效机制) recorded, drafted, with what it answers; the subject is
    ``mechanism:ID``.  Its later steps are ``move`` events of machine ``mechanism``."""

    KIND = "mechanism added"
    MACHINE, TRIGGER = "mechanism", "add"
    title: str
    kind: str  # a key of the definition's mechanisms.kinds
    categories: list[str]  # category keys
    items: list[str]  # item codes


@dataclass(frozen=True)
class AccountabilityRecorded(Payload):
    """An accountability case (问责) recorded: one outcome for people and/or units, about items;
    ``notices`` are the ladder's accountability notices (row ids) it answers.  People by key and
    units by code: names are never in the log; the subject is ``accountability:ID``."""

    KIND = "accountability recorded"
    MACHINE, TRIGGER = "accountability", "record"
    outcome: str  # a key of the definition's accountability.outcomes
    on: dt.date  # the day it was decided
    items: list[str]  # item codes
    people: list[str]  # person keys
    units: list[str]  # unit codes
    notices: list[int]


@dataclass(frozen=True)
class AccountabilityWithdrawn(Payload):
    """An accountability case withdrawn (撤销): it stays in the register, counted nowhere from
    this day; the reason is the event's note."""

    KIND = "accountability withdrawn"
    MACHINE, TRIGGER = "accountability", "withdraw"
    case: int  # the case's id


@dataclass(frozen=True)
class CommitmentAdded(Payload):
    """A public commitment (公开承诺) recorded, not yet published, of a unit (by code) and
    optionally a person (by key: names are never in the log); the subject is
    ``commitment:ID``.  Publishing (晒承诺) and the 兑现 review are ``move`` events of machine
    ``commitment``; check-ins are ``commitment tracked``."""

    KIND = "commitment added"
    MACHINE, TRIGGER = "commitment", "add"
    title: str
    kind: str  # a key of the definition's commitments.kinds
    unit: str  # unit code
    person: str | None  # person key
    start_on: dt.date
    due_on: dt.date
    key: str | None = dataclasses.field(default=None, metadata=OPTIONAL)  # commitments.list
    file: str | None = dataclasses.field(default=None, metadata=OPTIONAL)  # imported from


@dataclass(frozen=True)
class CommitmentTracked(Payload):
    """A commitment's check-in recorded (一天一跟踪、一周一点评 …): which tracking schedule, its
    period and that period's due date; the progress said is the event's note."""

    KIND = "commitment tracked"
    MACHINE, TRIGGER = "commitment", "track"
    check: str  # a key of the definition's commitments.tracking
    period: str  # the period's key, e.g. 2009-W15
    due: dt.date


@dataclass(frozen=True)
class ScoreEntered(Payload):
    """A score entered for a unit, or for a person (``person``: their key; ``unit`` is then
    their unit), in an assessment period (民主测评, 满意度测评, 履职测评, leaders' evaluation …)
    by the actor, by hand or from a file (``import``: file, sheet and row)."""

    KIND = "score entered"
    MACHINE, TRIGGER = "assessment", "score"
    score: str  # a key of the definition's assessment.scores (assessment.people.scores)
    unit: str  # unit code
    period: str  # e.g. 2015-Q3
    value: float
    origin: Origin | None = field(default=None, metadata={"optional": True, "name": "import"})
    person: str | None = field(default=None, metadata=OPTIONAL)  # person key: names never


@dataclass(frozen=True)
class BottomConfirmed(Payload):
    """A bottom-rule proposal (末位) confirmed by an authorised person: the unit, the period
    and the step its consecutive periods in the bottom reached (e.g. 警示, 待岗培训)."""

    KIND = "bottom confirmed"
    MACHINE, TRIGGER = "assessment", "confirm-bottom"
    unit: str  # unit code
    period: str
    step: str  # a key of assessment.bottom.steps
    rank: int | None
    total: float | None
    streak: int  # consecutive periods in the bottom, this one included
    person: str | None = field(default=None, metadata=OPTIONAL)  # a person's: key; unit theirs


@dataclass(frozen=True)
class BottomNoticed(Payload):
    """The notice a confirmed bottom-rule proposal issues (末位警示, 待岗培训 …), written with
    the confirmation: addressed to the unit (a person's unit, with the person by key); an
    office notice of kind ``assessment``."""

    KIND = "assessment notice"
    MACHINE, TRIGGER = "assessment", "bottom-notice"
    unit: str  # unit code
    period: str
    step: str  # a key of assessment.bottom.steps
    streak: int
    group: str  # the peer group's title
    person: str | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class ResultsPublished(Payload):
    """A period's results published (公示) for objections until ``until``; final after it."""

    KIND = "results published"
    MACHINE, TRIGGER = "assessment", "publish"
    period: str
    until: dt.date


@dataclass(frozen=True)
class InspectionNoticed(Payload):
    """The head of a unit told of an inspection's finding on the day it was found (the
    definition's ``inspections.notify_unit_head``); an office notice of kind ``inspection``."""

    KIND = "inspection notice"
    MACHINE, TRIGGER = "record", "inspection-notice"
    inspection: str  # the inspection's reference
    unit: str  # unit code
    to: str  # the addressee: the unit and the people holding its head's role


# --- the site log --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitAdded(Payload):
    """A unit added to the tree."""

    KIND = "unit added"
    MACHINE, TRIGGER = "unit", "add"
    title: str
    parent: str | None  # the parent's code
    kind: str | None
    origin: Origin | None = field(default=None, metadata={"optional": True, "name": "import"})


@dataclass(frozen=True)
class PersonAdded(Payload):
    """A person added (roles are the definition's role keys)."""

    KIND = "person added"
    MACHINE, TRIGGER = "person", "add"
    name: str
    unit: str | None  # unit code
    roles: list[str]
    title: str | None
    origin: Origin | None = field(default=None, metadata={"optional": True, "name": "import"})


@dataclass(frozen=True)
class PersonDeactivated(Payload):
    """A person may no longer act (kept for history)."""

    KIND = "person deactivated"
    MACHINE, TRIGGER = "person", "deactivate"


@dataclass(frozen=True)
class UnitEdited(Payload):
    """A unit renamed, moved under another parent or given another kind, from ``day`` on:
    each changed field's old and new value (``parent``: the parent's code)."""

    KIND = "unit edited"
    MACHINE, TRIGGER = "unit", "edit"
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    origin: Origin | None = field(default=None, metadata={"optional": True, "name": "import"})


@dataclass(frozen=True)
class UnitMerged(Payload):
    """A unit merged into another (机构改革): its open items moved there, each with its own
    ``item moved`` event in its campaign's log; the unit stays for history."""

    KIND = "unit merged"
    MACHINE, TRIGGER = "unit", "merge"
    into: str  # the surviving unit's code
    items: list[str]  # the codes of the open items moved


@dataclass(frozen=True)
class UnitDissolved(Payload):
    """A unit dissolved (it had no open items); it stays for history."""

    KIND = "unit dissolved"
    MACHINE, TRIGGER = "unit", "dissolve"


@dataclass(frozen=True)
class PersonEdited(Payload):
    """A person's name, unit, post or roles changed, from ``day`` on: each changed field's old
    and new value (``unit``: its code; ``roles``: a sorted list)."""

    KIND = "person edited"
    MACHINE, TRIGGER = "person", "edit"
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    origin: Origin | None = field(default=None, metadata={"optional": True, "name": "import"})


@dataclass(frozen=True)
class PersonLeft(Payload):
    """A person left: no longer acts; the open items they answered for (责任人/责任领导) went to
    ``successor``, each with an ``edit`` event in its campaign's log."""

    KIND = "person left"
    MACHINE, TRIGGER = "person", "leave"
    successor: str | None  # the successor's key (none: they answered for no open item)
    items: list[str]  # the codes of the open items handed on


@dataclass(frozen=True)
class PersonReturned(Payload):
    """A person who left (or was deactivated) acts again."""

    KIND = "person returned"
    MACHINE, TRIGGER = "person", "return"


@dataclass(frozen=True)
class CalendarImported(Payload):
    """A year's holiday notice (``area`` None) or a region's holidays put in the site calendar.

    Every campaign counting working days on region cn takes them from then on; ``replaced``:
    the title of the notice of the same year and area it took the place of.
    """

    KIND = "calendar imported"
    MACHINE, TRIGGER = "calendar", "import"
    year: int
    area: str | None
    title: str
    file: str
    days_off: list[dt.date]
    working_days: list[dt.date]
    replaced: str | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class DeadlineRecounted(Payload):
    """A deadline counted on provisional days, counted again on an imported notice.

    ``deadline`` is the new one, ``was`` the old; ``level_base`` and ``original_deadline`` are
    given when they moved with it (they were the old deadline).  ``limit`` is the definition's
    working-day limit it was counted by and ``from`` the day it was counted from.
    """

    KIND = "deadline recounted"
    MACHINE, TRIGGER = "rectification", "recount"
    deadline: dt.date
    was: dt.date
    limit: str
    counted_from: dt.date = field(metadata={"name": "from"})
    notice: str
    level_base: dt.date | None = field(default=None, metadata=OPTIONAL)
    original_deadline: dt.date | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class InspectionPlanLoaded(Payload):
    """A year's inspection plan loaded from a file (again: a new revision); after it was
    published only by an administrator, with a reason (the event's note)."""

    KIND = "inspection plan loaded"
    MACHINE, TRIGGER = "inspection-plan", "load"
    year: int
    file: str
    sha256: str
    revision: int
    cap: int | None
    items: list[str]  # the plan's item numbers, in order
    budgets: Mapping[str, int]  # unit code -> visits a year
    visit_budget: int | None  # every other unit's visits a year (None: no limit)
    teams: list[str]  # team keys
    published: bool  # True: a change to a published plan


@dataclass(frozen=True)
class InspectionPlanPublished(Payload):
    """A year's inspection plan published: frozen from now on."""

    KIND = "inspection plan published"
    MACHINE, TRIGGER = "inspection-plan", "publish"
    year: int
    revision: int
    items: int


@dataclass(frozen=True)
class InspectionRecorded(Payload):
    """An inspection (督查检查) recorded: who went where, when, how and about what; ``plan_item``
    is the plan item it carries out, or None with ``unplanned`` saying why it is not planned."""

    KIND = "inspection recorded"
    MACHINE, TRIGGER = "inspection", "add"
    campaign: str
    starts: dt.date
    ends: dt.date
    team: str
    members: list[str]
    targets: list[str]  # unit codes
    method: str
    theme: str
    points: list[str]
    plan_item: str | None
    unplanned: str | None
    breaches: list[str]  # pledges broken, known when it was recorded


@dataclass(frozen=True)
class InspectionFinding(Payload):
    """A problem an inspection found, recorded as an item of its campaign (``item``)."""

    KIND = "inspection finding"
    MACHINE, TRIGGER = "inspection", "finding"
    campaign: str
    item: str  # the item's code
    unit: str  # unit code
    category: str


@dataclass(frozen=True)
class PledgeBreached(Payload):
    """A 减负 pledge broken on an inspection: materials demanded, an escort asked for, or the
    visit announced in advance; the note says what happened."""

    KIND = "pledge breached"
    MACHINE, TRIGGER = "inspection", "breach"
    pledge: str  # materials, escort, notice
    unit: str | None  # unit code, when one unit bore it


@dataclass(frozen=True)
class FilingOpened(Payload):
    """An occurrence of a filing opened for a unit and period, by the clock or by the first
    change that needs it (rule filings.KEY), with its due date on the working-day calendar."""

    KIND = "filing opened"
    MACHINE, TRIGGER = "filing", "open"
    filing: str
    unit: str  # the unit's code
    period: str  # e.g. 2015-09
    due: dt.date


@dataclass(frozen=True)
class Filed(Payload):
    """A unit filed an occurrence (trigger 'file'), with its document kept by content hash and
    its figures (prefilled from the record, or summed in a roll-up from the accepted filings
    ``bundled``);
    the office accepted it ('accept-filing', accepted_on) or returned it ('return-filing',
    returned_on, the reason in the note).  The payload is the fields the move set."""

    KIND = "filing decided"
    MACHINE = "filing"
    VERSION = 2  # 2: figures filed with it, and the occurrences a roll-up was made from
    filed_on: dt.date | None = field(default=None, metadata=OPTIONAL)
    document_name: str | None = field(default=None, metadata=OPTIONAL)
    document_sha256: str | None = field(default=None, metadata=OPTIONAL)
    accepted_on: dt.date | None = field(default=None, metadata=OPTIONAL)
    returned_on: dt.date | None = field(default=None, metadata=OPTIONAL)
    figures: dict[str, int] | None = field(default=None, metadata=OPTIONAL)
    bundled: list[str] | None = field(default=None, metadata=OPTIONAL)  # CAMPAIGN/UNIT each


@dataclass(frozen=True)
class PasswordSet(Payload):
    """A person's password for the web door set or changed (the hash stays in its table)."""

    KIND = "password set"
    MACHINE, TRIGGER = "person", "password"


@dataclass(frozen=True)
class TokenIssued(Payload):
    """An API token issued to a person; only its SHA-256 is stored, never in the log."""

    KIND = "token issued"
    MACHINE, TRIGGER = "person", "token"
    token: int  # the api_tokens row
    label: str | None = field(default=None, metadata=OPTIONAL)
    expires: dt.date | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class LoggedIn(Payload):
    """A person signed in to the web door."""

    KIND = "login"
    MACHINE, TRIGGER = "login", "succeed"
    address: str  # the client's address as the server saw it


@dataclass(frozen=True)
class LoginFailed(Payload):
    """A sign-in refused: wrong password, unknown or inactive person, or too many tries."""

    KIND = "login failed"
    MACHINE, TRIGGER = "login", "fail"
    address: str
    reason: str  # password, unknown, inactive, no-password, throttled


@dataclass(frozen=True)
class LoggedOut(Payload):
    """A person signed out of the web door (the session ends before its expiry)."""

    KIND = "logout"
    MACHINE, TRIGGER = "login", "end"


KINDS: tuple[type[Payload], ...] = (
    CampaignStarted, CampaignConcluded, StageOpened, StageClosed, ItemAdded, Planned, Moved,
    Merged, ProgressRecorded, Edited, Imported, Escalated, TimerFired, DocumentIssued, ChainStarted,
    Undone, DocumentWithdrawn, UnitAdded, PersonAdded, PersonDeactivated, ItemMoved, Reminded,
    StageOverdue, Sealed, ValuesMapped, DocumentSigned, UnitEdited, UnitMerged, UnitDissolved,
    PersonEdited, PersonLeft, PersonReturned, CalendarImported, DeadlineRecounted, MechanismAdded,
    AccountabilityRecorded, AccountabilityWithdrawn, ScoreEntered, BottomConfirmed, BottomNoticed,
    ResultsPublished,
    InspectionNoticed, InspectionPlanLoaded,
    InspectionPlanPublished, InspectionRecorded, InspectionFinding, PledgeBreached, FilingOpened,
    Filed, PasswordSet, TokenIssued, LoggedIn, LoginFailed, LoggedOut, CommitmentAdded,
    CommitmentTracked)


# --- building entries ----------------------------------------------------------------------------


def entry(stream: str, payload: Payload, *, subject: str | None, actor: str, day: dt.date,
          campaign_id: int, item_id: int | None = None, subject_id: int | None = None,
          machine: str | None = None, trigger: str | None = None, from_state: str | None = None,
          to_state: str | None = None, note: str | None = None, rule: str | None = None) -> Entry:
    """An event of a campaign's stream (``stream`` is the campaign's key)."""
    return Entry(stream, machine or payload.MACHINE or "", subject, trigger or payload.TRIGGER or "",
                 actor, day, from_state, to_state, note, payload.as_payload(), payload.VERSION, rule,
                 subject_id, {"campaign_id": campaign_id, "item_id": item_id})


def site_entry(payload: Payload, *, subject: str, actor: str, day: dt.date,
               subject_id: int | None = None, note: str | None = None) -> Entry:
    """An event of the site log."""
    return Entry(SITE, payload.MACHINE or "", subject, payload.TRIGGER or "", actor, day,
                 note=note, payload=payload.as_payload(), payload_version=payload.VERSION,
                 subject_id=subject_id)


def write(conn: Connection, entries: Sequence[Entry]) -> None:
    """Append events of campaign streams (engine.io.writer does the chaining)."""
    from .tables import EVENTS

    append(conn, EVENTS, entries)


def write_site(conn: Connection, entries: Sequence[Entry]) -> None:
    append(conn, SITE_EVENTS, entries)


def lock(conn: Connection, streams: Collection[str]) -> None:
    """Take the chain heads before touching subject rows (the writers' one lock order)."""
    lock_heads(conn, streams)
