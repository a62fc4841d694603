"""Configuration read from the environment, with embedded defaults that need no external service.

`make run` with nothing set uses a SQLite file and an embedded Celery broker (kombu's SQLAlchemy
transport on SQLite), both under `instance/`. `DATABASE_URL` and `REDIS_URL` switch to
PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = Path(os.environ.get("GRANTS_INSTANCE_PATH", ROOT / "instance"))
# Quebec's time zone: every "today" of the product is the date there (grants.core.clock).
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Montreal")


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Use SECRET_KEY, or a key generated once and kept in instance/ so sessions survive restarts."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'grants.sqlite'}"
    # Accept the plain postgresql:// form and route it to psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Settings for `make run` and production; every value can be overridden by the environment."""

    INSTANCE_PATH = str(INSTANCE)
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    REDIS_URL = os.environ.get("REDIS_URL") or None
    CELERY_BROKER_URL = REDIS_URL or f"sqla+sqlite:///{INSTANCE / 'celery-broker.sqlite'}"
    CELERY_ALWAYS_EAGER = _bool("CELERY_ALWAYS_EAGER", False)
    # Where the tasks queued by name (grants.core.tasks) are registered: the worker shell.
    CELERY_TASK_MODULES = ("workers.tasks",)

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "8025"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Subventions <no-reply@subventions.example>")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    # Seconds before a failed delivery is tried again (doubled each time, capped at one hour).
    MAIL_RETRY_DELAY = int(os.environ.get("MAIL_RETRY_DELAY", "60"))
    # A failure that will not pass (a 5xx answer for the address or the message) is tried this many
    # times, then the message is marked failed with its reason (shown on the outbox page).
    MAIL_PERMANENT_FAILURE_TRIES = max(1, int(os.environ.get("MAIL_PERMANENT_FAILURE_TRIES", "3")))
    # A queued message older than this many seconds is handed to the worker again by the sweep.
    MAIL_SWEEP_AFTER = int(os.environ.get("MAIL_SWEEP_AFTER", "120"))
    MAIL_SWEEP_INTERVAL = float(os.environ.get("MAIL_SWEEP_INTERVAL", "60"))

    BABEL_DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "fr_CA")
    TIME_ZONE = TIME_ZONE
    BABEL_DEFAULT_TIMEZONE = TIME_ZONE
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "grants" / "translations")
    LANGUAGES = {"fr": "fr_CA", "en": "en_CA"}

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = int(os.environ.get("SESSION_LIFETIME", str(8 * 3600)))
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead, so a long form is never lost

    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
    PASSWORD_RESET_HOURS = int(os.environ.get("PASSWORD_RESET_HOURS", "2"))
    INVITATION_DAYS = int(os.environ.get("INVITATION_DAYS", "14"))
    PASSWORD_MIN_LENGTH = 12

    # Public address used in emailed links.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    # One uploaded file may weigh MAX_ATTACHMENT_MB; a whole form up to MAX_REQUEST_MB, so that a file
    # over the per-file limit is refused with a message on the kept form rather than a bare 413.
    MAX_ATTACHMENT_BYTES = int(os.environ.get("MAX_ATTACHMENT_MB", "10")) * 1024 * 1024
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_REQUEST_MB", "60")) * 1024 * 1024
    FILE_STORAGE_PATH = os.environ.get("FILE_STORAGE_PATH") or str(INSTANCE / "files")
    # A CSV of other ministries' funding the coordination cell uploads (its page accepts a body of
    # this size even above MAX_CONTENT_LENGTH; a larger one gets a page naming the limit).
    FUNDING_IMPORT_MAX_BYTES = int(os.environ.get("FUNDING_IMPORT_MAX_MB", "100")) * 1024 * 1024

    # In every aggregate the ministry sees or exports, a count from 1 to SUPPRESSION_THRESHOLD - 1 is
    # shown `< 5` and protected by secondary suppression (grants/core/suppression.py).
    SUPPRESSION_THRESHOLD = int(os.environ.get("SUPPRESSION_THRESHOLD", "5"))
    # A fixed indexation rate (in percent) the ministry records must lie within these bounds.
    INDEXATION_RATE_MIN = Decimal(os.environ.get("INDEXATION_RATE_MIN", "-10"))
    INDEXATION_RATE_MAX = Decimal(os.environ.get("INDEXATION_RATE_MAX", "20"))
    # Reporting (CONVENTIONS.md, "Reporting"): a report falls due so many months after the end of
    # the period it covers (mid-year: 30 September -> 31 October; annual: 31 March -> 30 June),
    # and a part of a fiscal year shorter than REPORT_MIN_PERIOD_DAYS gets no report of its own
    # (a mid-year report is dropped; an annual one is merged into the neighbouring year's).
    REPORT_MIDYEAR_DUE_MONTHS = int(os.environ.get("REPORT_MIDYEAR_DUE_MONTHS", "1"))
    REPORT_ANNUAL_DUE_MONTHS = int(os.environ.get("REPORT_ANNUAL_DUE_MONTHS", "3"))
    REPORT_MIN_PERIOD_DAYS = int(os.environ.get("REPORT_MIN_PERIOD_DAYS", "60"))


class TestConfig(Config):
    """The suite's settings: PostgreSQL and Redis on loopback, fast retries, no Secure-only cookies."""

    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "TEST_DATABASE_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/grants_test"
    )
    REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    CELERY_BROKER_URL = REDIS_URL
    MAIL_RETRY_DELAY = 1
    MAIL_SWEEP_AFTER = 2
    MAIL_SWEEP_INTERVAL = 2
    MAIL_TIMEOUT = 3
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    BASE_URL = "http://127.0.0.1"
    MAX_ATTACHMENT_BYTES = 1024 * 1024
    FILE_STORAGE_PATH = str(
        Path(os.environ.get("GRANTS_INSTANCE_PATH", "/tmp/grants-test-instance")) / "files"
    )
