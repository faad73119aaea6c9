"""The bundled reference data files (no Django needed to read them)."""

import json
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read(name: str) -> list[dict]:
    """Return the items of diplomacy/reference/data/<name>.json."""
    with open(DATA_DIR / f"{name}.json", encoding="utf-8") as handle:
        return json.load(handle)
