"""Tests that need no server run without one: the pure modules pass with PostgreSQL and Redis
unreachable (issue 9, item 8)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parent.parent
NOWHERE = {
    "TEST_DATABASE_URL": "postgresql+psycopg://postgres:postgres@127.0.0.1:1/x",  # nothing listens
    "TEST_REDIS_URL": "redis://127.0.0.1:2/0",
}


def test_the_fiscal_year_tests_pass_with_postgresql_and_redis_unreachable():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_fiscal.py"],
        cwd=ROOT,
        env={**os.environ, **NOWHERE},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and "error" not in result.stdout.lower()
