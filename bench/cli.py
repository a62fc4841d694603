"""Benchmark: how long `grants` commands take to start and answer.

    .venv/bin/python bench/cli.py          (or: make bench-cli)

Prepares a scratch SQLite instance (BENCH_INSTANCE_PATH/cli: migrations and reference data, once),
then runs each command ROUNDS times, the commands taking turns so a busy moment of the machine
falls on all of them alike, and prints the median and the best wall time of each. Beside them,
the floor of the same run: the Python interpreter starting and doing nothing (`python -c pass`);
the ratio to it reads the same on a busy machine; and, for scale, the time to import Flask and
SQLAlchemy, which every command needs.
Target (issue: what users hit): a command that needs no web stack (`grants cpi rate`, `grants
indexation preview`, `grants --help`) answers in under 1 s.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
GRANTS = str(Path(sys.executable).parent / "grants")
COMMANDS = {
    "floor: python -c pass": [sys.executable, "-c", "pass"],
    "libraries: import flask, sqlalchemy": [sys.executable, "-c", "import flask, sqlalchemy"],
    "grants --help": [GRANTS, "--help"],
    "grants cpi rate (annual average 2025)": [
        GRANTS,
        "cpi",
        "rate",
        "--method",
        "annual-average",
        "--year",
        "2025",
    ],
    "grants indexation preview (TNCES 2026-2027)": [
        GRANTS,
        "indexation",
        "preview",
        "--program",
        "TNCES",
        "--fiscal-year",
        "2026-2027",
    ],
    "grants routes (the whole web application)": [GRANTS, "routes"],
}
LIGHT = ("grants --help", "grants cpi rate", "grants indexation preview")


def environment() -> dict[str, str]:
    instance = harness.INSTANCE / "cli"
    instance.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("GRANTS_CONFIG", None)
    env.update(
        GRANTS_INSTANCE_PATH=str(instance),
        DATABASE_URL=f"sqlite:///{instance / 'grants.sqlite'}",
        REDIS_URL="",
    )
    return env


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process) for one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=harness.ROOT, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> int:
    env = environment()
    started = time.perf_counter()
    subprocess.run(
        [GRANTS, "bootstrap", "--no-demo"], env=env, cwd=harness.ROOT, check=True, capture_output=True
    )
    print(f"scratch instance ready in {time.perf_counter() - started:.1f} s ({env['DATABASE_URL']})")
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for command in COMMANDS.values():  # warm the file cache once
        run(command, env)
    for _ in range(ROUNDS):
        for name, command in COMMANDS.items():
            samples[name].append(run(command, env))
    floor = statistics.median(wall for wall, _ in samples["floor: python -c pass"])
    print(
        f"{ROUNDS} runs each; wall time (median, best), its ratio to the floor of this run, and the "
        "CPU time of the process (median)\n(target: the commands that need no web stack < 1 s)"
    )
    for name, runs in samples.items():
        median = statistics.median(wall for wall, _ in runs)
        cpu = statistics.median(cpu for _, cpu in runs)
        verdict = ("  ok" if median < 1 else "  over 1 s") if name.startswith(LIGHT) else ""
        print(
            f"  {name:<44} {median * 1000:6.0f} ms (best {min(w for w, _ in runs) * 1000:5.0f})"
            f"  = {median / floor:5.1f} x floor  CPU {cpu * 1000:5.0f} ms{verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
