"""Bar charts drawn as SVG (no script, no image file): the figures a chart shows, computed in
Python; `templates/macros/charts.html` (`bars`) draws them, in pages and PDFs alike, each with its
`<title>` and `<desc>` (the text alternative) beside the table that gives the same figures."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, its length as a share of the longest (0 to 1), its text."""

    label: str
    fraction: float
    text: str
    kind: str = ""  # a CSS class: the series it belongs to


@dataclass(frozen=True)
class Marker:
    """A vertical line across a chart (a floor, a target): where it falls (0 to 1) and its text."""

    fraction: float
    text: str
