"""Shared fixtures: where the real data lives, and fresh databases."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
KOELN = SHARED / "data" / "koeln"


@pytest.fixture(scope="session")
def koeln_dir() -> Path:
    """The Köln open data in ../shared/data/koeln; tests using it skip where it is absent."""
    if not (KOELN / "koeln_bevoelkerung_wide.csv").exists():
        pytest.skip("../shared/data/koeln is not available on this machine")
    return KOELN


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path of a database file that does not exist yet."""
    return tmp_path / "test.duckdb"
