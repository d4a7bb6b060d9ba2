"""How a trigger fires, in the user's language: by hand, or automatically and when."""

from __future__ import annotations

from engine.core.explain import Firing
from engine.core.spec import TimerSpec

from .i18n import _, shown, translating


def timer_text(timer: TimerSpec) -> str:
    """The timer's wait, its span in the reader's words (5个工作日: never a bare 日)."""
    after = timer.after.zh() if translating() else str(timer.after)
    if timer.from_deadline:
        return _("{after} past the deadline (timer {timer})").format(after=after,
                                                                      timer=timer.key)
    return _("{after} in {state} (timer {timer})").format(after=after, state=timer.state,
                                                          timer=timer.key)


def firing_text(firing: Firing) -> str:
    """"automatic, when 'verify' fires"; "" for a trigger only people fire."""
    if not firing.causes:
        return ""
    parts = []
    fired_by = [f"'{shown('trigger', c.trigger)}'" for c in firing.causes if c.trigger is not None]
    if fired_by:
        parts.append(_("when {triggers} fires").format(triggers=_(" or ").join(fired_by)))
    parts += [timer_text(c.timer) for c in firing.causes if c.timer is not None]
    when = _("; or ").join(parts)
    if firing.automatic:
        return _("automatic, {when}").format(when=when)
    return _("also automatic, {when}").format(when=when)
