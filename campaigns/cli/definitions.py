"""``rectify validate`` and ``rectify schema``."""

from __future__ import annotations

import json
from typing import Any

import click

from campaigns.i18n import _
from engine.core.errors import ExitCode


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print problems as JSON.")
def validate(files: tuple[str, ...], as_json: bool) -> None:
    """Check definition FILES and report every problem, each with file:line:column."""
    from engine.core.errors import DefinitionInvalid
    from engine.core.loader import load

    report: list[dict[str, Any]] = []
    failed = False
    for path in files:
        try:
            definition = load(path)
        except DefinitionInvalid as exc:
            failed = True
            report.append({"file": path, "ok": False,
                           "problems": [p.as_dict() for p in exc.problems]})
            if not as_json:
                from campaigns.i18n import localize

                click.echo(exc.format(localize), err=True)
            continue
        from campaigns.assessment_spec import veto_warnings
        from campaigns.calendar_warnings import window_warnings

        warnings = window_warnings(definition, None) + veto_warnings(definition.sections)
        report.append({"file": path, "ok": True, "key": definition.key,
                       "title": definition.title, "problems": [], "warnings": warnings,
                       "deprecated": [p.as_dict() for p in definition.notes]})
        if not as_json:
            from .summary import describe

            click.echo(describe(path, definition))
            for line in warnings:
                click.echo(_("warning: {file}: {warning}").format(file=path, warning=line), err=True)
            for note in definition.notes:
                click.echo(_("{location}: warning[{code}]: {message}\n  hint: {hint}").format(
                    location=note.location, code=note.code, message=note.message,
                    hint=(note.hint or "").replace("\n", "\n    ")), err=True)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    if failed:
        total = sum(len(r["problems"]) for r in report)
        bad = sum(1 for r in report if not r["ok"])
        if not as_json:
            click.echo(_("{total} problem(s) in {bad} of {count} file(s)").format(
                total=total, bad=bad, count=len(files)), err=True)
        raise SystemExit(int(ExitCode.INVALID))


@click.command()
def schema() -> None:
    """Print the JSON Schema of the definition format (for editors' YAML language server)."""
    from engine.core.registry import default_registry
    from engine.core.schema import build_schema

    click.echo(json.dumps(build_schema(default_registry()), ensure_ascii=False, indent=2))
