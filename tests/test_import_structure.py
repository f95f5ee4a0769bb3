"""The package's import structure: no module imports itself back, and no task of `envs/` uses another.

The graph is read from the sources with `ast`, not by importing: an edge is every `import` statement a
module can execute, at module level or inside a function (LeRobot's env configs import their env in
`create_envs`, and such a lazy import still makes the two modules depend on each other). Imports
under `if TYPE_CHECKING:` never run and are left out. `from package import name` points at the
submodule `package.name` when there is one, else at the package.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "lerobot_torque"
ROOT = PACKAGE.name
ENVS = f"{ROOT}.envs"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def is_type_checking_block(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Name | ast.Attribute) and ast.unparse(test).endswith("TYPE_CHECKING")


def executable_imports(tree: ast.AST):
    """Every Import/ImportFrom node outside `if TYPE_CHECKING:` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        children = list(ast.iter_child_nodes(node))
        if is_type_checking_block(node):
            children = list(node.orelse)
        stack.extend(children)


def imported_modules(name: str, source: str, is_package: bool = False) -> set[str]:
    """Our modules that the module `name` of this source imports."""
    package = name if is_package else name.rpartition(".")[0]
    targets = set()
    for node in executable_imports(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, *([base] if base else [])])
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            targets.add(submodule if submodule in MODULES else base)
    return {target for target in targets if target in MODULES and target != name}


GRAPH = {
    name: imported_modules(name, path.read_text(), path.name == "__init__.py")
    for name, path in MODULES.items()
}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of modules (first = last), or None."""
    state: dict[str, str] = {}  # "open" while on the DFS path, "done" after

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target, [*path, target])
                if found:
                    return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def task_of(module: str) -> str | None:
    """The task folder `envs/<task>/` a module belongs to, if any."""
    parts = module.split(".")
    if module.startswith(f"{ENVS}.") and (PACKAGE / "envs" / parts[2]).is_dir():
        return parts[2]
    return None


def test_an_import_inside_a_function_is_an_edge_and_one_for_type_checking_only_is_not():
    source = """
from typing import TYPE_CHECKING
from . import constants
if TYPE_CHECKING:
    from lerobot_torque.config_checks import check_choice
def create():
    from lerobot_torque.envs import configs
"""
    edges = imported_modules(f"{ROOT}.atomic_output", source)
    assert edges == {f"{ROOT}.constants", f"{ENVS}.configs"}
    assert f"{ROOT}.policies" in GRAPH and GRAPH[f"{ROOT}.envs"]


def test_no_module_imports_itself_back():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("task", sorted({task_of(name) for name in MODULES} - {None}))
def test_a_task_folder_imports_no_other_task(task):
    crossing = sorted(
        f"{name} -> {target}"
        for name in MODULES
        if task_of(name) == task
        for target in GRAPH[name]
        if task_of(target) not in (None, task)
    )
    assert not crossing, f"envs/{task}/ imports another task: {crossing}"
