"""Language choice: the user's preference, then the visitor's choice, then French (fr_CA)."""

from __future__ import annotations

from flask import current_app, has_request_context, session
from flask_login import current_user

SESSION_KEY = "language"


def select_locale() -> str:
    languages: dict[str, str] = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, Celery, unit tests: French unless forced
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get(SESSION_KEY)
    if not chosen and getattr(current_user, "is_authenticated", False):
        chosen = current_user.preferred_language
    return languages.get(chosen or "", current_app.config["BABEL_DEFAULT_LOCALE"])


def current_language() -> str:
    """`fr` or `en`: the short code used in URLs, HTML lang attributes and emails."""
    if not has_request_context():
        return "fr"
    return select_locale().split("_")[0]


def locale_for_language(language: str | None) -> str:
    return current_app.config["LANGUAGES"].get(language or "fr", "fr_CA")
