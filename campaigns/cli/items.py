"""``rectify item``: record, plan, report on and advance problem items."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from campaigns import wording
from campaigns.i18n import _, localize, ngettext, shown

from ._common import ACTOR, common, database, scope_of, viewing

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from campaigns.advance import Advanced
    from campaigns.context import Scope
    from engine.core.machines import Outcome
from ._output import emit, output_options, record, table

TRIGGER_COLUMNS = ("trigger", "machine", "title", "to", "possible", "why_not", "guards")


@click.group()
def item() -> None:
    """Problem items (问题) and their rectifications (整改)."""


def _scope(conn: Connection, campaign_key: str | None, code: str | None, actor: str | None,
           as_of: str | None, need_actor: bool = True) -> Scope:
    """The campaign (by key or by an item's code), the actor, and the business date."""
    from campaigns.records import load_records
    from campaigns.runs import load_run, load_run_by_id

    if campaign_key is not None or code is None:  # '' is an unknown campaign, not "none given"
        run = load_run(conn, campaign_key or "")
    else:
        run = load_run_by_id(conn, load_records(conn, [code], live=False)[0].campaign_id)
    return scope_of(conn, run, as_of, actor, need_actor)


@item.command("add")
@click.argument("campaign")
@click.option("--title", required=True, help="What the problem is.")
@click.option("--unit", required=True, help="Responsible unit: code, title or path.")
@click.option("--category", required=True, help="Category key or title.")
@click.option("--source", required=True, help="Source key or title, e.g. public-report.")
@click.option("--description")
@click.option("--reporter", help="Who reported it (confidential).")
@click.option("--reporter-contact", help="How to reach the reporter (confidential).")
@click.option("--deadline", metavar="DATE", help="Rectification deadline.")
@ACTOR
@common
def add(campaign: str, title: str, unit: str, category: str, source: str,
        description: str | None, reporter: str | None, reporter_contact: str | None,
        deadline: str | None, actor: str | None, db: str | None, as_of: str | None) -> None:
    """Record a problem item in CAMPAIGN; prints its code."""
    from campaigns.dates import parse_date
    from campaigns.items import add_item

    with database(db).write() as conn:
        code = add_item(_scope(conn, campaign, None, actor, as_of), title=title, unit=unit,
                        category=category, source=source, description=description,
                        reporter=reporter, reporter_contact=reporter_contact,
                        deadline=parse_date(deadline, "--deadline") if deadline else None)
    click.echo(code)


@item.command("import")
@click.argument("campaign")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--sheet", help="Sheet name or number (default: the first).")
@click.option("--dry-run", is_flag=True, help="Check the file and say what would change.")
@click.option("--columns", metavar="MAP", help='Header → field: JSON or 列名=field,... ("" ignores).')
@click.option("--header-row", type=click.IntRange(min=1), help="Row of the headers (default: found).")
@click.option("--update", is_flag=True, help="Take the file's values for rows changed since.")
@click.option("--max-size", default="50MB", envvar="RECTIFY_IMPORT_MAX_SIZE", show_default=True,
              help="Largest file accepted [env RECTIFY_IMPORT_MAX_SIZE].")
@click.option("--create-missing", "create_missing", metavar="units,people",
              help="Create the units (under --parent) and people the file names that do not "
                   "exist yet (--actor must be an administrator).")
@click.option("--parent", metavar="UNIT", help="The unit created units go under.")
@click.option("--remarks-to-reporter", "remarks", flag_value="reporter",
              help="Keep reporter details found in 备注 as the confidential reporter fields.")
@click.option("--ignore-remarks", "remarks", flag_value="ignore",
              help="Leave reporter details found in 备注 out of the import.")
@click.option("--errors", "errors", type=click.Path(dir_okay=False), metavar="FILE.csv",
              help="Write every problem to FILE.csv, one line per cell.")
@click.option("--json", "fmt", flag_value="json", help="Print the outcome (or the problems) as JSON.")
@ACTOR
@common
def import_(fmt: str | None, **options: Any) -> None:
    """Import problem items from a ledger FILE (.xlsx, .xls, .ods or .csv): all rows, or none."""
    from .ledger import import_command

    import_command(fmt=fmt or "text", **options)


@item.command("list")
@click.argument("campaign")
@click.option("--state", help="Item or rectification state.")
@click.option("--unit", help="Only this unit's subtree.")
@click.option("--category")
@click.option("--overdue", is_flag=True, help="Only overdue rectifications.")
@click.option("--escalation", metavar="LEVEL", help="Only at this escalation level.")
@ACTOR
@output_options
@common
def list_(campaign: str, state: str | None, unit: str | None, category: str | None,
          overdue: bool, escalation: str | None, actor: str | None, fmt: str, db: str | None,
          as_of: str | None) -> None:
    """List CAMPAIGN's items (the ledger view; confidential fields only for entitled --actor)."""
    from campaigns.queries import list_items

    with viewing(db, actor) as conn:
        scope = _scope(conn, campaign, None, actor, as_of, need_actor=False)
        rows = list_items(scope, state=state, unit=unit,
                          category=category, overdue=overdue, escalation=escalation)
        words = _words(scope.run.definition)
    if fmt != "table":
        emit(rows, fmt)
        return
    from campaigns.provisional import legend, mark

    marked = [{**r, "deadline": r["deadline"] + mark()} if r.get("deadline_provisional") else r
              for r in rows]
    emit(wording.rows(marked, words), fmt, ["code", "unit", "category", "state", "rectification",
                                             "deadline", "overdue", "escalation", "title"])
    if any(r.get("deadline_provisional") for r in rows):
        click.echo(legend())


def _words(definition: Any) -> dict[str, dict[str, str]]:
    """Columns shown by title in a Chinese table: states, triggers, categories, levels."""
    from engine.core.schedule import ladder_rule

    words = wording.columns(definition)
    words["category"] = dict(definition.sections.get("categories") or {})
    words["source"] = dict(definition.sections.get("sources") or {})
    words["escalation"] = {lv.key: lv.title for lv in definition.ladder.levels} \
        if definition.ladder else {}
    words["machine"] = {**{k: _(v) for k, v in wording.BUILTIN_MACHINES.items()},
                        **{m.name: m.title for m in definition.machines.values()}}
    words["stage"] = {st.key: st.title for st in definition.stages}
    # a clock step's rule ("escalation.reminder") by the rung's title; the clock as 系统
    words["rule"] = {ladder_rule(lv): lv.title for lv in definition.ladder.levels} \
        if definition.ladder else {}
    words["actor"] = {"system": _("the system")}
    return words


@item.command("show")
@click.argument("code")
@ACTOR
@output_options
@common
def show(code: str, actor: str | None, fmt: str, db: str | None, as_of: str | None) -> None:
    """Show item CODE with its full history (confidential fields only for entitled --actor)."""
    from campaigns.queries import show_item

    with viewing(db, actor) as conn:
        scope = _scope(conn, None, code, actor, as_of, need_actor=False)
        detail = show_item(scope, code)
        words = _words(scope.run.definition)
    if fmt != "table":
        emit(detail, fmt)
        return
    from campaigns.provisional import legend, mark

    provisional = detail.pop("deadline_provisional", False)
    if provisional:
        detail["deadline"] += mark()
    click.echo(record(wording.rows([detail], words)[0]))
    if provisional:
        click.echo(legend())
    if detail.get("progress"):
        click.echo("\n" + _("progress:") + "\n" + table(detail["progress"]))
    click.echo("\n" + _("history:") + "\n" + table(wording.rows(detail["history"], words),
                                                   ["date", "machine", "trigger", "from", "to",
                                                    "actor", "rule", "note"]))


@item.command("rectify")
@click.argument("code")
@click.option("--measures", required=True, help="整改措施.")
@click.option("--target", help="整改目标.")
@click.option("--deadline", metavar="DATE", help="整改时限; default: the definition's time limit.")
@click.option("--leader", metavar="PERSON", help="责任领导 (person key).")
@click.option("--person", metavar="PERSON", help="责任人 (person key).")
@click.option("--department", help="责任部门.")
@ACTOR
@common
def rectify(code: str, measures: str, target: str | None, deadline: str | None,
            leader: str | None, person: str | None, department: str | None, actor: str | None,
            db: str | None, as_of: str | None) -> None:
    """Give item CODE its rectification plan (fires 'plan')."""
    from campaigns.dates import parse_date
    from campaigns.items import plan
    from campaigns.provisional import legend, shown

    with database(db).write() as conn:
        scope = _scope(conn, None, code, actor, as_of)
        due = plan(scope, code, measures=measures, target=target,
                   deadline=parse_date(deadline, "--deadline") if deadline else None,
                   leader=leader, person=person, department=department)
        due_text = shown(scope.run.definition, due) if due else _("none")
    click.echo(_("{code}: rectification planned, deadline {deadline}").format(
        code=code, deadline=due_text))
    if due and due_text != due.isoformat():
        click.echo(legend())


@item.command("progress")
@click.argument("code")
@click.option("--note", required=True, help="What was done.")
@click.option("--evidence", multiple=True, type=click.Path(dir_okay=False),
              help="Evidence file (佐证材料); repeatable.")
@ACTOR
@common
def progress(code: str, note: str, evidence: tuple[str, ...], actor: str | None, db: str | None,
             as_of: str | None) -> None:
    """Report progress on item CODE, with evidence kept by content hash."""
    from campaigns.items import progress as report

    with database(db).write() as conn:
        result = report(_scope(conn, None, code, actor, as_of), code, note, list(evidence))
    files = ", ".join(f"{e['file']} ({e['sha256'][:12]})" for e in result["evidence"])
    click.echo(_("{code}: progress recorded").format(code=code)
               + (_("; evidence {files}").format(files=files) if files else ""))


@item.command("advance")
@click.argument("trigger")
@click.argument("codes", nargs=-1)
@click.option("--from-file", metavar="FILE", help="Read codes from a file, one per line.")
@click.option("--note", help="Reason or remark, kept in the history.")
@click.option("--deadline", metavar="DATE", help="New deadline, for triggers that set one.")
@ACTOR
@output_options
@common
def advance(trigger: str, codes: tuple[str, ...], from_file: str | None, note: str | None,
            deadline: str | None, actor: str | None, fmt: str, db: str | None,
            as_of: str | None) -> None:
    """Fire TRIGGER on every item CODE: all move in one transaction, or none does.

    Steps that follow by themselves (verifying closes the item) are reported too.
    """
    from campaigns.advance import advance as fire
    from campaigns.dates import parse_date, today
    from campaigns.people import resolve_actor

    all_codes = list(codes) + (_codes_in(from_file) if from_file else [])
    if not all_codes:
        raise click.UsageError(_("give at least one item CODE (or --from-file)"))
    day = parse_date(as_of, "--as-of") if as_of else today()
    params = {"deadline": parse_date(deadline, "--deadline")} if deadline else {}
    with database(db).write() as conn:
        advanced = fire(conn, trigger, all_codes, None, actor, day, note, params,
                        resolve=resolve_actor)
    if fmt != "table":
        emit([_moved(a) for a in advanced], "json")
    elif len(advanced) == 1:
        own, *follow_ups = advanced[0].outcomes
        click.echo(_("{code}: {trigger} {source} → {dest}").format(
            code=advanced[0].code, trigger=shown("trigger", own.trigger),
            source=shown("state", own.source), dest=shown("state", own.dest))
            + "".join(_("; {trigger} {source} → {dest} (automatic)").format(
                trigger=shown("trigger", o.trigger), source=shown("state", o.source),
                dest=shown("state", o.dest)) for o in follow_ups)
            + _new_deadline([advanced[0]]))
    else:
        line = ngettext("{trigger}: {count} item advanced", "{trigger}: {count} items advanced",
                        len(advanced)).format(trigger=shown("trigger", trigger), count=len(advanced))
        then = dict.fromkeys(shown("trigger", o.trigger) for a in advanced for o in a.outcomes[1:])
        if then:
            line += _("; then automatically: {triggers}").format(triggers=", ".join(then))
        click.echo(line + _new_deadline(advanced))


def _new_deadline(advanced: list[Advanced]) -> str:
    """'; new deadline D' when the moves set one (from D1 to D2 when the items differ)."""
    from campaigns.provisional import mark

    marked = {a.new_deadline: a.provisional for a in advanced if a.new_deadline}
    dates = sorted(marked)
    if not dates:
        return ""

    def text(d: dt.date) -> str:
        return d.isoformat() + (mark() if marked[d] else "")

    if len(dates) == 1:
        return _("; new deadline {deadline}").format(deadline=text(dates[0]))
    return _("; new deadlines {first} to {last}").format(first=text(dates[0]), last=text(dates[-1]))


def _moved(advanced: Advanced) -> dict[str, Any]:
    """One item's move for --json, with the steps that followed by themselves."""
    def step(o: Outcome) -> dict[str, Any]:
        return {"trigger": o.trigger, "machine": o.machine, "from": o.source, "to": o.dest}
    own, *follow_ups = advanced.outcomes
    out = {"code": advanced.code, **step(own),
           "follow_ups": [{**step(o), "automatic": True} for o in follow_ups],
           "new_deadline": advanced.new_deadline.isoformat() if advanced.new_deadline else None}
    if advanced.new_deadline:
        out["new_deadline_provisional"] = advanced.provisional
    return out


@item.command("edit")
@click.argument("code")
@click.option("--title")
@click.option("--description")
@click.option("--unit", help="Refused: an item moves with 'rectify item move'.")
@click.option("--category")
@click.option("--source")
@click.option("--leader", metavar="PERSON")
@click.option("--person", metavar="PERSON")
@click.option("--department")
@click.option("--measures")
@click.option("--target")
@click.option("--typical/--not-typical", default=None, help="Flag as a typical case (典型案例).")
@click.option("--note", help="Why the correction was made.")
@ACTOR
@common
def edit(code: str, note: str | None, actor: str | None, db: str | None, as_of: str | None,
         **fields: Any) -> None:
    """Correct item CODE's facts; the change is recorded as an event."""
    from campaigns.items import edit as edit_item

    changes = {k: v for k, v in fields.items() if v is not None}
    with database(db).write() as conn:
        result = edit_item(_scope(conn, None, code, actor, as_of), code, changes, note)
    click.echo(_("{code}: changed {fields}").format(code=code, fields=", ".join(result["changed"])))


@item.command("move")
@click.argument("code")
@click.option("--to", "to", required=True, metavar="UNIT", help="The unit that takes the item over.")
@click.option("--note", help="Why it moves (required).")
@ACTOR
@common
def move(code: str, to: str, note: str | None, actor: str | None, db: str | None,
         as_of: str | None) -> None:
    """Hand item CODE to another unit (the campaign's office; recorded as its own event)."""
    from campaigns.items import move as move_item

    with database(db).write() as conn:
        result = move_item(_scope(conn, None, code, actor, as_of), code, to, note)
    click.echo(_("{code}: moved from {old} to {new}").format(
        code=code, old=result["from"], new=result["to"]))


@item.command("merge")
@click.argument("code")
@click.option("--into", required=True, metavar="CODE", help="The item it duplicates.")
@click.option("--note")
@ACTOR
@common
def merge(code: str, into: str, note: str | None, actor: str | None, db: str | None,
          as_of: str | None) -> None:
    """Merge duplicate report CODE into another item."""
    from campaigns.items import merge as merge_items

    with database(db).write() as conn:
        merge_items(_scope(conn, None, code, actor, as_of), code, into, note)
    click.echo(_("{code}: merged into {into}").format(code=code, into=into))


def _codes_in(path: str) -> list[str]:
    """The item codes of a --from-file, read before any transaction opens; a line that is
    not a code is named by its number, never shown (the file may be anything)."""
    from campaigns.plugin import looks_like_code
    from engine.core.errors import InvalidInput
    from engine.core.files import regular_file

    if regular_file(path, "--from-file") > 10 * 1024 * 1024:
        raise InvalidInput(_("--from-file {path} is larger than 10 MB").format(
            path=path), _("split the list"))
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("--from-file {path} is not UTF-8 text").format(path=path),
                           _("give a text file with one item code a line")) from None
    codes: list[str] = []
    bad: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.strip()
        if looks_like_code(code):
            codes.append(code)
        elif code:
            bad.append(str(number))
    if bad:
        more = _(" and {count} more").format(count=len(bad) - 10) if len(bad) > 10 else ""
        raise InvalidInput(_("--from-file {path}: line(s) {names}{more} hold no item code").format(
            path=path, names=', '.join(bad[:10]), more=more), _("one code a line, e.g. WGBW-2015-0042"))
    return codes


