"""The tables of the rectification domain (SQLAlchemy Core, in the engine's one metadata).

Confidential values (a reporter's identity) live in their own table, referred to by id, so
the append-only event log never has to be edited to protect a whistleblower.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert

from engine.io.store import event_columns, metadata, stateful_columns
from engine.io.writer import CHAIN_HEADS, chain_columns

CAMPAIGNS = Table(
    "campaigns", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), unique=True, nullable=False),
    Column("title", Text, nullable=False),
    Column("definition_key", String(64), nullable=False),
    Column("definition_file", Text, nullable=False),
    Column("definition_text", Text, nullable=False),  # the YAML as it was when started
    Column("definition_hash", String(64), nullable=False),
    Column("definition_data", JSON, nullable=False),  # merged, validated data
    Column("code_prefix", String(16), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("concluded_on", Date),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, default=1, nullable=False),
)

# A stage of one campaign: pending → open → closed, by window and by explicit advance.
STAGES = Table(
    "stages", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), index=True, nullable=False),
    Column("key", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("state", String(16), default="pending", nullable=False),
    Column("opened_on", Date),
    Column("closed_on", Date),
    Column("version", Integer, default=1, nullable=False),
    UniqueConstraint("campaign_id", "key"),
)

# A node of the unit tree; ``path`` is the codes from the root, e.g. ``/county/fin/office``.
UNITS = Table(
    "units", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), unique=True, nullable=False),
    Column("title", Text, index=True, nullable=False),
    Column("kind", String(32)),
    Column("parent_id", Integer, ForeignKey("units.id"), index=True),
    Column("path", String(1024), unique=True, nullable=False),
    Column("depth", Integer, nullable=False),
    Column("version", Integer, default=0, server_default="0", nullable=False),
    Column("ended_on", Date),  # merged into another (``merged_into``) or dissolved: kept for history
    Column("merged_into", Integer, ForeignKey("units.id")),
)

PEOPLE = Table(
    "people", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), unique=True, nullable=False),
    Column("name", Text, index=True, nullable=False),
    Column("unit_id", Integer, ForeignKey("units.id"), index=True),
    Column("title", Text),  # post, e.g. 局长
    Column("roles", Text, default="", nullable=False),  # space-separated role keys
    Column("active", Boolean, default=True, nullable=False),
    Column("version", Integer, default=0, server_default="0", nullable=False),
    Column("left_on", Date),  # left (``active`` false) with their open items handed on
)

# A problem item (问题); exactly one row of ``rectifications`` belongs to it.
ITEMS = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("code", String(32), unique=True, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),
    Column("category", String(64), nullable=False),
    Column("source", String(64), nullable=False),
    Column("stage", String(64)),  # stage open when it was found
    Column("found_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("reopen_count", Integer, default=0, nullable=False),
    Column("merged_into", Integer, ForeignKey("items.id")),
    Column("typical", Boolean, default=False, nullable=False),
    Column("external_ref", String(128)),  # natural key from imports
    Column("retired_on", Date),  # an undo of its creation retired it: counted nowhere, code kept
    *stateful_columns(),
    UniqueConstraint("campaign_id", "seq"),
    Index("ix_items_campaign_state", "campaign_id", "state"),
    Index("ix_items_campaign_unit", "campaign_id", "unit_id"),
    Index("ix_items_campaign_ref", "campaign_id", "external_ref"),  # an import's lookups
)

# The plan and work to fix one item (整改); exactly one per item.
RECTIFICATIONS = Table(
    "rectifications", metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), unique=True, nullable=False),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("measures", Text),
    Column("target", Text),
    Column("department", Text),
    Column("leader_id", Integer, ForeignKey("people.id")),
    Column("person_id", Integer, ForeignKey("people.id")),
    Column("deadline", Date),
    Column("original_deadline", Date),
    Column("level", String(64)),  # escalation level reached
    Column("level_base", Date),  # deadline the ladder counts from
    Column("returns", Integer, default=0, nullable=False),
    Column("submitted_on", Date),
    Column("completed_on", Date),
    Column("requested_deadline", Date),  # asked for with an extension; a deemed approval grants it
    Column("retired_on", Date),  # with its item's: the clock never steps it
    *stateful_columns(),
    Index("ix_rect_campaign_state", "campaign_id", "state"),
    Index("ix_rect_campaign_deadline", "campaign_id", "deadline"),
    # the clock's sweep: per level and live state, a range of the dates the ladder counts from
    Index("ix_rect_ladder", "campaign_id", "level", "state", "level_base"),
)

# A confidential value of an item (e.g. the reporter); shown only to entitled roles.  Encrypted
# when a key is configured (``key_id`` names it; null: plain text); ``version`` counts rewrites.
# The one row without an item holds the key of the keyed hashes events carry (campaigns.secrets).
SECRETS = Table(
    "secrets", metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), index=True),
    Column("field", String(64), nullable=False),
    Column("value", Text, nullable=False),
    Column("version", Integer, default=1, server_default="1", nullable=False),
    Column("key_id", String(32)),
    UniqueConstraint("item_id", "field"),
)

# A progress report on a rectification (整改进展), possibly with evidence.
PROGRESS = Table(
    "progress", metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), index=True, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# A file of evidence (佐证材料), kept by content hash: the same file is stored once.
EVIDENCE = Table(
    "evidence", metadata,
    Column("id", Integer, primary_key=True),
    Column("progress_id", Integer, ForeignKey("progress.id"), index=True, nullable=False),
    Column("filename", Text, nullable=False),
    Column("sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("size", Integer, nullable=False),
)

BLOBS = Table(
    "blobs", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content", LargeBinary, nullable=False),
)

# The append-only log of every change; ``item_id`` ties item and rectification events.
# Each campaign's events are one hash chain (stream: the campaign's key; see docs/events.md).
EVENTS = Table(
    "events", metadata,
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id")),
    *event_columns(),
    *chain_columns(),
    Index("ix_events_campaign_date", "campaign_id", "business_date"),
    Index("ix_events_item", "item_id"),
    Index("ix_events_campaign_seq", "campaign_id", "seq", unique=True),
)

# Changes that belong to no campaign (units, people): one chain of their own, stream "site".
SITE_EVENTS = Table(
    "site_events", metadata,
    *event_columns(),
    *chain_columns(),
    Index("ix_site_events_seq", "seq", unique=True),
    Index("ix_site_events_date", "business_date"),
)
SITE = "site"  # the stream of SITE_EVENTS; no campaign may take this key
HEADS = CHAIN_HEADS

# An escalation notice (提醒/督办/通报/问责) issued to a unit about one rectification.
NOTICES = Table(
    "notices", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), index=True, nullable=False),
    Column("rectification_id", Integer, ForeignKey("rectifications.id"), index=True, nullable=False),
    Column("level", String(64), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("deadline", Date, nullable=False),  # the deadline it was measured against
    Column("days_overdue", Integer, nullable=False),
    Column("new_deadline", Date),
    Column("action", Text),
    Column("event_id", Integer, ForeignKey("events.id")),
    Column("withdrawn_on", Date),  # an undo withdrew it (作废); the row stays
    Index("uq_notices_live", "rectification_id", "level", "deadline", unique=True,
          sqlite_where=text("withdrawn_on IS NULL"), postgresql_where=text("withdrawn_on IS NULL")),
    Index("ix_notices_campaign_issued", "campaign_id", "issued_on"),
)

# One occurrence of a filing (报送事项): a unit's obligation for one period, due on ``due``.
# It moves through the definition's 'filing' machine; ``deadline``, ``level`` and ``level_base``
# are what its own escalation ladder reads (the ladder counts from the due date).
FILINGS = Table(
    "filings", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("filing", String(64), nullable=False),  # the key in the definition's filings section
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),
    Column("period", String(16), nullable=False),  # 2015-09, 2015-W38, 2015-Q3, 2015 ...
    Column("due", Date, nullable=False),
    Column("opened_on", Date, nullable=False),  # the day the clock (or a change) opened it
    Column("deadline", Date, nullable=False),
    Column("level", String(64)),
    Column("level_base", Date),
    Column("filed_on", Date),  # the latest filing of it
    Column("accepted_on", Date),
    Column("returned_on", Date),
    Column("document_name", Text),
    Column("document_sha256", String(64), ForeignKey("blobs.sha256")),
    # the figures filed with it ({key: count}): prefilled from the record or summed in a roll-up
    Column("figures", JSON),
    *stateful_columns(),
    UniqueConstraint("campaign_id", "filing", "unit_id", "period"),
    Index("ix_filings_campaign_period", "campaign_id", "filing", "period"),
    Index("ix_filings_ladder", "campaign_id", "level", "state", "level_base"),
)

# A step of a filing's own ladder (报送提醒/催报/通报): the notice to the unit that owes it.
FILING_NOTICES = Table(
    "filing_notices", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), index=True, nullable=False),
    Column("filing_id", Integer, ForeignKey("filings.id"), index=True, nullable=False),
    Column("level", String(64), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("days_overdue", Integer, nullable=False),
    Column("new_deadline", Date),
    Column("action", Text),
    Column("event_id", Integer, ForeignKey("events.id")),
    Column("withdrawn_on", Date),
    Index("uq_filing_notices_live", "filing_id", "level", "deadline", unique=True,
          sqlite_where=text("withdrawn_on IS NULL"), postgresql_where=text("withdrawn_on IS NULL")),
)
FILING_TABLES = {"filing": FILINGS}  # what the writer updates for filing moves

# The numbering service's counters (campaigns.numbering): the last number given in each series
# (an office's document number without year and sequence, e.g. 县组督〔{year}〕{seq}号) per year.
DOCUMENT_SEQUENCES = Table(
    "document_sequences", metadata,
    Column("series", String(200), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)

# A numbered document as issued: a 督办通知书 to one unit for one ladder level on one day.
DOCUMENTS = Table(
    "documents", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("number", String(200), nullable=False, unique=True),
    Column("series", String(200), nullable=False),
    Column("year", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),
    Column("level", String(64), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("reply_by", Date),
    Column("items", JSON, nullable=False),  # the item codes listed, in order
    Column("withdrawn_on", Date),  # an undo withdrew it (作废): the row and its number stay
    Index("uq_documents_live", "campaign_id", "kind", "unit_id", "level", "issued_on", unique=True,
          sqlite_where=text("withdrawn_on IS NULL"), postgresql_where=text("withdrawn_on IS NULL")),
    UniqueConstraint("series", "year", "seq"),
)

# The last business date the clock was applied to a campaign (ticks only move forward).
TICKS = Table(
    "ticks", metadata,
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), primary_key=True),
    Column("ticked_to", Date, nullable=False),
)

# A long-term mechanism (长效机制) of a campaign: a rule, system or process, moved by the
# definition's machine 'mechanism' (campaigns.mechanisms); ``seq`` numbers it in its campaign.
MECHANISMS = Table(
    "mechanisms", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("issued_on", Date),
    Column("document_number", String(200)),  # 文号 of the document that puts it in force
    Column("in_force_on", Date),  # set while in force; a repeal clears it
    Column("reviewed_on", Date),
    *stateful_columns(),
    UniqueConstraint("campaign_id", "seq"),
)

# What a mechanism answers: categories (category set) and items (item_id set), one row each.
MECHANISM_LINKS = Table(
    "mechanism_links", metadata,
    Column("id", Integer, primary_key=True),
    Column("mechanism_id", Integer, ForeignKey("mechanisms.id"), index=True, nullable=False),
    Column("category", String(64)),
    Column("item_id", Integer, ForeignKey("items.id"), index=True),
)

# An accountability case (问责): one outcome decided on a day for people and/or units, about
# items; withdrawn (撤销) by an event, never deleted.
ACCOUNTABILITY = Table(
    "accountability", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), index=True, nullable=False),
    Column("outcome", String(64), nullable=False),  # a key of the definition's outcomes
    Column("decided_on", Date, nullable=False),
    Column("withdrawn_on", Date),
    Column("version", Integer, default=1, nullable=False),
)

# Who a case holds accountable and what it is about: a person, a unit, or an item (with the
# escalation notice of the ladder's accountability rung that led to it, if any), one per row.
ACCOUNTABILITY_LINKS = Table(
    "accountability_links", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("accountability.id"), index=True, nullable=False),
    Column("person_id", Integer, ForeignKey("people.id"), index=True),
    Column("unit_id", Integer, ForeignKey("units.id")),
    Column("item_id", Integer, ForeignKey("items.id"), index=True),
    Column("notice_id", Integer, ForeignKey("notices.id")),
)

# A public commitment (公开承诺) of a unit or a person, moved by the definition's machine
# 'commitment' (campaigns.commitments): fixed or dynamic (固定/动态任务), from a start date to a
# completion date; ``seq`` numbers it in its campaign.
COMMITMENTS = Table(
    "commitments", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("key", String(64)),  # the definition's commitment it was added from, if any
    Column("title", Text, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),
    Column("person_id", Integer, ForeignKey("people.id")),
    Column("start_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("published_on", Date),
    Column("reviewed_on", Date),
    *stateful_columns(),
    UniqueConstraint("campaign_id", "seq"),
)

# A commitment's check-in (跟踪、点评、调度、总结): one per tracking schedule and period, recorded
# on a day; the occurrences themselves are worked out from the schedules, never stored.
COMMITMENT_CHECKINS = Table(
    "commitment_checkins", metadata,
    Column("id", Integer, primary_key=True),
    Column("commitment_id", Integer, ForeignKey("commitments.id"), nullable=False),
    Column("check", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("due", Date, nullable=False),
    Column("recorded_on", Date, nullable=False),
    UniqueConstraint("commitment_id", "check", "period"),
)

# A score entered for a unit in an assessment period (民主测评, 满意度测评 …): one row an entry,
# written with its event (``seq``) and never changed; the latest entry of a rater counts.
ASSESSMENT_SCORES = Table(
    "assessment_scores", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("period", String(16), nullable=False),  # 2015-Q3, 2015-H2, 2015-09, 2015
    Column("score", String(64), nullable=False),  # a key of the definition's assessment.scores
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),  # a person's: their unit
    Column("person_id", Integer, ForeignKey("people.id")),  # a score of a person (people:)
    Column("actor", String(64), nullable=False),
    Column("entered_on", Date, nullable=False),
    Column("value", Float, nullable=False),
    Column("seq", Integer, nullable=False),  # the event's place in the campaign's chain
    Index("ix_assessment_scores_period", "campaign_id", "period"),
)

# A decision on a period's results, written with its event: a bottom-rule proposal confirmed
# (``bottom``: the unit and the step, e.g. 警示) or the results published for objections
# (``publish``: open until ``until``).
ASSESSMENT_DECISIONS = Table(
    "assessment_decisions", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("period", String(16), nullable=False),
    Column("kind", String(16), nullable=False),  # bottom, publish
    Column("unit_id", Integer, ForeignKey("units.id")),
    Column("person_id", Integer, ForeignKey("people.id")),  # a decision on a person (people:)
    Column("step", String(64)),  # a key of assessment.bottom.steps
    Column("until", Date),  # a publication: the last day objections are taken
    Column("actor", String(64), nullable=False),
    Column("decided_on", Date, nullable=False),
    Column("seq", Integer, nullable=False),
    Index("ix_assessment_decisions_period", "campaign_id", "period"),
)

# The tables of the machines a campaign's subjects move through, by machine: what the writer
# updates.  Items and rectifications are one record; a mechanism is a subject of its own.
SUBJECT_TABLES = {"item": ITEMS, "rectification": RECTIFICATIONS, "mechanism": MECHANISMS,
                  "commitment": COMMITMENTS}

# Small key/value facts about the database itself.

META = Table(
    "meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)

# Derived: each item's reduced state at a campaign's month-end, so a replay of a past date starts
# there (campaigns.snapshots); rebuilt from the event log at any time.
SNAPSHOTS = Table(
    "snapshots", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("as_of", Date, nullable=False),  # the end of this business date
    Column("last_event_id", Integer, nullable=False),  # the newest event it includes
    Column("head_hash", String(128)),  # the campaign's chain head it includes, when chained
    Column("items", Integer, nullable=False),
    Column("state", LargeBinary, nullable=False),  # zlib-compressed JSON, see campaigns.snapshots
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("campaign_id", "as_of"),
)

# Events written together by one command that is undone as a whole (a tick, a stage move, an
# import): the range of its campaign's chain, so the events need no column of their own.
BATCHES = Table(
    "batches", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # tick, stage, import
    Column("first_seq", Integer, nullable=False),
    Column("last_seq", Integer, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("detail", JSON),  # a tick: the day the clock had reached before it
    Index("ix_batches_campaign_seq", "campaign_id", "last_seq"),
)

# Events an undo reversed (campaigns.undo): an index of the undo events, which say the same in
# their payloads; the events themselves are never edited.
UNDONE = Table(
    "undone", metadata,
    Column("event_id", Integer, ForeignKey("events.id"), primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("undo_seq", Integer, nullable=False),  # the first event of the undo
    Index("ix_undone_campaign", "campaign_id"),
)

# The site's calendar data (campaigns.sitecalendar): a year's national holiday notice (area '')
# or a region's own holidays, and their days.  Every campaign counting on region cn reads them.
CALENDAR_NOTICES = Table(
    "calendar_notices", metadata,
    Column("id", Integer, primary_key=True),
    Column("year", Integer, nullable=False),
    Column("area", String(64), nullable=False),  # '' for the national notice, else the region
    Column("title", String(200), nullable=False),
    Column("file", String(255), nullable=False),  # the file's name as imported
    Column("imported_on", Date, nullable=False),
    Column("actor", String(64), nullable=False),
    UniqueConstraint("year", "area", name="uq_calendar_notices_year_area"),
)

CALENDAR_DAYS = Table(
    "calendar_days", metadata,
    Column("notice_id", Integer, ForeignKey("calendar_notices.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("off", Boolean, nullable=False),  # a day off; else a (weekend) day worked
    Column("name", String(100), nullable=False),  # 春节, 春节调休, 三月三
)


def insert_id(conn: Connection, statement: Insert) -> int:
    """The primary key of the one row ``statement`` inserts."""
    key = conn.execute(statement).inserted_primary_key
    assert key is not None, "an insert of one row has a primary key"
    return int(key[0])


# Messages to deliver (e-mail, messenger webhooks, SMS), written by the change that causes them,
# in its transaction; delivered at least once by ``rectify notify send`` (campaigns.notify).
# ``idem_key`` is the message's stable id (Message-ID, Idempotency-Key) so a receiver can drop
# a repeat; the webhook's URL and secret stay in the site configuration, only its name is here.
OUTBOX = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True),
    Column("idem_key", String(64), nullable=False, unique=True),
    Column("channel", String(16), nullable=False),  # email, webhook, sms
    Column("recipient", String(320), nullable=False),  # address, webhook name, phone number
    Column("campaign_id", Integer, ForeignKey("campaigns.id")),
    Column("stream", String(128), nullable=False),
    Column("seq", Integer, nullable=False),  # the event that caused it
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending, sent, failed
    Column("attempts", Integer, nullable=False),
    Column("next_try_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Index("ix_outbox_due", "status", "next_try_at"),
)


# Inspections (督查检查) and the county's yearly plan of them: site records, not a campaign's,
# because one plan and one visit budget span every campaign (campaigns.inspections).  A plan is
# frozen once published; an inspection names the campaign its findings become items of.
INSPECTION_PLANS = Table(
    "inspection_plans", metadata,
    Column("id", Integer, primary_key=True),
    Column("year", Integer, unique=True, nullable=False),
    Column("title", Text, nullable=False),
    Column("cap", Integer),  # the most items the plan may hold (None: no cap)
    Column("visit_budget", Integer),  # every unit's visits a year unless budgeted (None: no limit)
    Column("file", Text, nullable=False),  # the file's name as last loaded
    Column("sha256", String(64), nullable=False),
    Column("teams", JSON, nullable=False),  # [{key, title, members, targets}]
    Column("published_on", Date),
    Column("published_by", String(64)),
    Column("revision", Integer, nullable=False),  # 1, raised by every load after the first
)

INSPECTION_PLAN_ITEMS = Table(
    "inspection_plan_items", metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("inspection_plans.id"), nullable=False),
    Column("ref", String(32), nullable=False),  # the plan's own number (序号)
    Column("title", Text, nullable=False),
    Column("period", Text, nullable=False),  # as written: 3月上旬, 2020-Q2, 2020-05-11..2020-05-15
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
    Column("organiser", Text, nullable=False),  # 组织实施单位
    Column("participants", JSON, nullable=False),  # 参加单位, as written
    Column("method", String(32), nullable=False),
    Column("scope", Text, nullable=False),  # 对象范围, as written
    Column("team", String(64)),  # a team key of the plan
    Column("targets", JSON, nullable=False),  # unit codes
    UniqueConstraint("plan_id", "ref"),
)

INSPECTION_BUDGETS = Table(
    "inspection_budgets", metadata,
    Column("plan_id", Integer, ForeignKey("inspection_plans.id"), primary_key=True),
    Column("unit_id", Integer, ForeignKey("units.id"), primary_key=True),
    Column("visits", Integer, nullable=False),  # at most this many visits in the plan's year
)

INSPECTIONS = Table(
    "inspections", metadata,
    Column("id", Integer, primary_key=True),
    Column("ref", String(32), unique=True, nullable=False),  # DC-2020-0001
    Column("year", Integer, nullable=False),
    Column("campaign_id", Integer, ForeignKey("campaigns.id"), nullable=False),
    Column("plan_item_id", Integer, ForeignKey("inspection_plan_items.id")),  # None: unplanned
    Column("unplanned", Text),  # why it is not in the plan ("" when planned)
    Column("team", Text, nullable=False),
    Column("members", JSON, nullable=False),  # the inspectors' names
    Column("method", String(32), nullable=False),
    Column("theme", Text, nullable=False),
    Column("points", JSON, nullable=False),  # the places or points looked at
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Index("ix_inspections_year", "year"),
)

INSPECTION_TARGETS = Table(
    "inspection_targets", metadata,
    Column("inspection_id", Integer, ForeignKey("inspections.id"), primary_key=True),
    Column("unit_id", Integer, ForeignKey("units.id"), primary_key=True),
    Index("ix_inspection_targets_unit", "unit_id"),
)

INSPECTION_FINDINGS = Table(
    "inspection_findings", metadata,
    Column("id", Integer, primary_key=True),
    Column("inspection_id", Integer, ForeignKey("inspections.id"), nullable=False, index=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, unique=True),
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),
    Column("found_on", Date, nullable=False),
)

# A 减负 pledge broken on an inspection: materials demanded, an escort asked for, the visit
# announced in advance.
INSPECTION_BREACHES = Table(
    "inspection_breaches", metadata,
    Column("id", Integer, primary_key=True),
    Column("inspection_id", Integer, ForeignKey("inspections.id"), nullable=False, index=True),
    Column("pledge", String(16), nullable=False),  # materials, escort, notice
    Column("unit_id", Integer, ForeignKey("units.id")),
    Column("note", Text),
    Column("recorded_on", Date, nullable=False),
    Column("recorded_by", String(64), nullable=False),
)


# A person's password (argon2id hash, never the password) for the web door (``rectify serve``).
CREDENTIALS = Table(
    "credentials", metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id"), unique=True, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, default=0, server_default="0", nullable=False),
)

# A person's API tokens: only their SHA-256 is kept, the token itself is shown once.
API_TOKENS = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id"), index=True, nullable=False),
    Column("sha256", String(64), unique=True, nullable=False),
    Column("label", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_on", Date),
)

# A signed-in browser: the cookie's SHA-256, its CSRF secret, and when it stops being valid.
WEB_SESSIONS = Table(
    "web_sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), unique=True, nullable=False),
    Column("person_id", Integer, ForeignKey("people.id"), index=True, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("address", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("version", Integer, default=0, server_default="0", nullable=False),
)

# What ``rectify serve`` ran on its schedule (campaigns.schedule): the daily tick and the
# notification sender.  A run claims its slot by inserting its row, so of several servers on
# one database exactly one runs a slot (the unique key); the outcome is kept for
# ``rectify schedule`` and the logs.  Operational records, like the outbox: no event.
SERVE_RUNS = Table(
    "serve_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("job", String(16), nullable=False),  # tick, notify
    Column("slot", DateTime(timezone=True), nullable=False),  # the moment it was due (UTC)
    Column("host", String(128), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("outcome", String(16), nullable=False),  # running, done, failed, busy
    Column("detail", Text),
    UniqueConstraint("job", "slot", name="uq_serve_runs_slot"),
)
