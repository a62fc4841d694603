"""The cell's pages: budget (see the package docstring)."""

from __future__ import annotations

from grants.coordination.views import blueprint  # noqa: F401  (routes register on it)