@item.command("triggers")
@click.argument("code")
@ACTOR
@output_options
@common
def triggers(code: str, actor: str | None, fmt: str, db: str | None, as_of: str | None) -> None:
    """Which triggers item CODE can take now and, for refused ones, why.

    --as-of is the day they would fire on: today or later, as for any change.
    """
    from campaigns.queries import possible_triggers
    from campaigns.runs import require_forward

    with database(db).read() as conn:
        scope = _scope(conn, None, code, actor, as_of)
        require_forward(scope.run, scope.as_of, dry_run=True)  # a view: nothing is written
        rows = possible_triggers(scope, code)
        words = _words(scope.run.definition)
    # a table says "automatic, when ..." under why_not; --json and --csv also give it apart
    emit(rows if fmt != "table" else wording.rows(rows, words), fmt,
         TRIGGER_COLUMNS if fmt == "table" else None)


@item.command("undo")
@click.argument("code")
@click.option("--note", required=True, help="Why the change is undone (kept with the undo).")
@ACTOR
@common
def undo(code: str, note: str, actor: str | None, db: str | None, as_of: str | None) -> None:
    """Undo the latest change on item CODE by a compensating event (roles that may override).

    The change is every move its command made on the item and its rectification (verify and
    the close it fired; the clock's catch-up it wrote first); when nothing but its recording
    stands, the item is withdrawn (retired: counted nowhere, its code not reused).  Refused if
    a later change on the item still stands.  Without --as-of the undo is dated the campaign's
    latest change still standing once this one is undone.
    """
    from campaigns.dates import parse_date
    from campaigns.undo import undo_item

    with database(db).write() as conn:
        scope = _scope(conn, None, code, actor, as_of)
        done = undo_item(scope, code, note, parse_date(as_of, "--as-of") if as_of else None)
    click.echo(_undone_message(code, done))


def _undone_message(subject: str, done: Any) -> str:
    lines = [_("{subject}: undid {what} ({events} event(s); {moves} compensating move(s), dated "
               "{date})").format(subject=subject, what=localize(done.what), events=done.events,
                                 moves=done.moves, date=done.as_of)]
    if done.notices:
        lines.append(_("{count} notice(s) withdrawn (作废)").format(count=done.notices))
    if done.withdrawn:
        lines.append(_("documents withdrawn (作废, numbers not reused): {numbers}").format(
            numbers=", ".join(done.withdrawn)))
    if done.retired:
        shown = ", ".join(done.retired[:20]) + (" ..." if len(done.retired) > 20 else "")
        lines.append(_("{count} item(s) withdrawn, counted nowhere from {date} (codes not reused): "
                       "{codes}").format(count=len(done.retired), date=done.as_of, codes=shown))
    return "\n".join(lines)
