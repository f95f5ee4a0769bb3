"""The tests the documentation names exist: docs/bad_input.md names one for every bad-input case,
and README.md and docs/*.md cite tests as evidence (`tests/<file>.py::<test>` or a bare `test_<name>`)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)")
BARE_TEST_NAME = re.compile(r"`(test_\w+)[`\[]")
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def functions_defined_in(file: Path) -> set[str]:
    tree = ast.parse(file.read_text()) if file.exists() else ast.Module(body=[], type_ignores=[])
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_test_the_bad_input_matrix_names_exists():
    references = TEST_REFERENCE.findall((ROOT / "docs" / "bad_input.md").read_text())
    assert len(references) >= 50
    missing = [
        f"{path}::{name}" for path, name in references if name not in functions_defined_in(ROOT / path)
    ]
    assert not missing, f"docs/bad_input.md names tests that do not exist: {missing}"


def test_every_test_the_readme_and_docs_cite_exists():
    every_test = set().union(*(functions_defined_in(file) for file in (ROOT / "tests").rglob("test_*.py")))
    missing = []
    for document in DOCUMENTS:
        text = document.read_text()
        for path, name in TEST_REFERENCE.findall(text):
            if name not in functions_defined_in(ROOT / path):
                missing.append(f"{document.name}: {path}::{name}")
        missing += [
            f"{document.name}: {name}" for name in BARE_TEST_NAME.findall(text) if name not in every_test
        ]
    assert not missing, f"the documentation cites tests that do not exist (renamed or moved?): {missing}"
