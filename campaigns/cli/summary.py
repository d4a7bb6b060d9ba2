"""A short human summary of a valid definition."""

from __future__ import annotations

from engine.core.spec import Definition


def describe(path: str, d: Definition) -> str:
    lines = [f"{path}: ok — {d.key} {d.title}"]
    lines.append(f"  stages ({len(d.stages)}):")
    for s in d.stages:
        lines.append(f"    {s.key:<18} {s.kind:<17} {s.start} .. {s.end}  {s.title}")
    for name, m in d.machines.items():
        done = ", ".join(sorted(m.done_states))
        lines.append(f"  machine {name}: {len(m.states)} states, {len(m.transitions)} "
                     f"transitions, starts '{m.initial}', done: {done}")
    cats = d.sections.get("categories") or {}
    lines.append(f"  categories: {len(cats)}; roles: {', '.join(d.roles) or 'none'}")
    if d.ladder:
        lines.append("  escalation: " + " → ".join(f"{lv.title}({lv.at})" for lv in d.ladder.levels))
    filings = d.sections.get("filings")
    for f in getattr(filings, "items", ()):
        who = f"units of kind {', '.join(f.kinds)}" if f.kinds else f"units of role {f.role}"
        lines.append(f"  filing {f.key}: {f.schedule}, filed by {who}, to {f.office}  {f.title}")
    ladder = getattr(filings, "ladder", None)
    if ladder:
        lines.append("  filings' escalation: "
                     + " → ".join(f"{lv.title}({lv.at})" for lv in ladder.levels))
    return "\n".join(lines)
