"""The page of a list a request asks for (`?page=`, `?per_page=`), kept in range: below both the
database handle (its `paginate`) and the list helpers (grants.core.listing)."""

from __future__ import annotations

from flask import request

PAGE_SIZES = (25, 50, 100)
MAX_PAGE = 100_000
"""No list reaches this page; a larger `?page=` is read as this one (an OFFSET stays in range)."""


def page_number() -> int:
    """`?page=`, between 1 and MAX_PAGE; anything that is not a whole number is page 1."""
    try:
        number = int(request.args.get("page", 1))
    except ValueError:
        return 1
    return min(max(1, number), MAX_PAGE)


def page_size() -> int:
    try:
        size = int(request.args.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]
