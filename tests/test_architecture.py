"""The house rules of bvp_lib, checked on the source (ast): layers import only downwards,
no import circles, reporting never starts a run, runs never import reporting, modules
stay small, the market clock is defined once.

Layers, lowest first (a module may import its own layer and those below)::

    config, redact, environment < market.clock < timing < db < beliefs < data < forecasting < scheduling
    < valuation < market (offers) < runs < reporting < widgets < cli
"""

from __future__ import annotations

import ast
import pathlib
import re
from collections import defaultdict

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "bvp_lib"
LAYERS = [
    ("bvp_lib.config", "bvp_lib.redact", "bvp_lib.environment"), ("bvp_lib.market.clock",), ("bvp_lib.timing",), ("bvp_lib.db",), ("bvp_lib.beliefs",),
    ("bvp_lib.data",), ("bvp_lib.forecasting",), ("bvp_lib.scheduling",), ("bvp_lib.valuation",),
    ("bvp_lib.market",), ("bvp_lib.runs",), ("bvp_lib.reporting",), ("bvp_lib.widgets",), ("bvp_lib.cli",),
]  # fmt: skip
#: names of functions that start a run (or compute a stage's results); reporting must not call them
RUN_STARTERS = {"run_day", "run_period", "run_backtest", "run_sweep", "ensure_run_days", "ensure_sweep",
                "forecast_day_ahead", "forecast_range", "schedule_day", "prepare", "forecast", "schedule"}  # fmt: skip
MAX_LINES = 600


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    name = ".".join(parts)
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


MODULES = {module_name(p): p for p in ROOT.rglob("*.py") if "migrations" not in p.parts}


def layer(name: str) -> int:
    """The layer of a module: its longest prefix in :data:`LAYERS`."""
    if name == "bvp_lib":
        return 0  # the package itself: its version and get_settings
    hits = [(len(p), i) for i, prefixes in enumerate(LAYERS) for p in prefixes
            if name == p or name.startswith(p + ".")]  # fmt: skip
    assert hits, f"{name} is in no layer: add it to LAYERS"
    return max(hits)[1]


def imports(path: pathlib.Path) -> list[tuple[str, int, bool]]:
    """(imported bvp_lib module, line, at module level) of every import in a file."""
    tree = ast.parse(path.read_text())
    top = {id(n) for n in tree.body}
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("bvp_lib") and n.level == 0:
            for a in n.names:
                full = f"{n.module}.{a.name}"
                out.append((full if full in MODULES else n.module, n.lineno, id(n) in top))
        elif isinstance(n, ast.Import):
            out += [(a.name, n.lineno, id(n) in top) for a in n.names if a.name.startswith("bvp_lib")]
    return out


def _own(pkg: str, other: str) -> bool:
    return other == pkg or other.startswith(pkg + ".") or pkg.startswith(other + ".")


def test_every_module_imports_only_its_layer_and_below():
    bad = []
    for name, path in MODULES.items():
        for target, line, _ in imports(path):
            if target not in MODULES or _own(name, target):
                continue
            if layer(target) > layer(name):
                bad.append(f"{path.relative_to(ROOT.parent)}:{line}: {name} (layer {layer(name)}) imports {target} "
                           f"(layer {layer(target)})")  # fmt: skip
    assert not bad, "imports that go up a layer:\n" + "\n".join(bad)


def test_no_import_circles():
    graph = defaultdict(set)
    for name, path in MODULES.items():
        for target, _, _ in imports(path):
            if target in MODULES and not _own(name, target):
                graph[name].add(target)
    # Tarjan's strongly connected components
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in list(MODULES):
        if v not in index:
            visit(v)
    assert not cycles, f"import circles: {cycles}"


def test_reporting_reads_results_and_never_starts_a_run():
    bad = []
    for name, path in MODULES.items():
        if not name.startswith("bvp_lib.reporting"):
            continue
        tree = ast.parse(path.read_text())
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("bvp_lib"):
                bad += [f"{name}:{n.lineno} imports {a.name}" for a in n.names if a.name in RUN_STARTERS]
            if isinstance(n, ast.Call):
                f = n.func
                called = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                if called in RUN_STARTERS - {"prepare", "forecast", "schedule"}:
                    bad.append(f"{name}:{n.lineno} calls {called}")
    assert not bad, "\n".join(bad)


def test_runs_never_import_reporting():
    bad = [f"{name}:{line} imports {t}" for name, path in MODULES.items() if name.startswith("bvp_lib.runs")
           for t, line, _ in imports(path) if t.startswith("bvp_lib.reporting")]  # fmt: skip
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name):
    n = len(MODULES[name].read_text().splitlines())
    assert n <= MAX_LINES, f"{name} has {n} lines (at most {MAX_LINES}): split it by concept"


def test_the_market_clock_is_defined_once():
    """The timezone and gate closure are spelled out once (the settings' defaults); every
    other module takes them from bvp_lib.market.clock."""
    tz_hits, gc_hits = [], []
    for name, path in MODULES.items():
        for i, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"""["']Europe/Berlin["']""", code) and "SOURCE_TIMEZONE" not in code and ">>>" not in code:
                tz_hits.append(f"{name}:{i}")
            if re.search(r"""["']12:00["']""", code) and ">>>" not in code:
                gc_hits.append(f"{name}:{i}")
    # the one definition of each: config.DEFAULTS (the bundled data's German source files keep
    # their own wall clock, bvp_lib.data.SOURCE_TIMEZONE)
    assert len(tz_hits) == 1 and tz_hits[0].startswith("bvp_lib.config:"), tz_hits
    assert len(gc_hits) == 1 and gc_hits[0].startswith("bvp_lib.config:"), gc_hits
