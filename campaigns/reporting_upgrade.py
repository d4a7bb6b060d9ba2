"""``campaign.reporting`` read as the filing it always meant (报送事项), on every read.

The old block ``reporting: {cadence, due, to}`` was accepted and drove nothing.  A filing says
the same obligation and is what the clock chases, so the loader rewrites the block into one
filings item before the definition is built: the same rule for a definition file and for the
snapshot a running campaign keeps.  The snapshot's text and hash are never changed (the audit
still verifies what was started); what changes is how the tool reads it, and ``validate`` says
so with the exact YAML to write instead.

The rule: the cadence and due become a schedule (period_end: the period's last working day;
period_start: its first day, moved to the next working day); the units that file are the
campaign's rectifying kinds; the office that accepts is the role that may already accept
filings, else the office-side role; ``to`` is kept.  A definition whose roles may not file or
accept gets those triggers (``file`` for the rectifying roles that submit, ``accept-filing``
and ``return-filing`` for the office) and the standard ``filing`` machine when it has none:
the obligation it stated, made workable.  A block that repeats a filing already written is
dropped.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from engine.core.cadence import CadenceError, parse_schedule
from engine.core.plugins import Upgrade

from .duties import DEFAULT_RECTIFYING_KINDS, OFFICE, RECTIFYING, default_side
from .filing_spec import ACCEPT, FILE, MACHINE, RETURN
from .i18n import _

# (cadence, due) → (schedule, on_days_off or None for the default)
SCHEDULES: dict[tuple[str, str], tuple[str, str | None]] = {
    ("daily", "period_end"): ("每日", None),
    ("daily", "period_start"): ("每日", None),
    ("weekly", "period_end"): ("每周日", "before"),
    ("weekly", "period_start"): ("每周一", None),
    ("monthly", "period_end"): ("每月底前", None),
    ("monthly", "period_start"): ("每月1日前", None),
    ("quarterly", "period_end"): ("每季度末", None),
    ("quarterly", "period_start"): ("quarterly by day 1 of month 1", None),
    ("yearly", "period_end"): ("每年底前", None),
    ("yearly", "period_start"): ("1月1日前", None),
}
WHERE = ("campaign", "reporting")


def upgrade(given: Mapping[str, Any]) -> tuple[dict[str, Any], list[Upgrade]] | None:
    """``given`` (merged, preset applied) with ``campaign.reporting`` rewritten into a filing,
    as a copy, and what was rewritten; None when it has no such block."""
    found = given.get("campaign")
    if not isinstance(found, dict) or not isinstance(found.get("reporting"), dict):
        return None
    data = copy.deepcopy(dict(given))
    return data, _rewrite(data)


def _rewrite(data: dict[str, Any]) -> list[Upgrade]:
    meta = data["campaign"]
    old = meta.pop("reporting")
    cadence, due, to = old.get("cadence"), old.get("due") or "period_end", old.get("to")
    found = SCHEDULES.get((str(cadence), str(due)))
    if found is None:
        return [Upgrade("deprecated-reporting", WHERE, _(
            "campaign.reporting is no longer read and says no cadence a filing can follow"),
            _("delete it and write a filings item (docs/definitions.md, filings)"))]
    schedule, days_off = found
    filings = data.get("filings")
    items = filings.get("items") if isinstance(filings, dict) else None
    same = _same(items or [], schedule, days_off)
    if same is not None:
        return [Upgrade("deprecated-reporting", WHERE, _(
            "campaign.reporting is no longer read; filing '{key}' states the same obligation"
        ).format(key=same), _("delete campaign.reporting"))]
    found_roles = data.get("roles")
    roles: dict[str, Any] = found_roles if isinstance(found_roles, dict) else {}
    office = _office(roles)
    if office is None:
        return [Upgrade("deprecated-reporting", WHERE, _(
            "campaign.reporting is no longer read, and no role could accept its filing"),
            _("add a role on the office side and a filings item (docs/definitions.md, "
              "filings)"))]
    kinds = [str(k) for k in meta.get("rectifying_kinds") or DEFAULT_RECTIFYING_KINDS]
    taken = {str(i.get("key")) for i in items or [] if isinstance(i, dict)}
    key = next(k for k in ("report", *(f"report-{n}" for n in range(2, 100)), "report-x")
               if k not in taken)
    item: dict[str, Any] = {"key": key, "title": f"向{to}报送工作情况" if to else "工作情况报送",
                            "schedule": schedule}
    if days_off:
        item["on_days_off"] = days_off
    item.update({"units": kinds, "office": office})
    if to:
        item["to"] = str(to)
    if not isinstance(filings, dict):
        filings = data["filings"] = {"items": []}
    filings.setdefault("items", []).append(item)
    granted = _grant(data, roles, office)
    machines = data.setdefault("machines", {})
    if isinstance(machines, dict) and MACHINE not in machines:
        from .lifecycle import FILING

        machines[MACHINE] = copy.deepcopy(FILING)
    hint = _("write instead:\n{yaml}").format(yaml=_yaml(item))
    if granted:
        hint += "\n" + _("and give the roles the triggers: {grants}").format(grants="; ".join(
            f"roles.{role}.triggers += [{', '.join(triggers)}]" for role, triggers in granted))
    return [Upgrade("deprecated-reporting", WHERE, _(
        "campaign.reporting is read as filing '{key}' ({schedule}); the block is deprecated"
    ).format(key=key, schedule=schedule), hint)]


def _same(items: list[Any], schedule: str, days_off: str | None) -> str | None:
    """The key of a filing already due on the same schedule, if any."""
    want = parse_schedule(schedule, "before" if days_off == "before" else "next")
    for item in items:
        if not isinstance(item, dict):
            continue
        mode = item.get("on_days_off")
        try:
            have = parse_schedule(str(item.get("schedule")),
                                  mode if mode in ("next", "keep", "before") else "next")
        except CadenceError:
            continue
        if have == want:
            return str(item.get("key"))
    return None


def _side(role: dict[str, Any]) -> str:
    return str(role.get("side") or default_side(role))


def _office(roles: dict[str, Any]) -> str | None:
    """The role that accepts: one that already may, else the first on the office side."""
    shaped = {k: r for k, r in roles.items() if isinstance(r, dict)}
    for key, role in shaped.items():
        if {ACCEPT, RETURN} <= set(role.get("triggers") or ()):
            return str(key)
    return next((str(k) for k, r in shaped.items() if _side(r) == OFFICE), None)


def _grant(data: dict[str, Any], roles: dict[str, Any], office: str) -> list[tuple[str, list[str]]]:
    """Give the triggers the filing needs to roles that lack them; what was given."""
    granted: list[tuple[str, list[str]]] = []

    def give(key: str, triggers: list[str]) -> None:
        have = list(roles[key].get("triggers") or [])
        lacking = [t for t in triggers if t not in have]
        if lacking:
            roles[key]["triggers"] = have + lacking
            granted.append((key, lacking))

    shaped = {k: r for k, r in roles.items() if isinstance(r, dict)}
    if not any(FILE in (r.get("triggers") or ()) for r in shaped.values()):
        for key, role in shaped.items():
            if _side(role) == RECTIFYING and "submit" in (role.get("triggers") or ()):
                give(key, [FILE])
    give(office, [ACCEPT, RETURN])
    data["roles"] = roles
    return granted


def _yaml(item: dict[str, Any]) -> str:
    """The filings item as a definition writes it."""
    lines = ["filings:", "  items:"]
    first = True
    for name, value in item.items():
        text = f"[{', '.join(value)}]" if isinstance(value, list) else str(value)
        lines.append(f"    {'- ' if first else '  '}{name}: {text}")
        first = False
    return "\n".join(lines)
