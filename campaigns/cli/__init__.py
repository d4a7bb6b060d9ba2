"""The ``rectify`` command line: a thin edge over the library.

Subcommand modules load only when their command runs, so ``rectify --help`` stays fast;
library errors become one-line messages with the exit code of docs/cli.md, never tracebacks.
"""

from __future__ import annotations

import functools
import gc
import importlib
import inspect
from typing import Any

import click

from campaigns.i18n import N_, _
from engine.core.errors import EngineError, ExitCode

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module, help)
    "validate": ("campaigns.cli.definitions:validate", N_("Check definition files; report every problem.")),
    "schema": ("campaigns.cli.definitions:schema", N_("Print the JSON Schema of the definition format.")),
    "init": ("campaigns.cli.admin:init", N_("Create or upgrade the database.")),
    "campaign": ("campaigns.cli.campaign:campaign", N_("Start, list, inspect and advance campaigns.")),
    "unit": ("campaigns.cli.units:unit", N_("Units: the tree of organisations.")),
    "person": ("campaigns.cli.units:person", N_("People: officials with keys, units and roles.")),
    "item": ("campaigns.cli.items:item", N_("Problem items and their rectifications.")),
    "ledger": ("campaigns.cli.ledger:ledger", N_("Export the rectification ledger (台账) as XLSX or CSV.")),
    "report": ("campaigns.cli.ledger:report", N_("Write the monthly report (月报) as Markdown or HTML.")),
    "board": ("campaigns.cli.ledger:board", N_("Write the public board (公示) as HTML.")),
    "dashboard": ("campaigns.cli.ledger:dashboard", N_("Write a self-contained HTML dashboard.")),
    "diagram": ("campaigns.cli.diagram:diagram", N_("Draw stages, lifecycles, escalation or units.")),
    "inspection": ("campaigns.cli.inspections:inspection",
                   N_("Inspections (督查检查), their findings, the yearly plan and the visit log.")),
    "filing": ("campaigns.cli.filings:filing",
               N_("Filings (报送事项): submit, accept or return a period's report; who filed what.")),
    "tick": ("campaigns.cli.clock:tick", N_("Apply the clock: open stages, fire timers, escalate.")),
    "notices": ("campaigns.cli.clock:notices", N_("List escalation notices; print and issue 督办通知书.")),
    "audit": ("campaigns.cli.audit:audit",
              N_("Verify the hash-chained event logs; print a head; write month-end snapshots.")),
    "circular": ("campaigns.cli.circulars:circular",
                 N_("Write the weekly circular (周通报), monthly bulletin (月简报) or month-end sorting.")),
    "document": ("campaigns.cli.documents:document",
                 N_("Numbered documents issued to units, and their signing (签收).")),
    "notify": ("campaigns.cli.notify:notify",
               N_("Notifications: send e-mail, webhook and SMS messages; see what is pending.")),
    "calendar": ("campaigns.cli.calendar:calendar",
                 N_("The site calendar: import holiday notices, show a year's days off.")),
    "accountability": ("campaigns.cli.registers:accountability",
                       N_("The accountability register (问责): record, list and withdraw cases.")),
    "mechanism": ("campaigns.cli.registers:mechanism",
                  N_("Long-term mechanisms (长效机制): record, advance and list them.")),
    "commitment": ("campaigns.cli.registers:commitment",
                   N_("Public commitments (公开承诺): record, publish, track, review, board.")),
    "assess": ("campaigns.cli.assess:assess",
               N_("The assessment (考核): enter and import scores, show and rank a period.")),
    "serve": ("campaigns.cli.serve:serve", N_("Serve the web pages and the JSON API (the web door).")),
    "schedule": ("campaigns.cli.serve:schedule",
                 N_("When rectify serve ticks and sends notifications; what its runs did.")),
    "db": ("campaigns.cli.db:db_group",
           N_("The database itself: encryption keys, consistent backups, retention of personal data.")),
}


