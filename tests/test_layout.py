"""The layout keeps its promises: which app may import which, and what `config/` holds."""

import ast
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
# config/ is wiring only: settings and their helpers, URLs, the API router and its policies
# (errors, pages, permissions, throttles), the Celery app, and the database engine and cache
# backend the settings name (the engine a package, as Django wants one).
CONFIG_PACKAGES = {"postgresql"}
CONFIG_MODULES = {
    "__init__.py",
    "settings.py",
    "env.py",
    "urls.py",
    "api.py",
    "api_urls.py",
    "celery.py",
    "wsgi.py",
    "asgi.py",
    "exceptions.py",
    "pagination.py",
    "permissions.py",
    "throttling.py",
    "cache.py",
}


def imported_packages(package: str) -> set[str]:
    """Return the top-level packages imported anywhere under `package`."""
    names = set()
    for path in (BASE_DIR / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("articles", {"diplomacy", "alerts"}),
        ("accounts", {"articles", "diplomacy", "alerts"}),
        ("diplomacy", {"alerts"}),
    ],
)
def test_it_keeps_the_dependency_direction(package, forbidden):
    """`articles` never imports `diplomacy`; `accounts` imports neither app; `alerts` reacts
    to diplomacy's announcements and nothing imports it."""
    assert imported_packages(package) & forbidden == set()


def test_it_keeps_config_to_wiring():
    """`config/` holds settings, URLs, the router and the Celery app, not runners or managers."""
    modules = {path.name for path in (BASE_DIR / "config").glob("*.py")}
    packages = {path.parent.name for path in (BASE_DIR / "config").glob("*/__init__.py")}
    assert modules <= CONFIG_MODULES
    assert packages <= CONFIG_PACKAGES
