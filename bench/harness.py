"""What every benchmark shares: a scratch PostgreSQL database, the app served by gunicorn on
loopback, a load generator of a few concurrent HTTP clients, and the figures printed.

Run a benchmark with its one command (see bench/README.md); nothing here is a test: it prints
medians and 95th percentiles and leaves the judgement to the reader and the targets in the README.

Every figure is printed beside a floor measured in the same run, under the same load (for pages:
`/healthz`, asked by the same clients between the pages; for PDFs: a one-line document), and the
ratio of the two: on a busy machine both grow, the ratio much less.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres:postgres@127.0.0.1:5432/grants_bench")
INSTANCE = Path(os.environ.get("BENCH_INSTANCE_PATH", "/tmp/grants-bench"))


def prepare_environment() -> None:
    """Point the application at the bench database before anything imports it."""
    os.environ["DATABASE_URL"] = BENCH_DB
    os.environ["GRANTS_INSTANCE_PATH"] = str(INSTANCE)
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
    os.environ["SESSION_COOKIE_SECURE"] = "0"
    INSTANCE.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))


def recreate_database() -> None:
    import psycopg
    from sqlalchemy import make_url

    url = make_url(BENCH_DB)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.database,),
        )
        connection.execute(f'DROP DATABASE IF EXISTS "{url.database}"')
        connection.execute(f"CREATE DATABASE \"{url.database}\" ENCODING 'UTF8' TEMPLATE template0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served_app(workers: int = 2, threads: int = 4) -> Iterator[int]:
    """gunicorn serving the app on a free loopback port, as `make run` does."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            "grants:create_app()",
        ],
        cwd=ROOT,
        env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


class Client:
    """One signed-in browser-like client over a kept-alive HTTP connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, payload

    def sign_in(self, email: str, password: str) -> None:
        status, page = self.request("GET", "/compte/connexion")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, "no CSRF token on the sign-in page"
        status, _ = self.request(
            "POST",
            "/compte/connexion",
            {"email": email, "password": password, "csrf_token": token.group(1).decode()},
        )
        assert status == 302, f"sign-in failed ({status})"


@dataclass
class Timing:
    name: str
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[max(0, round(0.95 * len(ordered)) - 1)]

    def line(self, floor: Timing | None = None) -> str:
        """Median, p95 and max; with a floor, its p95 and the ratio of the two p95s."""
        text = (
            f"{self.name:<44} n={len(self.samples):>4}  median {self.median * 1000:7.1f} ms"
            f"  p95 {self.p95 * 1000:7.1f} ms  max {max(self.samples) * 1000:7.1f} ms"
        )
        if floor is not None:
            text += f"  | floor p95 {floor.p95 * 1000:6.1f} ms, ratio {self.p95 / floor.p95:5.1f}"
        return text


FLOOR_PATH = "/healthz"


def load(
    port: int,
    email: str,
    password: str,
    paths: Callable[[int], Iterable[str]],
    *,
    clients: int = 4,
    expect: int = 200,
) -> list[float]:
    """`clients` concurrent signed-in clients each GET their list of paths; the durations of all."""
    return load_with_floor(port, email, password, paths, clients=clients, expect=expect, floor=False)[0]


def load_with_floor(
    port: int,
    email: str,
    password: str,
    paths: Callable[[int], Iterable[str]],
    *,
    clients: int = 4,
    expect: int = 200,
    floor: bool = True,
) -> tuple[list[float], list[float]]:
    """As `load`, each client also asking `/healthz` (one query, no page) after each path: the
    durations of the pages, and those of the floor, measured under the same load."""

    def timed(client: Client, path: str) -> float:
        start = time.perf_counter()
        status, _ = client.request("GET", path)
        elapsed = time.perf_counter() - start
        assert status == expect, f"{path} answered {status}"
        return elapsed

    def run(index: int) -> tuple[list[float], list[float]]:
        client = Client(port)
        client.sign_in(email, password)
        pages, floors = [], []
        for path in paths(index):
            pages.append(timed(client, path))
            if floor:
                floors.append(timed(client, FLOOR_PATH))
        return pages, floors

    with ThreadPoolExecutor(clients) as pool:
        parts = list(pool.map(run, range(clients)))
    return [d for pages, _ in parts for d in pages], [d for _, floors in parts for d in floors]


def one_line_pdf() -> float:
    """The floor of a PDF figure: WeasyPrint rendering a document of one line, in seconds."""
    from weasyprint import HTML

    start = time.perf_counter()
    HTML(string="<p>Une ligne.</p>").write_pdf()
    return time.perf_counter() - start


def approved_request_row(
    base: dict, number: int, reference: str, title: str, start, end, first_fiscal_year: int, now
) -> dict:  # type: ignore[no-untyped-def]
    """One approved funding request, as a bulk-insert row (`base` gives organization and program)."""
    return base | {
        "id": number,
        "reference": reference,
        "status": "approved",
        "status_changed_at": now,
        "title": title,
        "summary": "",
        "objectives": "",
        "target_populations": "",
        "start_date": start,
        "end_date": end,
        "first_fiscal_year": first_fiscal_year,
        "recommendation_comment": "",
        "decision_conditions": "",
        "decision_reasons": "",
        "envelope_override_reason": "",
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def agreement_in_force_row(base: dict, number: int, agreement_number: str, start, end, now) -> dict:  # type: ignore[no-untyped-def]
    """The indexed, countersigned agreement of request `number`, as a bulk-insert row."""
    return base | {
        "id": number,
        "number": agreement_number,
        "request_id": number,
        "start_date": start,
        "end_date": end,
        "conditions": "",
        "indexed": True,
        "status": "countersigned",
        "signed_at": now,
        "created_at": now,
        "version": 1,
    }
