"""`make run`'s supervisor (scripts/run_all.py), on real processes: a child that dies is started
again and the log says so; Ctrl-C stops the children and the supervisor."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


class Lines:
    """The supervisor's output, read as it comes."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, after: int = 0, timeout: float = 20) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if match := re.search(pattern, line):
                    return match
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has exited: reap-less children of a dead parent are collected by init
        return "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False


def _start_supervisor() -> tuple[subprocess.Popen[str], Lines]:
    program = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT / "scripts")!r})
        import run_all
        supervisor = run_all.Supervisor(backoff_start=0.2, backoff_max=1.0, stable_after=5.0)
        supervisor.add("mail", {SLEEPER!r})
        supervisor.add("worker", {SLEEPER!r})
        sys.exit(supervisor.run(interval=0.05))
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-u", "-c", program],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return process, Lines(process)


def test_a_child_that_dies_is_restarted_and_only_ctrl_c_stops_everything():
    process, output = _start_supervisor()
    try:
        mail = int(output.wait_for(r"mail started \(pid (\d+)\)").group(1))
        worker = int(output.wait_for(r"worker started \(pid (\d+)\)").group(1))
        seen = len(output.lines)
        os.kill(mail, signal.SIGKILL)
        output.wait_for(r"mail stopped \(signal 9\); restarting it in 0\.2 s", after=seen)
        output.wait_for(r"restarting mail \(restart 1\)", after=seen)
        new_mail = int(output.wait_for(r"mail started \(pid (\d+)\)", after=seen).group(1))
        assert new_mail != mail and _alive(new_mail)
        assert _alive(worker), "the other children keep running"
        assert process.poll() is None, "the supervisor keeps running"
        # A child that keeps dying waits longer each time (0.2 s, 0.4 s, …, at most 1 s).
        seen = len(output.lines)
        os.kill(new_mail, signal.SIGKILL)
        output.wait_for(r"mail stopped \(signal 9\); restarting it in 0\.4 s", after=seen)
        again = int(output.wait_for(r"mail started \(pid (\d+)\)", after=seen).group(1))
        # Ctrl-C: everything stops.
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        output.wait_for(r"stopping")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (_alive(again) or _alive(worker)):
            time.sleep(0.1)
        assert not _alive(again) and not _alive(worker)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
