"""What every state table shares: refusing a move it does not list, with a message in words.

Each feature keeps its own table (requests, agreements, installments) and its own wording; this
module holds the mechanism, so a refusal reads and behaves the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

S = TypeVar("S")


class TransitionRefused(Exception):
    """The move is not in the table; `message` names the action and the current state.

    Subclasses set `template`, a lazy message with `%(action)s` and `%(status)s`."""

    template: Any = "%(action)s: %(status)s"

    def __init__(self, status: Any, event: Any) -> None:
        super().__init__(f"{event} not allowed from {status}")
        self.status, self.event = status, event

    @property
    def message(self) -> str:
        return str(self.template) % {"action": self.event.label, "status": self.status.label}


def next_state(
    table: Mapping[tuple[Any, Any], S], status: Any, event: Any, refused: type[TransitionRefused]
) -> S:
    """The state `event` leads to from `status`, or `refused(status, event)`."""
    try:
        return table[(status, event)]
    except KeyError:
        raise refused(status, event) from None
