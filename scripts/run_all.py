"""`make run`: prepare the database, then run the web server, a Celery worker and Celery beat.

With nothing configured everything is embedded: SQLite under instance/, kombu's SQLAlchemy
transport on SQLite as the broker, and a local SMTP catcher writing to instance/mail/ (a Maildir).
DATABASE_URL, REDIS_URL and MAIL_SERVER switch to real services. Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "5000")
MAIL_NOTE = "  email: caught in instance/mail/new/ (one file per message)\n"


def main() -> int:
    env = dict(os.environ)
    env.setdefault("BASE_URL", f"http://{HOST}:{PORT}")
    # Local HTTP on loopback: a Secure-only cookie would not come back over http://.
    env.setdefault("SESSION_COOKIE_SECURE", "0")
    instance = Path(env.get("GRANTS_INSTANCE_PATH", ROOT / "instance"))
    instance.mkdir(parents=True, exist_ok=True)
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(name: str, command: list[str]) -> None:
        processes.append((name, subprocess.Popen(command, cwd=ROOT, env=env)))

    if "MAIL_SERVER" not in os.environ:
        env.setdefault("MAIL_PORT", "8025")
        start(
            "mail",
            [
                str(BIN / "python"),
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{env['MAIL_PORT']}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(instance / "mail"),
            ],
        )

    setup = subprocess.run([str(BIN / "grants"), "bootstrap"], cwd=ROOT, env=env, check=False)
    if setup.returncode != 0:
        stop(processes)
        return setup.returncode

    start(
        "web",
        [
            str(BIN / "gunicorn"),
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"{HOST}:{PORT}",
            "--access-logfile",
            "-",
            "grants:create_app()",
        ],
    )
    start(
        "worker",
        [
            str(BIN / "celery"),
            "-A",
            "workers.celery_app:celery",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
        ],
    )
    start(
        "beat",
        [
            str(BIN / "celery"),
            "-A",
            "workers.celery_app:celery",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(instance / "celerybeat-schedule"),
        ],
    )

    database = "PostgreSQL" if env.get("DATABASE_URL", "").startswith("postgres") else "SQLite (instance/)"
    broker = "Redis" if env.get("REDIS_URL") else "embedded (SQLite, instance/)"
    print(
        f"\n  Subventions is running at http://{HOST}:{PORT}/\n"
        f"  database: {database} · Celery broker: {broker}\n"
        + (MAIL_NOTE if "MAIL_SERVER" not in os.environ else "")
        + "  Ctrl-C stops the web server, the worker and beat.\n",
        flush=True,
    )

    def handle(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handle)
    try:
        while True:
            for name, process in processes:
                if process.poll() is not None:
                    print(f"{name} stopped (exit {process.returncode}); stopping the rest", flush=True)
                    return stop(processes) or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return stop(processes)


def stop(processes: list[tuple[str, subprocess.Popen[bytes]]]) -> int:
    for _, process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 10
    for _, process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
