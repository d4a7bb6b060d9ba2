"""The tables of the rectification domain (SQLAlchemy 2 typed declarative models).

Confidential values (a reporter's identity) live in their own table, referred to by id, so
the append-only event log never has to be edited to protect a whistleblower.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store import Base, EventColumns, Stateful


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text)
    definition_key: Mapped[str] = mapped_column(String(64))
    definition_file: Mapped[str] = mapped_column(Text)
    definition_text: Mapped[str] = mapped_column(Text)  # the YAML as it was when started
    definition_hash: Mapped[str] = mapped_column(String(64))
    definition_data: Mapped[dict[str, Any]] = mapped_column(JSON)  # merged, validated data
    code_prefix: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[dt.date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    concluded_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)


class Stage(Base):
    """A stage of one campaign: pending → open → closed, by window and by explicit advance."""

    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("campaign_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Unit(Base):
    """A node of the unit tree; ``path`` is the codes from the root, e.g. ``/county/fin/office``."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str | None] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(1024), unique=True)
    depth: Mapped[int] = mapped_column(Integer)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str | None] = mapped_column(Text)  # post, e.g. 局长
    roles: Mapped[str] = mapped_column(Text, default="")  # space-separated role keys
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Item(Stateful, Base):
    """A problem item (问题); exactly one row of ``rectifications`` belongs to it."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("campaign_id", "seq"),
        Index("ix_items_campaign_state", "campaign_id", "state"),
        Index("ix_items_campaign_unit", "campaign_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    category: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str | None] = mapped_column(String(64))  # stage open when it was found
    found_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    typical: Mapped[bool] = mapped_column(Boolean, default=False)
    external_ref: Mapped[str | None] = mapped_column(String(128))  # natural key from imports


class Rectification(Stateful, Base):
    """The plan and work to fix one item (整改); exactly one per item."""

    __tablename__ = "rectifications"
    __table_args__ = (
        Index("ix_rect_campaign_state", "campaign_id", "state"),
        Index("ix_rect_campaign_deadline", "campaign_id", "deadline"),
        # the clock's sweep: per level and live state, a range of the dates the ladder counts from
        Index("ix_rect_ladder", "campaign_id", "level", "state", "level_base"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    measures: Mapped[str | None] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    original_deadline: Mapped[dt.date | None] = mapped_column(Date)
    level: Mapped[str | None] = mapped_column(String(64))  # escalation level reached
    level_base: Mapped[dt.date | None] = mapped_column(Date)  # deadline the ladder counts from
    returns: Mapped[int] = mapped_column(Integer, default=0)
    submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)


class Secret(Base):
    """A confidential value of an item (e.g. the reporter); shown only to entitled roles."""

    __tablename__ = "secrets"
    __table_args__ = (UniqueConstraint("item_id", "field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)


class Progress(Base):
    """A progress report on a rectification (整改进展), possibly with evidence."""

    __tablename__ = "progress"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    business_date: Mapped[dt.date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Evidence(Base):
    """A file of evidence (佐证材料), kept by content hash: the same file is stored once."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("progress.id"), index=True)
    filename: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    size: Mapped[int] = mapped_column(Integer)


class Blob(Base):
    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Event(EventColumns, Base):
    """The append-only log of every change; ``item_id`` ties item and rectification events."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_campaign_date", "campaign_id", "business_date"),
        Index("ix_events_item", "item_id"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))


class Notice(Base):
    """An escalation notice (提醒/督办/通报/问责) issued to a unit about one rectification."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("rectification_id", "level", "deadline"),
        Index("ix_notices_campaign_issued", "campaign_id", "issued_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    rectification_id: Mapped[int] = mapped_column(ForeignKey("rectifications.id"), index=True)
    level: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date)  # the deadline it was measured against
    days_overdue: Mapped[int] = mapped_column(Integer)
    new_deadline: Mapped[dt.date | None] = mapped_column(Date)
    action: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))


class Tick(Base):
    """The last business date the clock was applied to a campaign (ticks only move forward)."""

    __tablename__ = "ticks"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    ticked_to: Mapped[dt.date] = mapped_column(Date)


class Meta(Base):
    """Small key/value facts about the database itself."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
