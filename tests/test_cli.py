"""The `grants` command: the commands that only read and compute run on the application without
its web stack (no pages, forms, sign-in hashing, Celery, Alembic or WeasyPrint is imported), and
the others still get the whole application. How fast they start is measured in bench/cli.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ["celery", "wtforms", "flask_wtf", "argon2", "weasyprint", "alembic", "grants.requests.views"]


def _grants(*args: str) -> tuple[str, list[str]]:
    """Run `grants ARGS` in a fresh interpreter on the suite's database; answer its output and
    which of the heavy modules it imported."""
    program = (
        "import json, sys\n"
        f"sys.argv = ['grants', *{list(args)!r}]\n"
        "from grants.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as end:\n"
        "    assert not end.code, end.code\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    *output, imported = result.stdout.strip().splitlines()
    return "\n".join(output), json.loads(imported)


def test_a_cpi_rate_is_computed_without_the_web_stack(app):
    output, imported = _grants("cpi", "rate", "--method", "annual-average", "--year", "2025")
    assert output == "2.4"
    assert imported == []


def test_the_help_lists_every_command_without_building_the_application(app):
    output, imported = _grants("--help")
    for command in ("bootstrap", "cpi", "db", "indexation", "routes", "seed", "users"):
        assert f"  {command} " in output
    assert imported == []


def test_other_commands_still_get_the_whole_application(app):
    output, _ = _grants("routes")
    assert "review.decide" in output and "/analyse/<int:request_id>/decision" in output
