"""Checks run on every HTML page the suite renders (hooked in conftest.py): a page that breaks
them fails the test that rendered it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# The names of every money input of the product (requests, calls, envelopes, decisions, amendments,
# schedules): they must be text boxes, since a number box drops the Quebec decimal comma.
MONEY_INPUT_NAME = re.compile(r"(^|-)(amount|annual_max|approved-\d{4}|budget-\d{4}-.+)$")


class _FormNesting(HTMLParser):
    """Finds a <form> opened inside another: the browser drops the inner start tag and closes the
    outer form at the inner end tag, so the outer form's later fields and buttons send nothing."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open_forms: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            values = dict(attrs)
            name = values.get("name") or ""
            is_money = MONEY_INPUT_NAME.search(name) or "money-input" in (values.get("class") or "")
            if is_money and (values.get("type") or "text") != "text":
                self.problems.append(f"money input {name!r} is type={values.get('type')!r}, not text")
            return
        if tag != "form":
            return
        described = _describe(attrs, self.getpos())
        if self.open_forms:
            self.problems.append(f"{described} is nested inside {self.open_forms[-1]}")
        self.open_forms.append(described)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.open_forms:
            self.open_forms.pop()


def _describe(attrs: list[tuple[str, str | None]], position: tuple[int, int]) -> str:
    values = dict(attrs)
    label = values.get("id") or values.get("action") or ""
    return f"<form {label}> (line {position[0]})"


def nested_forms(html: str) -> list[str]:
    """Every form nested inside another on this page (and every money input that is not a text
    box), described for the failure message."""
    parser = _FormNesting()
    parser.feed(html)
    parser.close()
    return parser.problems
