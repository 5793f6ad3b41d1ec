"""Imports flow one way: a module imports only from its own layer or the layers below it.

Layers, lowest first (a module belongs to the layer of its longest matching prefix):

0. ``migrate.core`` (errors, entity registry, records, canonical form, TOML) and
   ``migrate.store`` (the unified store's schema): the shared core;
1. ``adapters`` (legacy sources) and ``mappings`` (old unit -> new commune);
2. ``migrate`` (the engine: config, pipeline, ledger, load, workers, continuity, ...);
3. ``reconciliation`` (the checks and reports);
4. ``migrate.demo``, ``migrate.bench``, ``runbooks`` (the runbook executor): the application's parts;
5. ``migrate.cli``: the command line, on top of everything.

Packages of one layer do not import each other (adapters and mappings stay
independent), and no import, however late (inside a function), runs upward.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("migrate", "mappings", "adapters", "reconciliation", "runbooks")
LAYERS: dict[str, int] = {
    "migrate.core": 0, "migrate.store": 0,
    "adapters": 1, "mappings": 1,
    "migrate": 2,
    "reconciliation": 3,
    "migrate.demo": 4, "migrate.bench": 4, "runbooks": 4,
    "migrate.cli": 5,
}


def _unit(module: str) -> str:
    """The longest LAYERS prefix naming ``module``."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYERS:
            return prefix
    raise KeyError(module)


def _modules() -> list[tuple[str, Path]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            found.append((".".join(parts), path))
    return found


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target in PACKAGES or any(target == f"{p}" for p in PACKAGES):
                # ``from migrate import ledger``: the names are modules of that package
                out += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                out.append((node.lineno, target))
    return [(line, name) for line, name in out if name.split(".")[0] in PACKAGES]


def _violations() -> list[str]:
    problems = []
    for module, path in _modules():
        here = _unit(module)
        for line, target in _imports(module, path):
            there = _unit(target)
            if LAYERS[there] > LAYERS[here] or (LAYERS[there] == LAYERS[here] and
                                                there.split(".")[0] != here.split(".")[0]):
                problems.append(f"{path.relative_to(ROOT)}:{line} {module} (layer {LAYERS[here]}) "
                                f"imports {target} (layer {LAYERS[there]})")
    return problems


def test_no_import_runs_upward_or_sideways():
    problems = _violations()
    assert not problems, "imports that run upward or between packages of one layer:\n" + "\n".join(problems)


def test_every_module_has_a_layer():
    for module, _ in _modules():
        assert _unit(module) in LAYERS


@pytest.mark.parametrize("source, target, upward", [
    ("adapters.profiles", "migrate.pipeline", True),
    ("migrate.core.canonical", "adapters.base", True),
    ("mappings.rules", "adapters.text", True),   # same layer, another package: sideways
    ("migrate.cli.run", "reconciliation.runner", False),
    ("reconciliation.checks", "migrate.store.models", False),
])
def test_the_rule_itself(source, target, upward):
    here, there = _unit(source), _unit(target)
    bad = LAYERS[there] > LAYERS[here] or (LAYERS[there] == LAYERS[here] and
                                           there.split(".")[0] != here.split(".")[0])
    assert bad is upward
