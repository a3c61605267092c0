"""No import cycles among the modules of grpo_plus and rewards, and nothing imports the CLI.

Every ``import`` statement counts, at module level and inside functions alike (a function-level import only delays a
cycle to the first call); imports under ``if TYPE_CHECKING:`` do not run and are left out. ``import a.b`` and
``from a.b import c`` are an edge to the module they name (``a.b``, or ``a.b.c`` when ``c`` is a module): Python
initialises parent packages first, which is no cycle.
"""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("grpo_plus", "rewards")


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the packages (``pkg/__init__.py`` is ``pkg``)."""
    out = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return skipped


def imported_modules(name: str, path: Path, modules: set[str]) -> set[str]:
    """The package modules that module ``name`` (file ``path``) imports anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
    return found & modules


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    return {name: imported_modules(name, path, set(files)) - {name} for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_finds_a_two_module_and_a_three_module_cycle():
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    assert sorted(cycles(graph)) == [["a", "b"], ["c", "d", "e"]]


def test_relative_and_submodule_imports_are_resolved():
    graph = import_graph()
    assert "rewards.registry" in graph["rewards"]  # from .registry import ...
    assert "grpo_plus.dialects.chat_templates" in graph["grpo_plus.dialects.llamafactory"]
    assert "grpo_plus.data" in graph["grpo_plus.dialects.llamafactory"]  # a function-level import counts


def test_no_import_cycles_in_grpo_plus_and_rewards():
    assert cycles(import_graph()) == []


def test_nothing_imports_the_cli():
    graph = import_graph()
    assert [name for name, imported in graph.items() if "grpo_plus.cli" in imported] == []


def test_rewards_does_not_import_grpo_plus():
    graph = import_graph()
    assert {name: sorted(i for i in imported if i.startswith("grpo_plus")) for name, imported in graph.items()
            if name.startswith("rewards") and any(i.startswith("grpo_plus") for i in imported)} == {}
