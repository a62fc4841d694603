"""The test harness, on real parts: PostgreSQL, Redis, a Celery worker process, an SMTP server on
loopback (aiosmtpd), the app served over HTTP, and headless Chromium through Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The configuration is read at import: set it before the application is imported anywhere.
SMTP_PORT = _free_port()
os.environ["GRANTS_CONFIG"] = "config.TestConfig"
os.environ["MAIL_PORT"] = str(SMTP_PORT)
os.environ.setdefault("GRANTS_INSTANCE_PATH", "/tmp/grants-test-instance")
ROOT = Path(__file__).resolve().parent.parent

import contextvars  # noqa: E402

from flask.globals import _cv_app  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import make_url, text  # noqa: E402

from config import TestConfig  # noqa: E402
from grants import create_app  # noqa: E402
from grants.core.db import db  # noqa: E402
from tests.smtp import SMTPServer  # noqa: E402

# Tables that reference data lives in: kept between tests. Everything else is emptied.
REFERENCE_TABLES = {
    "alembic_version",
    "regions",
    "nations",
    "ministries",
    "action_plans",
    "plan_axes",
    "measures",
    "recommendations",
    "measure_recommendations",
    "programs",
    "assessment_criteria",
    "cpi_series",
    "cpi_values",
    "indexation_rules",
    "indexation_fixed_rates",
    "report_indicators",
    "report_settings",
}


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (its own `g` and database session), as it does in
    production, even though the test itself holds an app context open."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        def run() -> Any:
            _cv_app.set(None)
            response = FlaskClient.open(self, *args, **kwargs)
            response.get_data()  # drain streamed bodies (CSV) inside the request's own context
            return response

        return contextvars.copy_context().run(run)


def _recreate_database(url: str) -> None:
    import psycopg

    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (parsed.database,),
        )
        connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}"')
        connection.execute(f"CREATE DATABASE \"{parsed.database}\" ENCODING 'UTF8' TEMPLATE template0")


@pytest.fixture(scope="session")
def app() -> Iterator[Any]:
    _recreate_database(TestConfig.SQLALCHEMY_DATABASE_URI)
    import redis

    redis.Redis.from_url(TestConfig.REDIS_URL).flushdb()
    application = create_app("config.TestConfig")
    application.test_client_class = IsolatedClient
    application.after_request(_check_html)
    with application.app_context():
        from flask_migrate import upgrade

        from grants.cli import load_reference

        upgrade()
        load_reference()
        db.session.commit()
    yield application


# Problems found in the HTML pages rendered during the current test (see tests/html_checks.py).
HTML_PROBLEMS: list[str] = []


def _check_html(response: Any) -> Any:
    """Parse every HTML page the suite renders (test client and live server alike)."""
    if response.mimetype == "text/html" and not response.is_streamed:
        from flask import request

        from tests.html_checks import error_summary_problems, nested_forms

        html = response.get_data(True)
        HTML_PROBLEMS.extend(
            f"{request.path}: {problem}" for problem in nested_forms(html) + error_summary_problems(html)
        )
    return response


@pytest.fixture(autouse=True)
def _html_is_well_formed() -> Iterator[None]:
    """No page may nest a form in another (the browser would cut the outer form short), nor type a
    money input as a number (the browser would drop the decimal comma), nor link its error summary
    (or an aria-describedby) to an element that is not there."""
    HTML_PROBLEMS.clear()
    yield
    problems, HTML_PROBLEMS[:] = list(HTML_PROBLEMS), []
    assert not problems, (
        "HTML problems (nested forms, money inputs not typed as text, dangling error links):\n"
        + "\n".join(problems)
    )


@pytest.fixture(autouse=True)
def _app_context(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test runs in an app context on the test database, emptied afterwards; a module marked
    `pytest.mark.pure` (value types, formatting, rules) needs neither PostgreSQL nor Redis."""
    if request.node.get_closest_marker("pure") is not None:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
        _truncate(tables)


def _truncate(tables: list[str], attempts: int = 10) -> None:
    """Empty the tables; a Celery task still finishing (a notice, an email) may hold a lock that
    makes PostgreSQL pick the TRUNCATE as a deadlock victim: try again. A task that waits on a
    second connection of its own (a job claimed apart) while its first holds a lock is a wait
    PostgreSQL cannot see: the TRUNCATE, queued between them, would wait for ever; it gives up
    after a few seconds instead, lets the task finish, and tries again."""
    from sqlalchemy.exc import OperationalError

    for attempt in range(attempts):
        try:
            with db.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SET LOCAL lock_timeout = '5s'"))
                connection.execute(text("TRUNCATE " + ", ".join(tables) + " CASCADE"))
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.3)


@pytest.fixture
def cpi_sandbox(app: Any) -> Iterator[None]:
    """For tests that change the CPI series or the indexation rules (reference data): put the
    shipped series and the default rules back afterwards."""
    yield
    db.session.rollback()
    with db.engine.begin() as connection:
        connection.execute(
            text("TRUNCATE indexation_fixed_rates, indexation_rules, cpi_values, cpi_series CASCADE")
        )
    from grants.cpi.seed import seed_cpi
    from grants.indexation.seed import seed_rules

    seed_cpi()
    seed_rules()
    db.session.commit()


@pytest.fixture
def accountability_sandbox(app: Any) -> Iterator[None]:
    """For tests that edit a program's indicators or report settings (reference data): put the
    seeded ones back afterwards."""
    yield
    db.session.rollback()
    with db.engine.begin() as connection:
        connection.execute(text("TRUNCATE report_indicators, report_settings CASCADE"))
    from grants.accountability.seed import seed_accountability

    seed_accountability()
    db.session.commit()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def sign_in(client: Any) -> Callable[..., Any]:
    """Sign a user in through the real sign-in form (CSRF token included)."""
    from tests.factories import PASSWORD
    from tests.helpers import csrf_token

    def do(user: Any, password: str = PASSWORD, target: Any = None) -> Any:
        target = target or client
        token = csrf_token(target, "/compte/connexion")
        response = target.post(
            "/compte/connexion",
            data={"email": user.email, "password": password, "csrf_token": token},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return target

    return do


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer("127.0.0.1", SMTP_PORT)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp_server: SMTPServer) -> SMTPServer:
    if not smtp_server.running:
        smtp_server.start()
    smtp_server.clear()
    return smtp_server


@pytest.fixture(scope="session")
def celery_worker(app: Any, smtp_server: SMTPServer) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process on the test Redis and the test database."""
    env = dict(os.environ)
    log = open(Path(os.environ["GRANTS_INSTANCE_PATH"]) / "worker.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.celery_app:celery",
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    celery = app.extensions["celery"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the Celery worker did not start; see worker.log")
        if celery.control.ping(timeout=0.5):
            break
    else:
        process.terminate()
        raise RuntimeError("the Celery worker did not answer within 60 s")
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="session")
def live_server(app: Any) -> Iterator[str]:
    """The application served over HTTP on loopback, in a thread of this process."""
    from werkzeug.serving import make_server

    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    app.config["BASE_URL"] = url
    yield url
    server.shutdown()


def wait_until(predicate: Callable[[], Any], timeout: float = 20, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
