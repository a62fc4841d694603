"""Small helpers the tests share."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client: Any, url: str) -> str:
    """Open a page and read the CSRF token of its form, as a browser would."""
    html = client.get(url).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no CSRF token on {url}"
    return next(group for group in match.groups() if group)


def normalize_spaces(text: str) -> str:
    """Babel writes fr_CA amounts with no-break spaces: compare after folding them."""
    return re.sub(r"[\u00a0\u202f]", " ", text)
