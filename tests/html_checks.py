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


_CONTROLS = {"input", "select", "textarea", "button"}


class _Page(HTMLParser):
    """The ids of a page, the error summary's links, the form controls (with the fieldsets around
    them) and the error messages: what `error_summary_problems` and `error_ties` read."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: dict[str, tuple[str, dict[str, str]]] = {}
        self.summary_links: list[str] = []
        self.controls: list[tuple[str, dict[str, str], list[str]]] = []
        self.error_ids: list[str] = []
        self.described: list[tuple[str, str]] = []
        self.fieldsets: list[str] = []
        self._summary_depth = 0
        self._text_of: str | None = None
        self.texts: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        ident = values.get("id")
        classes = values.get("class", "").split()
        if ident:
            self.elements.setdefault(ident, (tag, values))
        if tag == "div" and self._summary_depth:
            self._summary_depth += 1
        elif tag == "div" and "error-summary" in classes:
            self._summary_depth = 1
        if tag == "a" and self._summary_depth and values.get("href", "").startswith("#"):
            self.summary_links.append(values["href"][1:])
        if tag == "fieldset":
            self.fieldsets.append(ident or "")
        if tag in _CONTROLS:
            self.controls.append((tag, values, list(self.fieldsets)))
        if "error-message" in classes and ident:
            self.error_ids.append(ident)
        if values.get("aria-describedby"):
            self.described.append((tag, values["aria-describedby"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._summary_depth:
            self._summary_depth -= 1
        if tag == "fieldset" and self.fieldsets:
            self.fieldsets.pop()


def _page(html: str) -> _Page:
    parser = _Page()
    parser.feed(html)
    parser.close()
    return parser


def error_summary_problems(html: str) -> list[str]:
    """Every link of an error summary reaches an element of the page (`href="#x"` and an `id="x"`),
    and every id an `aria-describedby` names exists: checked on every page the suite renders."""
    page = _page(html)
    problems = [
        f"error summary links to #{target}, which is not on the page"
        for target in page.summary_links
        if target not in page.elements
    ]
    for tag, names in page.described:
        problems += [
            f"<{tag}> aria-describedby names #{name}, which is not on the page"
            for name in names.split()
            if name not in page.elements
        ]
    return problems


def error_ties(html: str, *, standalone: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Whether each error of a page is tied to its field: every error message (an element of class
    `error-message` with an id) is named by the aria-describedby of a control marked
    aria-invalid="true"; every link of the error summary reaches that control, or the fieldset
    around it. `standalone` names the error messages that belong to no control (a closed call)."""
    page = _page(html)
    problems = error_summary_problems(html)
    invalid = [
        (tag, values, around) for tag, values, around in page.controls if values.get("aria-invalid") == "true"
    ]
    described_by_invalid = {
        name for _, values, _ in invalid for name in values.get("aria-describedby", "").split()
    }
    for error_id in page.error_ids:
        if error_id not in described_by_invalid and error_id not in standalone:
            problems.append(f"error #{error_id} is named by no invalid control's aria-describedby")
    for _, values, _ in invalid:
        if not set(values.get("aria-describedby", "").split()) & set(page.error_ids):
            problems.append(f"invalid control #{values.get('id')} names no error message")
    for target in page.summary_links:
        if target in page.elements and target not in {s.removesuffix("-error") for s in standalone}:
            reached = any(values.get("id") == target or target in around for _, values, around in invalid)
            if not reached:
                problems.append(f"error summary link #{target} reaches no invalid control")
    if not page.summary_links and page.error_ids:
        problems.append("errors on the page but no error summary link")
    return problems


def summary_targets(html: str) -> list[str]:
    """The ids the page's error summary links to."""
    return _page(html).summary_links


def labels_of(html: str) -> list[str]:
    """The visible text of every <label> of the page, in order (for unique labels)."""
    found: list[str] = []

    class _Labels(HTMLParser):
        depth = 0
        text = ""

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "label":
                self.depth, self.text = self.depth + 1, ""

        def handle_endtag(self, tag: str) -> None:
            if tag == "label" and self.depth:
                self.depth -= 1
                found.append(" ".join(self.text.split()))

        def handle_data(self, data: str) -> None:
            if self.depth:
                self.text += data

    parser = _Labels(convert_charrefs=True)
    parser.feed(html)
    parser.close()
    return found


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def texts_not_in_language(html: str, texts: list[str], language: str = "fr") -> tuple[set[str], set[str]]:
    """Which of `texts` the page shows (found), and which of those appear somewhere outside an
    element whose nearest `lang` is `language` (wrong): French reference data in an English page
    must sit inside `lang="fr"`."""
    found: set[str] = set()
    wrong: set[str] = set()

    class _Walk(HTMLParser):
        stack: list[tuple[str, str | None]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag not in _VOID:
                self.stack.append((tag, dict(attrs).get("lang")))

        def handle_endtag(self, tag: str) -> None:
            for index in range(len(self.stack) - 1, -1, -1):
                if self.stack[index][0] == tag:
                    del self.stack[index:]
                    return

        def handle_data(self, data: str) -> None:
            text = " ".join(data.split())
            hits = [t for t in texts if t in text]
            if not hits:
                return
            nearest = next((lang for _, lang in reversed(self.stack) if lang), None)
            found.update(hits)
            if nearest is None or not nearest.lower().startswith(language):
                wrong.update(hits)

    walker = _Walk(convert_charrefs=True)
    walker.stack = []
    walker.feed(html)
    walker.close()
    return found, wrong
