"""event chain: hash-chained events per campaign, a site-wide log, chain heads

Events written before this revision are not pretended to have been chained: each campaign's
chain starts with a "chain started" event whose payload covers the count and a digest of the
older events (docs/events.md), so editing one of them later is still caught.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 12:00:00
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from alembic import op

from engine.core.chain import ALG, GENESIS, Link, digest, old_digest, utc_text

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SITE = "site"
CHAIN_COLUMNS = (("seq", sa.Integer()), ("prev_hash", sa.String(64)), ("hash", sa.String(64)),
                 ("alg", sa.String(32)), ("subject_key", sa.String(128)),
                 ("payload_version", sa.Integer()))


def _chain_columns() -> list[sa.Column[Any]]:
    return [sa.Column(name, type_, nullable=True) for name, type_ in CHAIN_COLUMNS]


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        for column in _chain_columns():
            batch_op.add_column(column)
        batch_op.create_index('ix_events_campaign_seq', ['campaign_id', 'seq'], unique=True)
    op.create_table('chain_heads',
    sa.Column('stream', sa.String(length=128), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('stream')
    )
    op.create_table('site_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('machine', sa.String(length=64), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('trigger', sa.String(length=64), nullable=False),
    sa.Column('from_state', sa.String(length=64), nullable=True),
    sa.Column('to_state', sa.String(length=64), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('rule', sa.String(length=128), nullable=True),
    *_chain_columns(),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('site_events', schema=None) as batch_op:
        batch_op.create_index('ix_site_events_seq', ['seq'], unique=True)
        batch_op.create_index(batch_op.f('ix_site_events_subject_id'), ['subject_id'], unique=False)
    _start_chains(op.get_bind())


def _start_chains(conn: sa.Connection) -> None:
    """Give older events their stable subject keys, then start every stream's chain."""
    e = sa.table("events", *(sa.column(n) for n in (
        "id", "campaign_id", "item_id", "machine", "subject_id", "trigger", "from_state",
        "to_state", "actor", "note", "rule", "prev_hash", "hash", "alg", "subject_key")),
        sa.column("seq", sa.Integer), sa.column("payload_version", sa.Integer),
        sa.column("business_date", sa.Date), sa.column("recorded_at", sa.DateTime(timezone=True)),
        sa.column("payload", sa.JSON))
    items = sa.table("items", sa.column("id"), sa.column("code"))
    stages = sa.table("stages", sa.column("id"), sa.column("key"))
    campaigns = sa.table("campaigns", sa.column("id"), sa.column("key"),
                         sa.column("start_date", sa.Date))
    heads = sa.table("chain_heads", sa.column("stream"), sa.column("seq"), sa.column("hash"))
    site = sa.table("site_events", *(sa.column(n) for n in (
        "machine", "subject_id", "trigger", "actor", "note", "prev_hash", "hash", "alg",
        "subject_key")), sa.column("seq", sa.Integer), sa.column("payload_version", sa.Integer),
        sa.column("business_date", sa.Date), sa.column("recorded_at", sa.DateTime(timezone=True)),
        sa.column("payload", sa.JSON))
    keyed = (
        (e.c.machine.in_(["item", "rectification", "record"]),
         sa.select(items.c.code).where(items.c.id == e.c.item_id).scalar_subquery()),
        (e.c.machine == "stage",
         sa.select(stages.c.key).where(stages.c.id == e.c.subject_id).scalar_subquery()),
        (e.c.machine == "campaign",
         sa.select(campaigns.c.key).where(campaigns.c.id == e.c.campaign_id).scalar_subquery()),
    )
    for where, key in keyed:
        conn.execute(sa.update(e).where(where).values(subject_key=key, payload_version=1))
    conn.execute(sa.update(e).where(e.c.payload_version.is_(None)).values(payload_version=1))
    stamp = dt.datetime.now(dt.UTC)
    for cid, key, start in conn.execute(sa.select(campaigns.c.id, campaigns.c.key,
                                                  campaigns.c.start_date).order_by(campaigns.c.id)):
        rows = conn.execute(sa.select(
            e.c.actor, e.c.business_date, e.c.from_state, e.c.machine, e.c.note, e.c.payload,
            e.c.recorded_at, e.c.rule, e.c.subject_key, e.c.to_state, e.c.trigger,
            e.c.payload_version).where(e.c.campaign_id == cid).order_by(e.c.id))
        count, old = old_digest(old_link(key, r) for r in rows)
        day = conn.execute(sa.select(sa.func.max(e.c.business_date))
                           .where(e.c.campaign_id == cid)).scalar() or start
        payload = {"events": count, "digest": old if count else None}
        note = f"chain started; {count} earlier event(s) covered by their digest"
        link = Link("system", ALG, day.isoformat(), None, "campaign", note, payload, GENESIS,
                    utc_text(stamp), None, 1, key, key, None, "chain-start", 1)
        h = digest(link)
        conn.execute(sa.insert(e).values(
            campaign_id=cid, machine="campaign", subject_id=cid, trigger="chain-start",
            actor="system", business_date=day, recorded_at=stamp, note=note, payload=payload,
            seq=1, prev_hash=GENESIS, hash=h, alg=ALG, subject_key=key, payload_version=1))
        conn.execute(sa.insert(heads).values(stream=key, seq=1, hash=h))
    units = conn.execute(sa.text("SELECT count(*) FROM units")).scalar() or 0
    people = conn.execute(sa.text("SELECT count(*) FROM people")).scalar() or 0
    if not (units or people):
        conn.execute(sa.insert(heads).values(stream=SITE, seq=0, hash=GENESIS))
        return
    day = stamp.date()
    payload = {"events": 0, "digest": None, "units": units, "people": people}
    note = f"chain started; {units} unit(s) and {people} person(s) were added before it"
    link = Link("system", ALG, day.isoformat(), None, "site", note, payload, GENESIS,
                utc_text(stamp), None, 1, SITE, SITE, None, "chain-start", 1)
    h = digest(link)
    conn.execute(sa.insert(site).values(
        machine="site", trigger="chain-start", actor="system", business_date=day,
        recorded_at=stamp, note=note, payload=payload, seq=1, prev_hash=GENESIS, hash=h, alg=ALG,
        subject_key=SITE, payload_version=1))
    conn.execute(sa.insert(heads).values(stream=SITE, seq=1, hash=h))


def old_link(stream: str, r: Any) -> Link:
    """An event from before the chain, as its digest covers it: seq 0, no previous hash."""
    return Link(r.actor, ALG, r.business_date.isoformat(), r.from_state, r.machine, r.note,
                r.payload, "", utc_text(r.recorded_at), r.rule, 0, stream, r.subject_key,
                r.to_state, r.trigger, r.payload_version or 1)


def downgrade() -> None:
    op.execute("DELETE FROM events WHERE \"trigger\" = 'chain-start'")
    with op.batch_alter_table('site_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_events_subject_id'))
        batch_op.drop_index('ix_site_events_seq')
    op.drop_table('site_events')
    op.drop_table('chain_heads')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_campaign_seq')
        for name, _ in reversed(CHAIN_COLUMNS):
            batch_op.drop_column(name)
