"""HTTP security headers for every answer (CSP without inline scripts, no framing, no sniffing),
and the one check of a `next` address before it is followed."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Response

MAX_NEXT_LENGTH = 2000

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Cache-Control", "no-store")
    return response


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: every `next` goes through here first.

    Browsers drop tabs and line breaks inside an address and read a backslash as a slash, so
    `/<tab>/host` would become `//host`, another site: such addresses are refused, as are absolute
    and scheme-relative ones. A line break would also break the Location header. Characters outside
    ASCII are percent-encoded so the header stays valid.
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return None
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return quote(target, safe="/?#[]@!$&'()*+,;=:%~")
