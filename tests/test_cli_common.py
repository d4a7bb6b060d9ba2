"""What the CLI tests share (no tests here): a seeded county, and a runner bound to its database.

The seed is built once per session through the CLI itself and copied (SQLite backup API, so
the WAL is included) into each test's own file.
"""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner, Result

from campaigns.cli import cli as rectify

ROOT = Path(__file__).resolve().parent.parent
WGBW = ROOT / "definitions" / "wgbw-2015.yaml"
CAMPAIGN = "wgbw-2015"
START = "2015-07-01"

# A plain, English environment whatever the developer's shell says.
ENV: dict[str, str | None] = {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None,
                              "LANG": "C.UTF-8", "RECTIFY_DB": None, "RECTIFY_ACTOR": None}

# code, title, parent, kind: two offices are both called 办公室
UNITS = [
    ("county", "某县", None, "county"),
    ("czj", "县财政局", "county", "department"),
    ("czj-bgs", "办公室", "czj", "office"),
    ("jyj", "县教育局", "county", "department"),
    ("jyj-bgs", "办公室", "jyj", "office"),
    ("dcs", "县“两办”督查室", "county", "office"),
    ("jw", "县纪委", "county", "department"),
    ("zzb", "县委组织部", "county", "department"),
]
# key, name, unit, roles: two people are both called 王伟
PEOPLE = [
    ("sup", "王伟", "dcs", ["supervision-office"]),
    ("jw-zhao", "赵纪检", "jw", ["discipline-inspection"]),
    ("lead", "周部长", "zzb", ["lead-office"]),
    ("head", "李局长", "czj", ["unit-head"]),
    ("clerk", "王伟", "czj-bgs", ["unit-head"]),
    ("edu", "孙局长", "jyj", ["unit-head"]),
    ("sup-czj", "钱督查", "czj-bgs", ["supervision-office"]),  # supervises, but sits in the unit
    ("nobody", "吴某", "county", []),
]


@dataclass
class Cli:
    """``rectify`` against one SQLite file, in English unless told otherwise."""

    db: Path

    def invoke(self, *args: str, env: dict[str, str | None] | None = None, db: bool = True,
               input: str | None = None) -> Result:
        argv = [*args, "--db", str(self.db)] if db else list(args)
        return CliRunner().invoke(rectify, argv, env={**ENV, **(env or {})}, input=input,
                                  catch_exceptions=False, prog_name="rectify")

    def ok(self, *args: str, **kw: Any) -> str:
        """Run a command that must succeed; its standard output."""
        result = self.invoke(*args, **kw)
        assert result.exit_code == 0, f"rectify {' '.join(args)} → {result.exit_code}\n{result.output}"
        assert not result.stderr, result.stderr
        return result.stdout

    def fails(self, exit_code: int, *args: str, **kw: Any) -> str:
        """Run a command that must fail with ``exit_code``, cleanly; its error output."""
        result = self.invoke(*args, **kw)
        assert result.exit_code == exit_code, (
            f"rectify {' '.join(args)} → {result.exit_code}, wanted {exit_code}\n{result.output}")
        assert "Traceback" not in result.output
        assert not result.stdout, f"a failed command printed to stdout: {result.stdout}"
        if exit_code != 2:  # usage errors are click's own format
            assert result.stderr.startswith("Error: "), result.stderr
        return result.stderr

    def add_item(self, title: str = "群众办事多次往返", unit: str = "czj-bgs",
                 as_of: str = "2015-08-03", actor: str = "sup", *extra: str) -> str:
        return self.ok("item", "add", CAMPAIGN, "--title", title, "--unit", unit, "--category",
                       "passive-attitude", "--source", "public-report", "--actor", actor,
                       "--as-of", as_of, *extra).strip()

    def confirmed(self, as_of: str = "2015-08-03", **kw: Any) -> str:
        code = self.add_item(as_of=as_of, **kw)
        self.ok("item", "advance", "confirm", code, "--actor", "sup", "--as-of", as_of)
        return code

    def planned(self, as_of: str = "2015-08-03", **kw: Any) -> str:
        code = self.confirmed(as_of=as_of, **kw)
        self.ok("item", "rectify", code, "--measures", "建立首问负责制", "--deadline",
                max("2015-09-30", as_of), "--actor", "head", "--as-of", as_of)
        return code

    def submitted(self, as_of: str = "2015-08-03", **kw: Any) -> str:
        code = self.planned(as_of=as_of, **kw)
        self.ok("item", "advance", "submit", code, "--actor", "head", "--as-of", as_of)
        return code

    def closed(self, as_of: str = "2015-08-03", **kw: Any) -> str:
        code = self.submitted(as_of=as_of, **kw)
        self.ok("item", "advance", "verify", code, "--actor", "sup", "--as-of", as_of)
        return code


def dump(db: Path) -> str:
    """Every row of the database as SQL, to show that a failed command changed nothing."""
    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def scalar(db: Path, sql: str, *params: Any) -> Any:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def copy_db(src: Path, dst: Path) -> None:
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


_templates: dict[tuple[Path, bool], Path] = {}


def populate(c: Cli, people: Any = None) -> Cli:
    """A new database of ``c``'s with its administrator, the units and the people (``PEOPLE``
    unless given): the site every seeded test starts from, on SQLite or PostgreSQL."""
    c.ok("init", "--admin", "admin")
    for code, title, parent, kind in UNITS:
        c.ok("unit", "add", "--actor", "admin", code, "--title", title, "--kind", kind,
             *(["--parent", parent] if parent else []))
    for key, name, unit, roles in PEOPLE if people is None else people:
        c.ok("person", "add", "--actor", "admin", key, "--name", name, "--unit", unit,
             *[arg for r in roles for arg in ("--role", r)])
    return c


def template(factory: pytest.TempPathFactory, campaign: bool = True) -> Path:
    """The seeded database of this session: units, people and (optionally) the campaign."""
    key = (factory.getbasetemp(), campaign)
    if key not in _templates:
        path = factory.mktemp("seed") / "seed.db"
        c = populate(Cli(path))
        if campaign:
            c.ok("campaign", "start", str(WGBW), "--start", START, "--actor", "lead")
        _templates[key] = path
    return _templates[key]


def seeded(tmp_path: Path, factory: pytest.TempPathFactory, campaign: bool = True) -> Cli:
    """A fresh copy of the seed for one test."""
    db = tmp_path / "rectify.db"
    copy_db(template(factory, campaign), db)
    return Cli(db)


def site(cli: Cli, folder: Path, units: str, people: str, day: str) -> None:
    """A new database with its administrator, then a unit tree and people from CSV text, as an
    office sets up before its first campaign."""
    (folder / "units.csv").write_text(units, encoding="utf-8")
    (folder / "people.csv").write_text(people, encoding="utf-8")
    cli.ok("init", "--admin", "admin")
    cli.ok("unit", "import", "--actor", "admin", str(folder / "units.csv"), "--as-of", day)
    cli.ok("person", "import", "--actor", "admin", str(folder / "people.csv"), "--as-of", day)


def example_replay(folder: str, script: str = "replay.py") -> ModuleType:
    """A dated replay script of examples/FOLDER as a module (examples/ is not a package)."""
    name = "replay_" + folder.replace("-", "_") + (
        "" if script == "replay.py" else "_" + script.removesuffix(".py"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / folder / script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
