"""Messages written with the events that cause them (the writer's observer), into ``outbox``.

The site's ``send`` rules pick events by rule (``escalation.*``) or trigger (``return``); each
picked event becomes one message per recipient: the item's unit (its own listeners, else its
nearest parent's), the office, or a named webhook.  A message says what happened to which item
and by when, and never a field a definition may mark confidential (no title, no reporter).
Its key is a hash of the event's place in its log and the recipient, so the same event can
never be queued twice for one recipient, and a receiver can drop a repeat delivery.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from ..tables import CAMPAIGNS as C, EVENTS, ITEMS as I, OUTBOX, UNITS as U
from .config import Listeners, Notifications, site_notifications


def observe(conn: Connection, events: Table, streams: list[str],
            rows: Sequence[dict[str, Any]]) -> None:
    """The writer's observer: queue the messages ``rows`` call for (campaign events only)."""
    if events is not EVENTS:
        return
    site = site_notifications()
    if site is None or not site.send:
        return
    picked = [(stream, row, rules) for stream, row in zip(streams, rows, strict=True)
              if (rules := site.rules_for(row.get("rule"), row["trigger"]))]
    if not picked:
        return
    items = _items(conn, {row["item_id"] for _, row, _ in picked if row.get("item_id")})
    units = _units(conn, {str((row.get("payload") or {}).get("unit")) for _, row, _ in picked
                          if row["trigger"] == BOTTOM and not row.get("item_id")})
    campaigns = _campaigns(conn, {row["campaign_id"] for _, row, _ in picked})
    now = dt.datetime.now(dt.UTC)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for stream, row, rules in picked:
        code, path, unit = items.get(row.get("item_id") or 0, (row.get("subject_key") or "", "", ""))
        if row["trigger"] == BOTTOM:  # the assessment's notice: to its unit
            code, path, unit = units.get(str((row.get("payload") or {}).get("unit")), (code, "", ""))
        subject, body = _text(campaigns.get(row["campaign_id"], {}), row, code, unit)
        for channel, recipient in _recipients(site, rules, path):
            key = idem_key(stream, row["seq"], channel, recipient)
            if key in seen:
                continue
            seen.add(key)
            out.append({"idem_key": key, "channel": channel, "recipient": recipient,
                        "campaign_id": row["campaign_id"], "stream": stream, "seq": row["seq"],
                        "subject": subject, "body": body, "status": "pending", "attempts": 0,
                        "next_try_at": now, "last_error": None, "created_at": now,
                        "sent_at": None})
    if out:
        conn.execute(OUTBOX.insert(), out)


def idem_key(stream: str, seq: int, channel: str, recipient: str) -> str:
    return hashlib.sha256(f"{stream}\x1f{seq}\x1f{channel}\x1f{recipient}".encode()).hexdigest()[:40]


def _recipients(site: Notifications, rules: list[Any], path: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for rule in rules:
        for target in rule.to:
            if target == "unit":
                out += _of(_nearest(site, path))
            elif target == "office" and site.office:
                out += _of(site.units.get(site.office))
            elif target.startswith("webhook:"):
                out.append(("webhook", target.removeprefix("webhook:")))
    return out


def _nearest(site: Notifications, path: str) -> Listeners | None:
    """The listeners of the unit at ``path``, else of its nearest parent that has some."""
    for code in reversed([p for p in path.split("/") if p]):
        if code in site.units:
            return site.units[code]
    return None


def _of(listeners: Listeners | None) -> list[tuple[str, str]]:
    if listeners is None:
        return []
    return ([("email", a) for a in listeners.email] + [("webhook", w) for w in listeners.webhooks]
            + [("sms", n) for n in listeners.sms])


BOTTOM = "bottom-notice"  # a confirmed bottom-rule proposal's notice (no item)


def _units(conn: Connection, codes: set[str]) -> dict[str, tuple[str, str, str]]:
    """Each unit's code, path and name, by code."""
    if not codes:
        return {}
    return {code: (code, path, name) for code, path, name in conn.execute(
        select(U.c.code, U.c.path, U.c.title).where(U.c.code.in_(sorted(codes))))}


def _items(conn: Connection, ids: set[int]) -> dict[int, tuple[str, str, str]]:
    """Each item's code, its unit's path and its unit's name."""
    found: dict[int, tuple[str, str, str]] = {}
    listed = sorted(ids)
    for lo in range(0, len(listed), 500):
        for item_id, code, path, name in conn.execute(
                select(I.c.id, I.c.code, U.c.path, U.c.title)
                .select_from(I.join(U, U.c.id == I.c.unit_id))
                .where(I.c.id.in_(listed[lo:lo + 500]))):
            found[item_id] = (code, path, name)
    return found


def _campaigns(conn: Connection, ids: set[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for cid, title, data in conn.execute(select(C.c.id, C.c.title, C.c.definition_data)
                                         .where(C.c.id.in_(sorted(ids)))):
        ladder = (data or {}).get("escalation") or {}
        levels = {lv.get("key"): lv.get("title") or lv.get("key")
                  for lv in ladder.get("levels") or [] if isinstance(lv, dict)}
        triggers = {t.get("trigger"): t.get("title") or t.get("trigger")
                    for machine in ((data or {}).get("machines") or {}).values()
                    if isinstance(machine, dict)
                    for t in machine.get("transitions") or [] if isinstance(t, dict)}
        bottom = ((data or {}).get("assessment") or {}).get("bottom") or {}
        people = (((data or {}).get("assessment") or {}).get("people") or {}).get("bottom") or {}
        steps = {st.get("key"): st.get("title") for rule in (people, bottom)
                 for st in rule.get("steps") or [] if isinstance(st, dict)}
        out[cid] = {"title": title, "levels": levels, "triggers": triggers, "steps": steps}
    return out


def _text(campaign: dict[str, Any], row: dict[str, Any], code: str, unit: str) -> tuple[str, str]:
    """The subject and body: the campaign, the item's code and unit, what happened, and by when."""
    payload = row.get("payload") or {}
    title = campaign.get("title", "")
    day = row["business_date"]
    if row["trigger"] == "escalate":
        level = payload.get("level", "")
        name = campaign.get("levels", {}).get(level, level)
        new = payload.get("new_deadline")
        subject = f"【{name}】{code}"
        body = (f"{title}：问题 {code}（责任单位 {unit}）于 {day} 予以{name}。"
                + (f"新的整改时限：{new}。" if new else "") + "请抓紧落实整改。")
    elif row["trigger"] == BOTTOM:  # names of people are never in a message: the unit alone
        step = campaign.get("steps", {}).get(payload.get("step")) or payload.get("step", "")
        subject = f"【考核末位{step}】{unit}"
        body = (f"{title}：{payload.get('period', '')} 考核，{unit}"
                + ("有人员" if payload.get("person") else "")
                + f"在“{payload.get('group', '')}”中排名末位，予以{step}。请登录查看。")
    else:
        name = campaign.get("triggers", {}).get(row["trigger"]) or row["trigger"]
        subject = f"【{name}】{code}"
        body = f"{title}：问题 {code}（责任单位 {unit}）于 {day}：{name}。请登录查看并办理。"
    return subject, body
