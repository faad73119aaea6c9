"""The hashed lock files agree with pyproject.toml, so `make install` gets what was pinned."""

import re
import tomllib
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def project():
    return tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]


def pins(requirements: list[str]) -> dict[str, str]:
    found = {}
    for line in requirements:
        match = PIN.match(line.split("#", 1)[0].strip())
        if match:
            found[canonical(match[1])] = match[2]
    return found


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(name: str) -> tuple[dict[str, str], str]:
    text = (BASE_DIR / name).read_text()
    return pins(text.splitlines()), text


@pytest.mark.parametrize(
    ("lock", "groups"),
    [("requirements.lock", ["dependencies"]), ("requirements-dev.lock", ["dependencies", "dev"])],
)
def test_it_locks_every_pin_of_pyproject_at_its_version(lock, groups):
    """Each pinned dependency is in the lock at the same version: `make lock` was run."""
    meta = project()
    wanted = {}
    for group in groups:
        source = meta[group] if group == "dependencies" else meta["optional-dependencies"][group]
        wanted |= pins(source)
    have, _ = locked(lock)

    assert {name: have.get(name) for name in wanted} == wanted


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_it_gives_every_locked_package_a_hash(lock):
    """pip's --require-hashes refuses a lock with any package lacking a hash."""
    _, text = locked(lock)
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    packages = [entry for entry in entries if PIN.match(entry)]

    assert packages
    assert all("--hash=sha256:" in entry for entry in packages)


def test_it_installs_from_the_lock():
    """make install and the image install from the lock files with hashes required."""
    makefile = (BASE_DIR / "Makefile").read_text()
    dockerfile = (BASE_DIR / "Dockerfile").read_text()

    assert "--require-hashes --requirement requirements-dev.lock" in makefile
    assert "--require-hashes --requirement requirements.lock" in dockerfile
