"""Enumerations whose members carry their words: a state, an event or a kind and its label.

`SENT = "sent", _l("Envoyée à l'organisme")` declares the stored value and the (lazy) label on one
line, so a member can never be added without its words, and no mapping repeats the members."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class LabelledEnum(StrEnum):
    """A StrEnum (stored and compared as its value) whose members carry a translated `label`."""

    _label: Any

    def __new__(cls, value: str, label: Any = None) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = value if label is None else label
        return member

    @property
    def label(self) -> str:
        """The member's words in the current language."""
        return str(self._label)
