"""The layers hold: imports point one way, only the CLI imports click, and the install ships every package."""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "scheduler"
# What each layer may import from the package, besides itself (ARCHITECTURE.md, "Imports point down").
# The modules at the top of the package and model/ and i18n/ are the base every layer may use.
BASE = {
    "model",
    "clinic_model",
    "view_wording",
    "caches",
    "units",
    "errors",
    "options",
    "wording",
    "fact_words",
    "files",
    "identity",
    "i18n",  # the patient's language: gettext catalogs, Babel dates and numbers, the template messages
    "__init__",
    "__version__",
}
ENTRY = {"__main__"}  # `python -m scheduler`: the CLI, run
ALLOWED = {
    "catalog": set(),
    "ical": set(),  # the iCalendar format: the base only
    "engine": {"catalog"},
    "inputs": {"catalog", "engine"},
    "writers": {"catalog", "ical"},
    "publishers": {"catalog", "ical"},
    "clinic": {"catalog", "engine", "inputs"},  # the clinic's machinery: the board, levelling, the book
    "app": {"catalog", "engine", "inputs", "writers", "publishers", "ical", "clinic"},
    "web": {"app"},  # the coordinator's page: a front end like the CLI, over the same use cases
    "cli": {"app", "web"},  # a second front end (a web page) calls the same use cases: no logic of its own below app/
}


def _runtime_nodes(tree: ast.Module) -> list[ast.AST]:
    """Return the nodes that run when the module runs: type-checking-only imports left out."""
    hidden = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            hidden |= {id(n) for child in node.body for n in ast.walk(child)}
    return [n for n in ast.walk(tree) if id(n) not in hidden]


def modules() -> dict[str, set[str]]:
    """Return each module of the package (dotted, without 'scheduler.') and the package modules it imports."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        imported = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            imported |= {n for n in names if n == "click" or n.startswith("click.") or n.startswith("scheduler.")}
        found[name] = imported
    return found


def layer(module: str) -> str:
    return module.split(".")[0]


def test_only_the_cli_imports_click():
    offenders = [
        m for m, imports in modules().items() if layer(m) != "cli" and any(i.startswith("click") for i in imports)
    ]
    assert offenders == []


def test_layers_import_one_way():
    wrong = []
    for module, imports in modules().items():
        own = layer(module)
        if own in ENTRY:
            continue
        allowed_layers = set() if own in BASE else ALLOWED[own]
        for target in imports:
            if not target.startswith("scheduler."):
                continue
            other = target.split(".")[1]
            if other in BASE or other == own or other == "templates" or other in allowed_layers:
                continue
            wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_records_carry_data_and_no_words():
    # Writers word events (scheduler.wording): a record that imported words could not be worded in another language.
    for path in [*(PACKAGE / "model").glob("*.py"), PACKAGE / "clinic_model.py"]:
        module = path.name
        source = ast.parse(path.read_text(encoding="utf-8"))
        imported = {n.module or "" for n in ast.walk(source) if isinstance(n, ast.ImportFrom)} | {
            a.name for n in ast.walk(source) if isinstance(n, ast.Import) for a in n.names
        }
        assert not any("wording" in name or "fact_words" in name or "i18n" in name for name in imported), module
        assert "wording" not in {a.name for n in ast.walk(source) if isinstance(n, ast.ImportFrom) for a in n.names}


def test_every_kept_result_is_kept_through_scheduler_caches():
    # One owner, so clear_caches() reaches every store; a module's own lru_cache would escape it.
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "caches.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "lru_cache" in text or "functools.cache" in text or "import cache\n" in text:
            offenders.append(path.name)
    assert offenders == []


def test_no_import_cycles_between_modules():
    graph = modules()
    known = set(graph)

    def resolve(target: str) -> str | None:
        name = target.removeprefix("scheduler.")
        while name and name not in known and f"{name}.__init__" not in known:
            name = name.rpartition(".")[0]
        return name if name in known else (f"{name}.__init__" if name else None)

    edges = {m: {r for t in targets if (r := resolve(t)) and r != m} for m, targets in graph.items()}
    # Package __init__ files re-export their modules; a cycle through them is not a real one.
    edges = {m: {t for t in ts if not t.endswith("__init__")} for m, ts in edges.items()}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycle.extend([*trail, node, nxt])
                return True
            if nxt not in state and visit(nxt, [*trail, node]):
                return True
        state[node] = 2
        return False

    for start in sorted(edges):
        if start not in state and visit(start, []):
            break
    assert cycle == []


def test_setup_cfg_ships_every_package_folder():
    config = configparser.ConfigParser()
    config.read(PACKAGE.parent / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    folders = {
        ".".join(("scheduler", *p.parent.relative_to(PACKAGE).parts)).rstrip(".") for p in PACKAGE.rglob("__init__.py")
    }
    assert folders | {"scheduler.templates"} == listed


def _formats() -> list[str]:
    from scheduler.writers.registry import FORMATS

    return sorted(FORMATS)


@pytest.mark.parametrize("fmt", _formats())
def test_a_format_is_one_registry_entry_with_a_writer_module(fmt):
    from scheduler.writers.registry import FORMATS

    writer = FORMATS[fmt].writer()
    assert callable(getattr(writer, FORMATS[fmt].entry)) and callable(writer.owner)


def test_every_command_is_found_where_the_lazy_table_says():
    import importlib

    from scheduler.cli.main import COMMAND_MODULES, main

    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"scheduler.cli.{module}")
    assert set(main.commands) == set(COMMAND_MODULES)
    for name, module in COMMAND_MODULES.items():
        assert main.commands[name].callback.__module__ == f"scheduler.cli.{module}", name


def test_no_module_is_over_450_lines_with_the_formatter_on():
    # A module that long does more than one job: split it by job (ARCHITECTURE.md lists them). The formatter
    # is on everywhere (CI runs `ruff format --check`), so no marker may keep a module short by hand.
    long = {p.name: n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 450}
    assert long == {}
    skipped = [
        p.name for p in PACKAGE.rglob("*.py") if "fmt: skip" in (t := p.read_text(encoding="utf-8")) or "fmt: off" in t
    ]
    assert skipped == []


def _package_of(module: str) -> str:
    """Return the package a module belongs to, as the private-name rule counts them (app.batching apart from app)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "app" and len(parts) > 2 else parts[0]


def test_no_private_name_is_imported_from_another_package():
    # A leading underscore is a package's own business: another package (a front end above all) goes through
    # the public surface, so a second front end copies nothing and a package can change inside.
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("scheduler.")):
                continue
            source = node.module.removeprefix("scheduler.")
            if _package_of(source) == _package_of(module):
                continue
            # `_` is gettext's name for "translate this" (scheduler.i18n), public by convention.
            wrong += [
                f"{module} <- {node.module}.{a.name}" for a in node.names if a.name.startswith("_") and a.name != "_"
            ]
    assert wrong == []


def test_the_calendar_format_is_reached_through_its_package_only():
    # scheduler.ical keeps the format in one place: other packages import its public surface, not its modules.
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "ical":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            wrong += [f"{path.name} -> {n}" for n in names if n.startswith("scheduler.ical.")]
    assert wrong == []


def test_the_tests_import_the_source_not_an_installed_copy():
    # A copy installed before an edit would pass a test the edit must fail, while the tests above read the
    # source: the README's test command installs editable (pip install -e '.[test]') so the two are one.
    import scheduler

    assert Path(scheduler.__file__).resolve().parent == PACKAGE.resolve(), (
        f"the tests import {scheduler.__file__}, not this checkout: pip install -e '.[test]'"
    )
