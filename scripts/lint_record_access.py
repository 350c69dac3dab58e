#!/usr/bin/env python3
"""Fail when a view, form or API module loads an access-ruled record with `<Model>.objects`.

Records with access rules (an escalation and everything on it, evidence, the directory's people
and agencies) are loaded only through the selectors' access functions (`access_escalation`,
`escalations_visible_to`, `agencies_of`...), which are scoped to the person asking. A view that
writes `Escalation.objects.get(...)` skips that scope (docs/decisions/0009). This check reads the
source (ast, no Django needed) of every view, form and API module and names each such use.

Usage: scripts/lint_record_access.py [PATH ...]   (default: the escalate package)
Exit status 1 when anything is found.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULED = frozenset(
    {
        "Escalation",
        "ChronologyEntry",
        "Action",
        "Participant",
        "Panel",
        "StageRecord",
        "RaiseDraft",
        "DecisionDraft",
        "Evidence",
        "Person",
        "Agency",
        "EscalationContact",
    }
)
MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
HELPERS = frozenset({"get_object_or_404", "get_list_or_404"})
# API modules that are not request handlers: the API's own writes and reads live here.
API_LAYERS = frozenset({"services.py", "selectors.py", "models.py", "schemas.py", "auth.py"})
# View modules whose name does not say so.
ALSO_VIEWS = frozenset({"escalate/escalations/raising.py", "escalate/escalations/steps.py"})


def is_view_module(path: Path) -> bool:
    """Views, forms and API request handlers (never tests or migrations)."""
    relative = path.resolve().relative_to(ROOT).as_posix()
    parts = relative.split("/")
    if "tests" in parts or "migrations" in parts or path.suffix != ".py":
        return False
    name = path.name
    if relative in ALSO_VIEWS:
        return True
    if name.startswith(("views", "forms")) or name.endswith(("_views.py", "_forms.py")):
        return True
    return parts[:2] == ["escalate", "api"] and name not in API_LAYERS


def uses(path: Path) -> Iterator[tuple[int, str]]:
    """(line, what) for each `<RuledModel>.objects` or get_object_or_404 in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    # `Model.objects.none()` loads nothing (a form field's empty starting choices): allowed.
    empty = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "none"
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in MANAGERS
            and isinstance(node.value, ast.Name)
            and node.value.id in RULED
            and id(node) not in empty
        ):
            yield node.lineno, f"{node.value.id}.{node.attr}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in HELPERS
        ):
            yield node.lineno, f"{node.func.id}()"


def modules(arguments: list[str]) -> Iterator[Path]:
    for argument in arguments or [str(ROOT / "escalate")]:
        path = Path(argument).resolve()
        if path.is_dir():
            yield from (found for found in sorted(path.rglob("*.py")) if is_view_module(found))
        else:
            yield path  # named explicitly: checked whatever its name


def main(arguments: list[str]) -> int:
    found = [(path, line, what) for path in modules(arguments) for line, what in uses(path)]
    for path, line, what in found:
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"{shown}:{line}: {what} in a view, form or API module: load it through a selector")
    if found:
        print(f"{len(found)} direct load(s) of access-ruled records (docs/decisions/0009).")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