class LazyGroup(click.Group):
    """A group whose commands are imported only when invoked (or when help lists them)."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attr = self.lazy[name][0].split(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            _localize_help(command)
            return command
        return super().get_command(ctx, name)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        if parent is None:  # each run starts in the environment's language; --lang may change it
            from campaigns import i18n

            i18n.use()
            _require_text(args)
            args = _lang_first(args)
        return super().make_context(info_name, args, parent, **extra)

    # The root's help is translated when shown (--lang is eager, so it is chosen by then).
    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)),
                              _("Usage: "))

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.help:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(_(inspect.cleandoc(self.help)))

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(rv[0], _(rv[1]) if rv[1] else rv[1]) for p in self.get_params(ctx)
                if (rv := p.get_help_record(ctx)) is not None]
        if rows:
            with formatter.section(_("Options")):
                formatter.write_dl(rows)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _(self.lazy[name][1])) for name in sorted(self.lazy)]
        if rows:
            with formatter.section(_("Commands")):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        from ._retry import retry_command

        try:
            return retry_command(ctx, lambda: super(LazyGroup, self).invoke(ctx))
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise
        except EngineError as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            from campaigns.i18n import error_text

            raise user_error(error_text(exc), int(exc.exit_code)) from None
        except OSError as exc:  # an output file in a folder that is not there, a full disk
            if (ctx.obj or {}).get("debug") or exc.filename is None:
                raise
            name = str(exc.filename).removesuffix(".part")  # written beside, then renamed
            raise user_error(_("cannot write or read {name}: {reason}").format(
                name=name, reason=exc.strerror) + "\n" + _("  hint: {hint}").format(
                hint=_("check the folder exists and may be written")),
                int(ExitCode.ENVIRONMENT)) from None
        except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
            if (ctx.obj or {}).get("debug"):
                raise
            # a database error's text holds its SQL and parameters: only the driver's line
            shown = str(getattr(exc, "orig", None) or exc).strip().split("\n")[0]
            raise user_error(_("unexpected {kind}: {text}\n  hint: run again with "
                               "--debug and report the traceback").format(kind=type(exc).__name__,
                                                                          text=shown),
                             int(ExitCode.INVALID)) from None

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            import difflib

            close = difflib.get_close_matches(args[0], self.list_commands(ctx), n=1) if args else []
            if close and "No such command" in str(exc):
                raise click.UsageError(_("{message} Did you mean '{name}'?").format(
                    message=exc.message, name=close[0]), exc.ctx) from None
            raise


def _require_text(args: list[str]) -> None:
    """Arguments are text: bytes that are not UTF-8 reach Python as lone surrogates, which
    no database, file name or message can hold; a NUL character (only a program, never a
    shell, can pass one) ends a file name early in the operating system, which refuses it."""
    for i, arg in enumerate(args, start=1):
        if any("\udc80" <= ch <= "\udcff" for ch in arg):
            raise click.UsageError(_("argument {n} is not valid UTF-8 text; check the "
                                     "terminal's encoding (LANG=zh_CN.UTF-8)").format(n=i))
        if "\x00" in arg:
            raise click.UsageError(_("argument {n} holds a NUL character, which no name, "
                                     "file name or value may hold").format(n=i))


def _lang_first(args: list[str]) -> list[str]:
    """``--lang`` may stand anywhere on the line (``rectify item list --lang zh``): it is moved
    to the front, where the root command reads it before anything is parsed or shown."""
    found: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":  # what follows is data
            rest.extend(args[i:])
            break
        if arg == "--lang" and i + 1 < len(args):
            found = ["--lang", args[i + 1]]
            i += 2
            continue
        if arg.startswith("--lang="):
            found = [arg]
            i += 1
            continue
        rest.append(arg)
        i += 1
    return [*found, *rest]


_SOURCE_HELP: dict[int, tuple[str | None, str | None]] = {}


def _localize_help(command: click.Command) -> None:
    """Put the help of ``command``, its options and its subcommands in the chosen language.

    click keeps help text on the command objects, made once per process; the English is kept
    aside so that each run (which may choose another language) translates from the source.
    """
    import inspect as _inspect

    def shown(text: str | None) -> str | None:
        if not text:
            return text
        source = _inspect.cleandoc(text)
        head, sep, tail = source.partition("\f")
        found = _(head)
        return found + sep + tail if found != head else text

    for thing in [command, *command.params]:
        key = id(thing)
        if key not in _SOURCE_HELP:
            _SOURCE_HELP[key] = (getattr(thing, "help", None), getattr(thing, "short_help", None))
        help_text, short = _SOURCE_HELP[key]
        if isinstance(thing, (click.Command, click.Option)):
            thing.help = shown(help_text)
        if isinstance(thing, click.Command):
            thing.short_help = shown(short)
    made = getattr(command, "_help_option", None)  # click makes it once, in the language of then
    if isinstance(made, click.Option):
        made.help = _("Show this message and exit.")
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _localize_help(sub)


def _click_speaks_ours() -> None:
    """click's own words (Usage, Options, Missing argument …) through our catalogue."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    from campaigns.i18n import ngettext

    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser,
                   click.termui, click.types):
        module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]

    class Formatter(click.HelpFormatter):
        """'Usage: ' as one message, so a language can close it up ('用法：rectify …')."""

        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args, _("Usage: ") if prefix is None else prefix)

        def write_heading(self, heading: str) -> None:
            self.write(f"{'':>{self.current_indent}}" + _("{heading}:").format(heading=heading) + "\n")

    click.Context.formatter_class = Formatter


