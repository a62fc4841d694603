"""Rules for an organization's identifiers: the NEQ is exactly 10 digits (no published checksum)."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\u00a0\u202f-]")


def normalize_neq(value: str | None) -> str | None:
    """Strip the spaces and dashes people type; None when empty."""
    if value is None:
        return None
    digits = _SEPARATORS.sub("", value)
    return digits or None


def is_valid_neq(value: str | None) -> bool:
    return value is not None and len(value) == 10 and value.isdigit()


_POSTAL = re.compile(r"^[A-Za-z]\d[A-Za-z]\s?\d[A-Za-z]\d$")


def normalize_postal_code(value: str | None) -> str:
    """`h2x1y4` → `H2X 1Y4`; empty stays empty."""
    text = (value or "").strip().upper().replace(" ", "")
    return f"{text[:3]} {text[3:]}" if len(text) == 6 else text


def is_valid_postal_code(value: str) -> bool:
    return not value or bool(_POSTAL.match(value))
