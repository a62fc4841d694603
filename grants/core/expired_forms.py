"""A form sent with an expired or unrecognised CSRF token (the session ended while the tab stayed
open, the server's key changed): nothing is done, and the person gets the form back with what they
typed, a fresh token and why, instead of an error page.

Signed in (or on a public page, like sign-in), the page the form lives on (the address posted to when
it answers GET, else the page the person came from) is rendered again as a GET, in this request,
through its own view (so its own permission checks apply), and every field of the form that posts to
this address is given back its typed value; passwords and files are never echoed. Signed out on a
private page, the person is sent to sign in with a message saying so (what was typed is not kept).
Anything unexpected falls back to the plain "form expired" page: never a 500.
"""

from __future__ import annotations

import html as html_lib
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from grants.core.db import db
from grants.core.permissions import PUBLIC_ATTR
from grants.core.security import safe_next

# Inputs whose typed value is never written back into a page.
_NOT_ECHOED = {"password", "file", "submit", "button", "image", "reset"}


def answer() -> Any | None:
    """The page to answer a POST refused for its CSRF token, or None (show the error page)."""
    if request.method != "POST" or request.path.startswith("/api/"):
        return None
    try:
        posted = MultiDict(request.form)
    except Exception:  # a body that cannot be read (too large, malformed): nothing to give back
        return None
    found = _page()
    if found is None:
        return None
    rule, view_args, path = found
    view = current_app.view_functions.get(rule.endpoint)
    if view is None:
        return None
    if not current_user.is_authenticated and not getattr(view, PUBLIC_ATTR, False):
        flash(
            _(
                "Votre session a expiré : rien n'a été enregistré. Connectez-vous de nouveau, puis "
                "reprenez le formulaire (ce que vous aviez tapé n'a pas pu être conservé)."
            ),
            "error",
        )
        return redirect(url_for("accounts.login", next=safe_next(path)), 303)
    flash(
        _(
            "Votre session a expiré ou le formulaire n'était plus valide : rien n'a été enregistré. "
            "Ce que vous aviez tapé est remis dans le formulaire ; vérifiez-le puis envoyez-le de "
            "nouveau."
        ),
        "error",
    )
    posted_path = request.path
    saved = request.method, request.url_rule, request.view_args
    try:
        request.method, request.url_rule, request.view_args = "GET", rule, dict(view_args)
        response = current_app.make_response(current_app.ensure_sync(view)(**view_args))
    except HTTPException:
        return None
    except Exception:
        db.session.rollback()
        current_app.logger.exception("the page of an expired form could not be shown again")
        return None
    finally:
        request.method, request.url_rule, request.view_args = saved
    if response.mimetype != "text/html" or response.status_code != 200 or response.is_streamed:
        return response  # a redirect (the object moved on): the message goes with it
    page = response.get_data(as_text=True)
    response.set_data(refill(page, posted_path=posted_path, page_path=path, values=posted))
    response.status_code = 400
    return response


def _page() -> tuple[Any, dict[str, Any], str] | None:
    """The rule, arguments and path of the page holding the form: the address posted to when it
    answers GET, else the referring page of this site."""
    candidates = [request.path]
    if request.referrer:
        parts = urlsplit(request.referrer)
        if parts.netloc == request.host:
            candidates.append(parts.path)
    adapter = current_app.url_map.bind(request.host, script_name=request.script_root or "/")
    for path in candidates:
        try:
            rule, args = adapter.match(path, method="GET", return_rule=True)
        except (RequestRedirect, HTTPException):
            continue
        return rule, args, path
    return None


def refill(page: str, *, posted_path: str, page_path: str, values: MultiDict) -> str:
    """`page` with the fields of each form that posts to `posted_path` showing `values` (what was
    typed); the CSRF token stays the page's fresh one."""
    editor = _Refill(page, posted_path=posted_path, page_path=page_path, values=values)
    editor.feed(page)
    editor.close()
    return editor.result()


class _Refill(HTMLParser):
    def __init__(self, page: str, *, posted_path: str, page_path: str, values: MultiDict) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self.values = page, values
        self.posted_path, self.page_path = posted_path, page_path
        self.line_starts = [0]
        for index, char in enumerate(page):
            if char == "\n":
                self.line_starts.append(index + 1)
        self.edits: list[tuple[int, int, str]] = []
        self.in_form = False
        self.select: str | None = None
        self.textarea: tuple[str, int] | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _replace_tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        start = self._offset()
        parts = [tag] + [
            name if value is None else f'{name}="{html_lib.escape(value, quote=True)}"'
            for name, value in attrs
        ]
        closing = "/>" if raw.rstrip().endswith("/>") else ">"
        self.edits.append((start, start + len(raw), "<" + " ".join(parts) + closing))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if tag == "form":
            action = given.get("action") or self.page_path
            self.in_form = urlsplit(action).path == self.posted_path
            return
        if not self.in_form:
            return
        name = given.get("name") or ""
        if tag == "input" and name and name != "csrf_token":
            kind = (given.get("type") or "text").lower()
            if kind in _NOT_ECHOED:
                return
            if kind == "hidden" and not name.endswith("version"):
                return  # page state (an action's event), not typed; the version keeps the one seen
            if kind in {"checkbox", "radio"}:
                chosen = (given.get("value") or "on") in self.values.getlist(name)
                kept = [(k, v) for k, v in attrs if k != "checked"]
                self._replace_tag(tag, kept + ([("checked", None)] if chosen else []))
            elif name in self.values:
                kept = [(k, v) for k, v in attrs if k != "value"]
                self._replace_tag(tag, [*kept, ("value", self.values.get(name, ""))])
        elif tag == "select":
            self.select = name or None
        elif tag == "option" and self.select and self.select in self.values and "value" in given:
            chosen = given.get("value") in self.values.getlist(self.select)
            kept = [(k, v) for k, v in attrs if k != "selected"]
            self._replace_tag(tag, kept + ([("selected", None)] if chosen else []))
        elif tag == "textarea" and name in self.values:
            raw = self.get_starttag_text() or ""
            self.textarea = (name, self._offset() + len(raw))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, start = self.textarea
            self.edits.append((start, self._offset(), "\r\n" + html_lib.escape(self.values.get(name, ""))))
            self.textarea = None

    def result(self) -> str:
        out, last = [], 0
        for start, end, text in sorted(self.edits):
            out += [self.page[last:start], text]
            last = end
        out.append(self.page[last:])
        return "".join(out)
