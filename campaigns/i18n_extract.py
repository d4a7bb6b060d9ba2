"""Find every message of the source for the catalogue: a Babel extraction method.

Babel's own Python extractor sees only calls such as ``_("...")``.  The command line also shows
click's help texts (``help="..."`` of options and commands, and the docstrings of the functions
that are commands), and the engine marks its messages as ``Text("...")`` (it knows no
catalogue).  This method finds all of them; it is named in ``babel.cfg``::

    pybabel extract -F babel.cfg -o rectify.pot engine campaigns

and ``tests/test_i18n.py`` runs it to check that the zh_CN catalogue translates everything.
Babel is needed only to run it, not to import this module.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from typing import IO, Any

# call name → what it marks: 1 argument, singular and plural, or context and message
SINGLE = frozenset({"_", "N_", "Text", "declare"})
PLURAL = frozenset({"ngettext"})
CONTEXT = frozenset({"P_", "pgettext"})
HELP_KEYWORDS = frozenset({"help", "short_help"})
COMMAND_DECORATORS = frozenset({"command", "group"})

Found = tuple[int, str, Any, list[str]]


def extract(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Iterator[Found]:
    """Babel's signature: (line, function, message(s), comments) for each message found.

    The function names are Babel's defaults (``_``, ``ngettext``, ``pgettext``), so the
    default keywords pick the messages out.
    """
    tree = ast.parse(fileobj.read())
    yield from messages(tree)


def messages(tree: ast.AST) -> Iterator[Found]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield from _call(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_command(node):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                text = inspect.cleandoc(doc).partition("\f")[0]
                yield node.lineno, "_", text, []


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _call(node: ast.Call) -> Iterator[Found]:
    name = _name(node.func)
    args = [_text(a) for a in node.args]
    if name in SINGLE and args and args[0]:
        yield node.lineno, "_", args[0], []
    elif name in PLURAL and len(args) >= 2 and args[0] and args[1]:
        yield node.lineno, "ngettext", (args[0], args[1]), []
    elif name in CONTEXT and len(args) >= 2 and args[0] and args[1]:
        yield node.lineno, "pgettext", (args[0], args[1]), []
    for keyword in node.keywords:
        if keyword.arg in HELP_KEYWORDS:
            text = _text(keyword.value)
            if text:
                yield node.lineno, "_", inspect.cleandoc(text), []


def _is_command(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Decorated ``@x.command(...)``/``@x.group(...)``: click takes its docstring as help."""
    for decorator in node.decorator_list:
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        if _name(func) in COMMAND_DECORATORS:
            return True
    return False
