"""Guards and actions every definition may use; registered through entry points like any plugin's."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from typing import Any

from .machines import Context
from .plugins import ActionDef, GuardDef, Param
from .text import Text, declare

# the reasons the guards give, declared so that a reason stored in a log can be shown translated
WINDOW_OPENS = declare("stage '{stage}' window opens on {start} (as of {as_of})")
WINDOW_OPEN_UNTIL = declare("stage '{stage}' window is open until {end} (as of {as_of})")
ONLY_DONE = declare("only {done} of {total} ({percent}) are done; {needed} needed")
NOTE_REQUIRED = declare("a reason is required: give --note")
PARAM_REQUIRED = declare("'{name}' is required for this step")
BEFORE_BUSINESS_DATE = declare("'{name}' {value} is before the business date {as_of}")
NOT_SET = declare("'{field}' is not set, so it is not {op} {value}")
COMPARED = declare("'{field}' is {actual}; needs {op} {value}")
EMPTY = declare("empty")
DEADLINE_REQUIRED = declare("a new deadline is required: give --{param}")
DEADLINE_OR_DEFAULT = declare("a new deadline is required: give --{param}, or set deadlines.{default} "
                              "in the definition")


def within_stage_window(ctx: Context) -> str | None:
    """A stage may be entered only once its window has begun."""
    if ctx.stage is None or ctx.run is None:
        return None
    start, end = ctx.stage.window(ctx.run.start_date)
    if ctx.as_of < start:
        return Text(WINDOW_OPENS, stage=ctx.stage.key, start=start, as_of=ctx.as_of)
    return None


def window_ended(ctx: Context) -> str | None:
    """A stage may be closed only after its window has ended."""
    if ctx.stage is None or ctx.run is None:
        return None
    _, end = ctx.stage.window(ctx.run.start_date)
    if ctx.as_of <= end:
        return Text(WINDOW_OPEN_UNTIL, stage=ctx.stage.key, end=end, as_of=ctx.as_of)
    return None


def min_done_share(ctx: Context, machine: str, share: float, stage: bool = False) -> str | None:
    """A gate on statistics: at least ``share`` of the subjects of ``machine`` are done."""
    if ctx.figures is None:
        return None
    spec = ctx.definition.machines[machine]
    stage_key = ctx.stage.key if stage and ctx.stage else None
    total = ctx.figures.count(machine, None, stage_key)
    done = ctx.figures.count(machine, spec.done_states, stage_key)
    if total and done / total < share:
        return Text(ONLY_DONE, done=done, total=total, percent=f"{done / total:.0%}",
                    needed=f"{share:.0%}")
    return None


def note_required(ctx: Context) -> str | None:
    """The actor must give a reason (e.g. reopening a closed case)."""
    return None if ctx.note and ctx.note.strip() else Text(NOTE_REQUIRED)


def param_required(ctx: Context, name: str) -> str | None:
    """The caller must supply a value, e.g. a new deadline."""
    return None if ctx.params.get(name) else Text(PARAM_REQUIRED, name=name)


def param_not_past(ctx: Context, name: str) -> str | None:
    """A supplied date (e.g. a new deadline) may not lie before the business date."""
    value = ctx.params.get(name)
    if value is not None and hasattr(value, "year") and value < ctx.as_of:
        return Text(BEFORE_BUSINESS_DATE, name=name, value=value, as_of=ctx.as_of)
    return None


# What ``compare`` may test, and the opposite of each (a guard's "unless" is its opposite op)
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}
ORDERING = frozenset({"<", "<=", ">", ">="})


def compare(ctx: Context, field: str, op: str, value: Any = None) -> str | None:
    """Escalation on a counter or field (e.g. the number of returns), as data, never as code.

    An unset counter counts as 0; an unset field of any other type is only equal to nothing.
    A date field is compared with the date written as YYYY-MM-DD.
    """
    actual = getattr(ctx.subject, field, None)
    if actual is None and isinstance(value, int) and not isinstance(value, bool):
        actual = 0  # a counter never incremented
    if isinstance(value, str) and isinstance(actual, dt.date):
        value = dt.date.fromisoformat(value)
    if actual is None and op in ORDERING:
        return Text(NOT_SET, field=field, op=op, value=value)
    if COMPARISONS[op](actual, value):
        return None
    return Text(COMPARED, field=field, actual=_shown(actual), op=op, value=_shown(value))


def _shown(value: Any) -> str:
    return Text(EMPTY) if value is None else str(value)


def _new_deadline(ctx: Context, param: str, default: str | None,
                  source: str | None = None) -> dt.date | None:
    """The supplied date, else the subject's ``source`` field, else the definition's limit
    ``default`` counted from the business date."""
    value = ctx.params.get(param)
    if value is None and source is not None:
        value = getattr(ctx.subject, source, None)
    if value is not None:
        return value  # type: ignore[no-any-return]
    limit = ctx.definition.deadlines.limit(default) if default else None
    return ctx.calendar().add(ctx.as_of, limit) if limit is not None else None


def new_deadline(ctx: Context, default: str | None = None, param: str = "deadline") -> str | None:
    """Work that starts again needs a deadline ahead: supplied, or the definition's default."""
    value = _new_deadline(ctx, param, default)
    if value is None:
        if default:
            return Text(DEADLINE_OR_DEFAULT, param=param, default=default)
        return Text(DEADLINE_REQUIRED, param=param)
    if value < ctx.as_of:
        return Text(BEFORE_BUSINESS_DATE, name=param, value=value, as_of=ctx.as_of)
    return None


