"""Language choice: a link's `lang` parameter, then the visitor's choice, then the user's
preference, then French (fr_CA)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

SESSION_KEY = "language"
QUERY_KEY = "lang"  # emailed links carry the language of their email: `?lang=en`


def select_locale() -> str:
    languages: dict[str, str] = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, Celery, unit tests: French unless forced
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    from_link = request.args.get(QUERY_KEY)
    if from_link in languages and session.get(SESSION_KEY) != from_link:
        session[SESSION_KEY] = from_link  # the next pages keep the link's language
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


def rendered_language() -> str:
    """`fr` or `en`: the language of the text being rendered (an email's, under force_locale)."""
    locale = get_locale()
    return locale.language if locale is not None else "fr"


def with_language(url: str, language: str | None) -> str:
    """`url` with its `lang` parameter set to `language` (removed when `language` is None)."""
    parts = urlsplit(url)
    if language is None and QUERY_KEY not in dict(parse_qsl(parts.query)):
        return url
    query = [
        (key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != QUERY_KEY
    ]
    if language:
        query.append((QUERY_KEY, language))
    return urlunsplit(parts._replace(query=urlencode(query)))
