"""A site's own guard, installed as a package with an entry point, works without a fork.

The registry is built once per process from installed distributions, so these tests run
``rectify`` as separate processes with a small package on ``PYTHONPATH``: the same
``countyx`` example docs/definitions.md gives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli_common import ENV, WGBW, seeded

RECTIFY = str(Path(sys.executable).parent / "rectify")

GUARDS_PY = '''
from engine.core.machines import Context
from engine.core.plugins import GuardDef, Param


def note_min_length(ctx: Context, chars: int = 10) -> str | None:
    """The actor's reason is at least ``chars`` characters long."""
    text = (ctx.note or "").strip()
    if len(text) < chars:
        return f"the reason must be at least {chars} characters ({len(text)} given)"
    return None


GUARDS = [GuardDef("note_min_length", note_min_length, "the reason is long enough",
                   {"chars": Param(int, required=False, description="minimum length")},
                   title="说明不少于 {chars} 字")]
'''

OVERRIDE = """
machines:
  item:
    transitions:
      - trigger: dismiss
        guards: [note_required, {note_min_length: {chars: 20}}]
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder holding the installed package ``countyx`` and its distribution metadata."""
    pkg = tmp_path / "site" / "countyx"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "guards.py").write_text(GUARDS_PY)
    dist = tmp_path / "site" / "countyx-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: countyx\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text('[rectify.guards]\ncountyx = countyx.guards:GUARDS\n')
    return tmp_path / "site"


def run(*args: str, site: Path | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    env.update({k: v for k, v in ENV.items() if v is not None})
    env["PYTHONPATH"] = str(site) if site else ""
    return subprocess.run([RECTIFY, *args], capture_output=True, text=True, env=env, timeout=60)


def definition(tmp_path: Path) -> Path:
    path = tmp_path / "wgbw-site.yaml"
    text = WGBW.read_text(encoding="utf-8").replace("  key: wgbw-2015", "  key: wgbw-site", 1)
    path.write_text(text + OVERRIDE, encoding="utf-8")
    return path


def test_a_definition_naming_the_guard_is_valid_only_where_the_package_is_installed(
        tmp_path: Path, site: Path) -> None:
    path = definition(tmp_path)
    without = run("validate", str(path), site=None)
    assert without.returncode == 1
    assert "note_min_length" in without.stderr + without.stdout
    assert "Traceback" not in without.stderr
    with_site = run("validate", str(path), site=site)
    assert with_site.returncode == 0, with_site.stderr


def test_the_sites_guard_refuses_and_allows_a_real_trigger(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, site: Path) -> None:
    cli = seeded(tmp_path, tmp_path_factory, campaign=False)
    db = str(cli.db)
    path = definition(tmp_path)
    started = run("campaign", "start", str(path), "--start", "2015-07-01", "--actor", "lead",
                  "--db", db, site=site)
    assert started.returncode == 0, started.stderr
    added = run("item", "add", "wgbw-site", "--title", "窗口推诿", "--unit", "czj-bgs",
                "--category", "passive-attitude", "--source", "public-report", "--actor", "sup",
                "--as-of", "2015-08-03", "--db", db, site=site)
    assert added.returncode == 0, added.stderr
    code = added.stdout.strip()

    listed = run("item", "triggers", code, "--actor", "sup", "--json", "--as-of", "2015-08-04",
                 "--db", db, site=site)
    assert listed.returncode == 0, listed.stderr
    dismiss = next(r for r in json.loads(listed.stdout) if r["trigger"] == "dismiss")
    # the plugin's title, filled in; then the duties that hold whatever the definition lists
    assert dismiss["guards"] == ("需填写说明; 说明不少于 20 字; 整改单位以外的人员方可操作; "
                                 "责任领导、责任人不得自行验收; 申请销号人不得自行验收")

    short = run("item", "advance", "dismiss", code, "--actor", "sup", "--note", "不属实",
                "--as-of", "2015-08-04", "--db", db, site=site)
    assert short.returncode == 1
    assert "the reason must be at least 20 characters (3 given)" in short.stderr
    assert "Traceback" not in short.stderr

    reason = "经核查，该窗口当日已按首问负责制办理，群众反映情况与事实不符，予以了结。"
    long = run("item", "advance", "dismiss", code, "--actor", "sup", "--note", reason,
               "--as-of", "2015-08-04", "--db", db, site=site)
    assert long.returncode == 0, long.stderr
    assert "dismiss" in long.stdout
