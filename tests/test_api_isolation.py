"""The client package stays free of Home Assistant, so it can be tested and reused on its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

API_DIR = Path(__file__).parent.parent / "custom_components" / "immich" / "api"
API_MODULES = sorted(API_DIR.glob("*.py"))


def imported_modules(path: Path) -> list[tuple[str, int]]:
    """Return (module, relative level) for every import statement in a file."""
    imports: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            imports.extend((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imports.append((node.module or "", node.level))
    return imports


def test_api_package_found() -> None:
    names = {path.name for path in API_MODULES}

    assert {"__init__.py", "client.py", "transport.py", "errors.py", "models.py"} <= names


@pytest.mark.parametrize("path", API_MODULES, ids=[path.name for path in API_MODULES])
def test_module_imports_no_home_assistant(path: Path) -> None:
    imports = imported_modules(path)

    assert imports
    for module, level in imports:
        assert module.split(".")[0] != "homeassistant", f"{path.name} imports {module}"
        # `from .. import x` would reach the integration package, which imports Home Assistant.
        assert level <= 1, f"{path.name} imports from outside the api package"
        assert not module.startswith("custom_components"), f"{path.name} imports {module}"
