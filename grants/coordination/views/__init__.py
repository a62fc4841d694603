"""The coordination cell's pages, one blueprint in small modules: the imports of other ministries'
funding (`imports`), the organizations as matched and the cell's confirm/split decisions
(`matching`), the flags and their reviews (`flags`), the budget by plan axis and measure and the
cumulative aid (`budget`). `home` is the cell's landing page.

Every page here is the cell's and the administrators' only: anyone else gets 404, checked once for
the whole blueprint (`_only_the_cell`)."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from grants.core.permissions import can_supervise_funding

blueprint = Blueprint("coordination", __name__, url_prefix="/cellule")


@blueprint.before_request
def _only_the_cell() -> None:
    if not can_supervise_funding(current_user):
        abort(404)


from grants.coordination.views import budget, flags, home, imports, matching  # noqa: E402

__all__ = ["blueprint", "budget", "flags", "home", "imports", "matching"]
