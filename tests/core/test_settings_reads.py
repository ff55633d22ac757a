"""Every setting the code reads has one default, in settings/base.py, and is read when used, not at import."""

import ast
from pathlib import Path
from typing import TypeGuard

from django.conf import global_settings

import podcastcme.settings.base as base_settings

ROOT = Path(__file__).resolve().parents[2]
PROJECT = [
    "podcastcme",
    "accounts",
    "audit",
    "episodes",
    "credits",
    "discussion",
    "billing",
    "fediverse",
    "bench",
]
# Model fields name the user model while their module is imported: Django's swappable-model contract.
READ_AT_IMPORT_BY_DESIGN = {"AUTH_USER_MODEL"}


def _modules():
    for package in PROJECT:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or parts[:2] == ("podcastcme", "settings"):
                continue
            yield path.relative_to(ROOT), ast.parse(path.read_text(encoding="utf-8"))
    for name in ("manage.py", "gunicorn.conf.py"):
        yield Path(name), ast.parse((ROOT / name).read_text(encoding="utf-8"))


def _is_settings(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "settings"


def _getattr_of_settings(node: ast.AST) -> TypeGuard[ast.Call]:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"getattr", "hasattr"}
        and len(node.args) >= 2
        and _is_settings(node.args[0])
    )


def _setting_name(node: ast.AST) -> str | None:
    """The setting a node reads: ``settings.NAME`` or ``getattr(settings, "NAME", ...)``."""
    if isinstance(node, ast.Attribute) and _is_settings(node.value) and node.attr.isupper():
        return node.attr
    if _getattr_of_settings(node) and isinstance(node.args[1], ast.Constant):
        name = node.args[1].value
        return name if isinstance(name, str) else None
    return None


def _import_time_nodes(tree: ast.Module):
    """Nodes evaluated when the module is imported: module level, class bodies, decorators, defaults."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            arguments = node.args
            stack.extend(arguments.defaults + [d for d in arguments.kw_defaults if d is not None])
            if not isinstance(node, ast.Lambda):
                stack.extend(node.decorator_list)
            continue  # the body runs when called
        yield node
        stack.extend(ast.iter_child_nodes(node))


def test_every_setting_the_code_reads_is_defined_in_base_settings():
    defined = set(dir(global_settings)) | set(dir(base_settings))
    used: dict[str, list[str]] = {}
    for path, tree in _modules():
        for node in ast.walk(tree):
            name = _setting_name(node)
            if name is not None:
                used.setdefault(name, []).append(f"{path}:{node.lineno}")
    assert "PODCASTCME_COUNT_DOWNLOADS" in used and "SITE_URL" in used  # the walk sees the code
    undefined = {name: where for name, where in used.items() if name not in defined}
    assert undefined == {}


def test_no_setting_is_read_with_a_fallback_default():
    # A default in getattr() is a second default that drifts from base.py's (it did: 0 against 2 s).
    fallbacks = [
        f"{path}:{node.lineno}"
        for path, tree in _modules()
        for node in ast.walk(tree)
        if _getattr_of_settings(node) and len(node.args) > 2
    ]
    assert fallbacks == []


def test_no_setting_is_read_at_import_time():
    # A value copied at import ignores override_settings and the settings of a later configure().
    early = [
        f"{path}:{node.lineno} {name}"
        for path, tree in _modules()
        for node in _import_time_nodes(tree)
        if (name := _setting_name(node)) is not None and name not in READ_AT_IMPORT_BY_DESIGN
    ]
    assert early == []