_click_speaks_ours()


def _choose_language(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from campaigns import i18n

    if value:
        try:
            i18n.use(value)
        except LookupError:
            raise click.BadParameter(_("no translation for '{lang}'; available: {langs}").format(
                lang=value, langs=", ".join(i18n.available()))) from None
    return value


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rectify", message="rectify %(version)s")
@click.option("--debug", is_flag=True, help="Show a traceback on errors (for bug reports).")
@click.option("--lang", metavar="LANG", is_eager=True, expose_value=False, callback=_choose_language,
              help="Language of messages, e.g. zh_CN or en [default: from LANGUAGE, LC_ALL, LANG].")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Rectify: run special-rectification campaigns (专项整治) as state machines."""
    ctx.ensure_object(dict)["debug"] = debug
    # every file a command creates (database, -wal, -shm, exports, notices) is its owner's
    # alone: they hold confidential values (docs/security.md#data-at-rest)
    import os

    before = os.umask(0o077)
    ctx.call_on_close(lambda: os.umask(before))


class UserError(click.ClickException):
    """A library error shown as ``Error: message`` with the exit code of its class."""

    def show(self, file: Any = None) -> None:
        click.echo(_("Error: {message}").format(message=self.format_message()),
                   file=file, err=file is None)


def user_error(message: str, exit_code: int) -> UserError:
    """A ``UserError`` that exits with ``exit_code``."""
    return _exiting(exit_code)(message)


@functools.cache
def _exiting(exit_code: int) -> type[UserError]:
    """click declares an exception's exit code on its class, so each code has a subclass."""

    class Exiting(UserError):
        pass

    Exiting.exit_code = exit_code
    return Exiting


def main(argv: list[str] | None = None) -> None:
    """Console entry point.

    The cyclic garbage collector is off while the command's modules load: imports create
    hundreds of thousands of long-lived objects that it would scan again and again (about a
    tenth of a short command's time). ``_common.database`` turns it back on before a command
    works on a database; the commands that never open one (validate, schema, a diagram of a
    definition file) read only size-limited files and end soon after their imports.
    """
    gc.disable()
    try:
        cli.main(args=argv, prog_name="rectify")
    except BrokenPipeError:  # output piped into `head` and closed: not an error worth a word
        import os
        import sys

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
