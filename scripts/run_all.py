"""`make run`: prepare the database, then run the web server, a Celery worker and Celery beat.

With nothing configured everything is embedded: SQLite under instance/, kombu's SQLAlchemy
transport on SQLite as the broker, and a local SMTP catcher writing to instance/mail/ (a Maildir).
DATABASE_URL, REDIS_URL and MAIL_SERVER switch to real services.

The processes are supervised: one that dies (the mail catcher, the worker…) is started again
after a pause that doubles while it keeps dying (1 s, 2 s, 4 s… at most 30 s), and the log says
so. Only Ctrl-C (or SIGTERM) stops everything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "5000")


def say(message: str) -> None:
    print(f"[run] {time.strftime('%H:%M:%S')} {message}", flush=True)


@dataclass
class Child:
    """One supervised process: its command, the running process, and its restart back-off."""

    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None  # set while it is dead and waiting for its next start
    failures: int = 0  # deaths in a row, each soon after its start
    restarts: int = 0


@dataclass
class Supervisor:
    """Start processes, restart any that dies (with a back-off), stop them all on request.

    A child that ran at least `stable_after` seconds before dying starts again after
    `backoff_start`; one that keeps dying right away waits twice as long each time, up to
    `backoff_max`."""

    cwd: Path = ROOT
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    backoff_start: float = 1.0
    backoff_max: float = 30.0
    stable_after: float = 30.0
    log: Callable[[str], None] = say
    children: list[Child] = field(default_factory=list)

    def add(self, name: str, command: list[str]) -> Child:
        child = Child(name, command)
        self.children.append(child)
        self._spawn(child)
        return child

    def _spawn(self, child: Child) -> None:
        try:
            child.process = subprocess.Popen(child.command, cwd=self.cwd, env=self.env)
        except OSError as error:  # the program is missing: try again later, like a crash
            child.process = None
            self.log(f"{child.name} could not start: {error}")
            self._schedule_restart(child, died_after=0.0)
            return
        child.started_at, child.restart_at = time.monotonic(), None
        self.log(f"{child.name} started (pid {child.process.pid})")

    def _schedule_restart(self, child: Child, died_after: float) -> float:
        child.failures = 1 if died_after >= self.stable_after else child.failures + 1
        delay = min(self.backoff_max, self.backoff_start * 2 ** (child.failures - 1))
        child.restart_at = time.monotonic() + delay
        return delay

    def check(self) -> None:
        """Notice dead children and start again those whose pause is over."""
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is None and child.process is not None and child.process.poll() is not None:
                code = child.process.returncode
                how = f"signal {-code}" if code < 0 else f"exit {code}"
                delay = self._schedule_restart(child, died_after=now - child.started_at)
                self.log(f"{child.name} stopped ({how}); restarting it in {delay:g} s")
            if child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self.log(f"restarting {child.name} (restart {child.restarts})")
                self._spawn(child)

    def run(self, interval: float = 0.5) -> int:
        """Supervise until Ctrl-C or SIGTERM, then stop every child; answer the exit status."""

        def interrupt(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, interrupt)
        try:
            while True:
                self.check()
                time.sleep(interval)
        except KeyboardInterrupt:
            self.log("stopping…")
            return self.stop()
        finally:
            signal.signal(signal.SIGTERM, previous)

    def stop(self, timeout: float = 10) -> int:
        running = [c.process for c in self.children if c.process is not None and c.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return 0


def main() -> int:
    env = dict(os.environ)
    env.setdefault("BASE_URL", f"http://{HOST}:{PORT}")
    # Local HTTP on loopback: a Secure-only cookie would not come back over http://.
    env.setdefault("SESSION_COOKIE_SECURE", "0")
    instance = Path(env.get("GRANTS_INSTANCE_PATH", ROOT / "instance"))
    instance.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(env=env)

    if "MAIL_SERVER" not in os.environ:
        env.setdefault("MAIL_PORT", "8025")
        supervisor.add(
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
        supervisor.stop()
        return setup.returncode

    supervisor.add(
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
    celery = [str(BIN / "celery"), "-A", "workers.celery_app:celery"]
    supervisor.add("worker", [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"])
    supervisor.add(
        "beat",
        [*celery, "beat", "--loglevel", "INFO", "--schedule", str(instance / "celerybeat-schedule")],
    )

    print(banner(env, instance, mail_caught="MAIL_SERVER" not in os.environ), flush=True)
    return supervisor.run()


def banner(env: dict[str, str], instance: Path, *, mail_caught: bool) -> str:
    """What `make run` prints once started: the address and where the data, broker and emails are
    (the instance folder itself, which GRANTS_INSTANCE_PATH may move away from instance/)."""
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        database = "PostgreSQL"
    else:
        database = f"SQLite ({url.removeprefix('sqlite:///') if url else instance / 'grants.sqlite'})"
    broker = "Redis" if env.get("REDIS_URL") else f"embedded (SQLite, {instance / 'celery-broker.sqlite'})"
    mail = f"  email: caught in {instance / 'mail' / 'new'}/ (one file per message)\n" if mail_caught else ""
    return (
        f"\n  Subventions is running at http://{HOST}:{PORT}/\n"
        f"  database: {database} · Celery broker: {broker}\n"
        + mail
        + "  A process that stops is started again; Ctrl-C stops everything.\n"
    )


if __name__ == "__main__":
    sys.exit(main())
