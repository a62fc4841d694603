"""What every page template can use: formatting filters, the language, the user's roles."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask
from flask_login import current_user

from grants.core import permissions
from grants.core.fields import error_links
from grants.core.formatting import JINJA_FILTERS
from grants.core.i18n import current_language, rendered_language, with_language
from grants.core.i18n_fields import in_own_language, lang_attr
from grants.core.pdf import css_string


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(JINJA_FILTERS)
    app.jinja_env.filters["css_string"] = css_string
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.context_processor(_context)
    app.jinja_env.globals["absolute_url"] = absolute_url
    app.jinja_env.filters["in_language"] = in_language
    app.jinja_env.globals["error_links"] = error_links
    app.jinja_env.filters["lang_attr"] = lang_attr
    app.jinja_env.filters["in_own_language"] = in_own_language


def label_filters(blueprint: Blueprint, **enums: Any) -> None:
    """Register one filter per enum that shows a stored value in words: `label_filters(blueprint,
    trigger_label=InstallmentTrigger)` makes `value|trigger_label` read `InstallmentTrigger(value).label`."""
    for name, enum in enums.items():
        blueprint.add_app_template_filter(lambda value, enum=enum: enum(value).label, name)


def absolute_url(endpoint: str, **values: Any) -> str:
    """An address for emails and documents, built on BASE_URL, with or without a request; it
    carries the language the text is written in (`lang=en`), so the page opens in that language."""
    from flask import current_app

    adapter = current_app.url_map.bind("localhost", script_name="/")
    return in_language(current_app.config["BASE_URL"].rstrip("/") + adapter.build(endpoint, values))


def in_language(url: str) -> str:
    """`url` with `lang=<the language being rendered>` added (an emailed link opens in the language
    of its email, before the recipient signs in); see `grants.core.i18n.select_locale`."""
    return with_language(url, rendered_language())


def _context() -> dict[str, Any]:
    language = current_language()
    return {
        "current_language": language,
        "other_language": "en" if language == "fr" else "fr",
        "is_staff": permissions.is_staff(current_user),
        "is_admin": permissions.is_admin(current_user),
        "can_supervise_funding": permissions.can_supervise_funding(current_user),
        "can_open_indexation": permissions.can_open_indexation(current_user),
    }
