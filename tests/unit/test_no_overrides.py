"""The frameworks are used as they are: no private names of other packages, no subclass of
their classes to change their behaviour, none of the process-wide tricks taken out (issue 26).
A speed-up worth keeping goes through a public extension point instead."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "quizapp"

# Names that stood for overrides of Flask, Jinja, Flask-Login, Flask-WTF or the interpreter.
FORBIDDEN_TEXT = (
    "_cv_request",
    "_cv_app",
    "setswitchinterval",
    "_load_template",
    "ensure_sync",
    "_login_user",
    "_default_template_ctx_processor",
    "new_context",
    "_get_current_object",
    "read_once",
)
# Framework classes the app must not subclass to change how they work.
FRAMEWORK_BASES = {"Flask", "Environment", "Template", "LoginManager", "Limiter", "CSRFProtect"}


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path, path.read_text(encoding="utf-8")


def test_no_private_imports_from_other_packages():
    found = []
    for path, source in _sources():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.startswith("quizapp") or node.module == "__future__":
                    continue
                private = node.module.split(".")[-1].startswith("_") or any(
                    a.name.startswith("_") for a in node.names
                )
                if private:
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.module}")
    assert not found, found


def test_no_framework_overrides():
    found = []
    for path, source in _sources():
        found += [f"{path.relative_to(PACKAGE)}: {w}" for w in FORBIDDEN_TEXT if w in source]
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                bases = {
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
                }
                if bases & FRAMEWORK_BASES:
                    found.append(f"{path.relative_to(PACKAGE)}: class {node.name}")
    assert not found, found


def test_the_check_finds_what_it_looks_for(tmp_path):
    """The scan is not blind: the same parse finds a private import in a sample."""
    tree = ast.parse("from flask.globals import _cv_request\nclass App(Flask): pass\n")
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    assert imports[0].names[0].name.startswith("_") and classes[0].bases[0].id in FRAMEWORK_BASES
