"""A short human summary of a valid definition."""

from __future__ import annotations

from campaigns.i18n import _, translating
from campaigns.wording import STAGE_KINDS
from engine.core.spec import Definition, Duration

from ._output import width


def describe(path: str, d: Definition) -> str:
    lines = [_("{path}: ok — {key} {title}").format(path=path, key=d.key, title=d.title)]
    lines.append(_("  stages ({count}):").format(count=len(d.stages)))
    for s in d.stages:
        kind = STAGE_KINDS.get(s.kind, s.kind) if translating() else s.kind
        lines.append(f"    {s.key:<18} {kind}{' ' * max(1, 18 - width(kind))}{s.start} .. "
                     f"{s.end}  {s.title}")
    for name, m in d.machines.items():
        # a Chinese reader sees each state as "key（title）": the key is what the file says
        title = {st.key: f"{st.key}（{st.title}）" for st in m.states if st.title} \
            if translating() else {}
        done = ", ".join(title.get(k, k) for k in sorted(m.done_states))
        lines.append(_("  machine {name}: {states} states, {transitions} transitions, starts "
                       "'{initial}', done: {done}").format(
            name=name, states=len(m.states), transitions=len(m.transitions),
            initial=title.get(m.initial, m.initial), done=done))
    cats = d.sections.get("categories") or {}
    lines.append(_("  categories: {count}; roles: {roles}").format(
        count=len(cats), roles=", ".join(d.roles) or _("none")))
    if d.ladder:
        lines.append(_("  escalation: {levels}").format(
            levels=" → ".join(f"{lv.title}({_span(lv.at)})" for lv in d.ladder.levels)))
    filings = d.sections.get("filings")
    for f in getattr(filings, "items", ()):
        who = (_("units of kind {kinds}").format(kinds=", ".join(f.kinds)) if f.kinds
               else _("units of role {role}").format(role=f.role))
        lines.append(_("  filing {key}: {schedule}, filed by {who}, to {office}  {title}").format(
            key=f.key, schedule=f.schedule.zh() if translating() else f.schedule.en(), who=who,
            office=f.office, title=f.title))
    ladder = getattr(filings, "ladder", None)
    if ladder:
        lines.append(_("  filings' escalation: {levels}").format(
            levels=" → ".join(f"{lv.title}({_span(lv.at)})" for lv in ladder.levels)))
    from campaigns.commitment_spec import CommitmentsSpec

    commitments = d.sections.get("commitments")
    if isinstance(commitments, CommitmentsSpec):
        for c in commitments.tracking:
            lines.append(_("  commitments' check-in {key}: {schedule}  {title}").format(
                key=c.key, schedule=_("met by the review") if c.review
                else c.schedule.zh() if translating() else c.schedule.en(),
                title=c.title))
        if commitments.listed:
            lines.append(_("  commitments listed: {count}").format(count=len(commitments.listed)))
    register = (d.sections.get("mechanisms") or {}).get("register") or ()
    if register:
        lines.append(_("  mechanisms to build: {titles}").format(
            titles="、".join(m["title"] for m in register)))
    return "\n".join(lines)


def _span(at: Duration) -> str:
    """A day count as the reader speaks: 3个工作日 / 1个自然日 in Chinese, never a bare 日."""
    return at.zh() if translating() else str(at)
