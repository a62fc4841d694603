"""The officer's side of a request, one blueprint in small modules: the queue (`queue`), the
request's analysis page and its file work — assignment, grid, information request (`file`), and the
recommendation and decision (`decision`). `page` holds what they share: loading a request with its
permission, the page's forms and its rendering."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("review", __name__, url_prefix="/analyse")

from grants.review.views import decision, file, queue  # noqa: E402  (the routes register on the blueprint)

__all__ = ["blueprint", "decision", "file", "queue"]
