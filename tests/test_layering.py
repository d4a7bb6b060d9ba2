"""engine/ is a generic state-machine engine: it never imports campaigns, never speaks its language.

Vocabulary rule: the product's name ``rectify`` may appear (entry-point groups such as
``rectify.guards``, ``RECTIFY_DB``, help that names a command); the domain's words may not.
Forbidden, case-insensitively: any word starting ``rectif`` other than ``rectify`` itself
(``rectification``, ``rectified``, ``rectifying``...), ``campaign``, ``problem item``, and the
Chinese terms 整改 (rectify), 整治 (rectification campaign), 专项 (special), 销号 (close an
item), 督办 (supervise a case) and 问题 (problem).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE_FILES = sorted((ROOT / "engine").rglob("*.py"))
FORBIDDEN = re.compile(r"rectif(?!y(?![a-z]))|campaign|problem[\s_-]*items?\b|整改|整治|专项|销号|督办|问题",
                       re.IGNORECASE)
DOMAIN_PACKAGES = ("campaigns",)


def test_engine_has_modules() -> None:
    names = {p.name for p in ENGINE_FILES}
    assert {"machines.py", "loader.py", "yamlsource.py", "validate.py", "schema.py"} <= names


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                found.append((node.lineno, node.module))
            elif node.level > 1:  # from .. import x: may climb out of engine/
                found.append((node.lineno, "." * node.level + (node.module or "")))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) \
                in ("import_module", "__import__") and node.args and \
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.append((node.lineno, node.args[0].value))
    return found


@pytest.mark.parametrize("path", ENGINE_FILES, ids=[str(p.relative_to(ROOT)) for p in ENGINE_FILES])
def test_engine_never_imports_campaigns(path: str) -> None:
    depth = len(Path(path).relative_to(ROOT / "engine").parts)  # 1: engine/x.py, 2: engine/core/x.py
    bad = [(line, name) for line, name in _imports(Path(path))
           if name.split(".")[0] in DOMAIN_PACKAGES
           or (name.startswith("..") and len(name) - len(name.lstrip(".")) > depth)]
    assert not bad, f"{path} imports the domain: {bad}"


CORE_FILES = sorted((ROOT / "engine" / "core").rglob("*.py"))
IO_MODULES = ("sqlalchemy", "graphviz", "engine.io", "subprocess", "psycopg")


@pytest.mark.parametrize("path", CORE_FILES, ids=[str(p.relative_to(ROOT)) for p in CORE_FILES])
def test_the_core_does_no_io(path: Path) -> None:
    """engine/core holds definitions, validation, machines, the planner and calendar arithmetic:
    it may not reach the store, the clock's SQL, Graphviz or other programs."""
    bad = [(line, name) for line, name in _imports(Path(path))
           if name.startswith(IO_MODULES) or name.startswith("..io")]
    assert not bad, f"{path} imports I/O: {bad}"


def test_the_import_scan_sees_every_kind_of_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import campaigns\nimport campaigns.plugin as p\nfrom campaigns import guards\n"
                     "def f():\n    from campaigns.cli import cli\n    import importlib\n"
                     "    importlib.import_module('campaigns.lifecycle')\nfrom .. import campaigns\n",
                     encoding="utf-8")
    names = [n for _, n in _imports(probe)]
    assert names.count("campaigns") == 2  # 'import campaigns' and 'from campaigns import guards'
    assert {"campaigns.plugin", "campaigns.cli", "campaigns.lifecycle", "..", "importlib"} <= set(names)


@pytest.mark.parametrize("path", ENGINE_FILES, ids=[str(p.relative_to(ROOT)) for p in ENGINE_FILES])
def test_engine_speaks_no_domain_vocabulary(path: Path) -> None:
    hits = [f"{path.name}:{n}: {line.strip()}"
            for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1)
            if FORBIDDEN.search(line)]
    assert not hits, "domain words in the engine:\n" + "\n".join(hits)


@pytest.mark.parametrize("text, forbidden", [
    ("rectify.guards", False), ("RECTIFY_DB", False), ("run 'rectify schema'", False),
    ("rectify", False), ("Rectify definition", False),
    ("rectification", True), ("Rectified", True), ("rectifying", True), ("rectifies", True),
    ("campaign", True), ("Campaigns", True), ("problem item", True), ("problem_items", True),
    ("整改", True), ("销号", True), ("item", False), ("problem", False),
])
def test_the_vocabulary_rule(text: str, forbidden: bool) -> None:
    assert bool(FORBIDDEN.search(text)) is forbidden


HEAVY = ("campaigns", "sqlalchemy", "graphviz")


@pytest.mark.parametrize("module", ["engine.core.machines", "engine.core.loader", "engine"])
def test_importing_the_engine_pulls_in_no_domain_and_no_heavy_modules(module: str) -> None:
    code = (f"import sys, json; import {module}; "
            "print(json.dumps(sorted(m for m in sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout)
    bad = [m for m in loaded if m.split(".")[0] in HEAVY]
    assert not bad, f"import {module} loaded {bad}"


def test_loading_and_running_a_definition_needs_no_store_or_drawing() -> None:
    """Even using the engine (load, build machines, fire) leaves SQLAlchemy and Graphviz alone."""
    definition = sorted((ROOT / "definitions").glob("*.yaml"))[0]
    code = f"""
import sys, json, datetime
from types import SimpleNamespace
from engine.core.loader import load
from engine.core.machines import Actor, Context, Runtime
d = load({str(definition)!r})
rt = Runtime(d)
for name, spec in d.machines.items():
    rt.machine(name)
print(json.dumps(sorted(m for m in sys.modules)))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout)
    assert not [m for m in loaded if m.split(".")[0] in ("sqlalchemy", "graphviz")]
    # the campaigns plugin is loaded through its entry point, as any plugin would be
    assert "campaigns.plugin" in loaded


@pytest.mark.parametrize("path", sorted((ROOT / "campaigns" / "migrations" / "versions").glob("0*.py")),
                         ids=lambda p: p.stem)
def test_migrations_keep_to_their_own_revision(path: Path) -> None:
    """A migration runs against the schema of its own revision, so it may not use the
    application's tables or writer (they follow the newest schema): data steps that need them
    run after the upgrade (campaigns.db). The chain's pure, versioned digest is the exception."""
    allowed = {"engine.core.chain"}
    found = [(line, name) for line, name in _imports(path)
             if name.split(".")[0] in ("campaigns", "engine") and name not in allowed]
    assert not found, f"{path.name} imports {found}"