def restart_ladder(ctx: Context, default: str | None = None, param: str = "deadline",
                   source: str | None = None) -> None:
    """Set the new deadline and start the escalation ladder again from it, at no level.

    The date is the supplied one, else the subject's ``source`` field (a deadline asked for
    earlier), else the limit ``default``; with none of them nothing changes.
    """
    value = _new_deadline(ctx, param, default, source)
    if value is not None:
        ctx.set("deadline", value)
        ctx.set("level_base", value)
        ctx.set("level", None)


def fire(ctx: Context, trigger: str) -> None:
    """Fire a follow-up trigger on a sibling machine of the same subject, with its own event."""
    ctx.follow_ups.append(trigger)


def increment(ctx: Context, field: str) -> None:
    ctx.set(field, (getattr(ctx.subject, field, 0) or 0) + 1)


def set_field(ctx: Context, field: str, value: Any = None) -> None:
    ctx.set(field, value)


def copy_param(ctx: Context, name: str, field: str) -> None:
    """Store a caller-supplied value (e.g. a new deadline) on the subject."""
    if name in ctx.params:
        ctx.set(field, ctx.params[name])


def stamp_date(ctx: Context, field: str) -> None:
    """Record the business date of this transition in ``field``."""
    ctx.set(field, ctx.as_of)


GUARDS = [
    GuardDef("within_stage_window", within_stage_window, "the stage's window has begun",
             title="阶段时间已开始"),
    GuardDef("window_ended", window_ended, "the stage's window has ended", title="阶段时间已结束"),
    GuardDef("min_done_share", min_done_share, "at least a share of a machine's subjects is done",
             {"machine": Param(str), "share": Param((float, int)),
              "stage": Param(bool, required=False, description="count only this stage's")},
             title="{machine}完成比例不低于 {share:.0%}"),
    GuardDef("note_required", note_required, "the actor gives a reason", title="需填写说明"),
    GuardDef("param_required", param_required, "the caller supplies a value",
             {"name": Param(str, refers="param")}, title="需提供参数 {name}"),
    GuardDef("param_not_past", param_not_past, "a supplied date is not before the business date",
             {"name": Param(str, refers="param")}, title="{name} 不得早于业务日期"),
    GuardDef("compare", compare, "a counter or field compares with a value",
             {"field": Param(str, refers="field", description="a field of the subject"),
              "op": Param(str, choices=tuple(COMPARISONS)),
              "value": Param(object, required=False, refers="value",
                             description="of the field's type; absent: empty")},
             title="{field} {op} {value}"),
    GuardDef("new_deadline", new_deadline,
             "a new deadline, not past, is supplied or the definition gives a default",
             {"default": Param(str, required=False, description="a limit of the deadlines section"),
              "param": Param(str, required=False, refers="param")},
             title="需有新的时限（不早于业务日期）"),
]

ACTIONS = [
    ActionDef("fire", fire, "fire a trigger of the sibling machine", {"trigger": Param(str)}),
    ActionDef("increment", increment, "add one to a counter field",
              {"field": Param(str, refers="field")}, writes=int),
    ActionDef("set_field", set_field, "set a field; without a value, clear it",
              {"field": Param(str, refers="field"),
               "value": Param(object, required=False, refers="value")}),
    ActionDef("copy_param", copy_param, "store a supplied value",
              {"name": Param(str, refers="param"), "field": Param(str, refers="field")}),
    ActionDef("stamp_date", stamp_date, "record the business date",
              {"field": Param(str, refers="field")}, writes=dt.date),
    ActionDef("restart_ladder", restart_ladder,
              "set the new deadline (supplied, from a field, or the default) and restart the "
              "ladder from it",
              {"default": Param(str, required=False, description="a limit of the deadlines section"),
               "param": Param(str, required=False, refers="param"),
               "source": Param(str, required=False, refers="field",
                               description="a field holding the date, e.g. one asked for")},
              sets=("deadline", "level_base", "level")),
]
