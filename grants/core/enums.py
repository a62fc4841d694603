"""Enumerations whose members people read: each member carries its translated label, declared once.

Two ways to declare the words, both checked:

    class AgreementStatus(LabelledEnum):
        SENT = "sent", _l("Envoyée à l'organisme")      # value and label on one line

    class Recommendation(LabelledEnum):
        APPROVE = "approve"
        REFUSE = "refuse"

    Recommendation.labelled({Recommendation.APPROVE: _l("Accepter"), Recommendation.REFUSE: _l("Refuser")})

`member.label` is the label in the reader's language (lazy strings are resolved when read).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

L = TypeVar("L", bound="LabelledEnum")

_LABELS: dict[type, dict[Any, Any]] = {}


class LabelledEnum(StrEnum):
    """A StrEnum (stored and compared as its value) whose members carry a translated `label`."""

    _label: Any

    def __new__(cls, value: str, label: Any = None) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        """The member's words in the current language."""
        if self._label is not None:
            return str(self._label)
        return str(_LABELS[type(self)][self])

    @classmethod
    def labelled(cls: type[L], labels: Mapping[L, Any]) -> dict[L, Any]:
        """Give every member its label (all of them: a member without one is a programming error)."""
        missing = [member for member in cls if member not in labels]
        if missing:
            raise ValueError(f"{cls.__name__}: no label for {', '.join(missing)}")
        _LABELS[cls] = dict(labels)
        return _LABELS[cls]


def label_of(enum: type[Any], attribute: str) -> property:
    """A property answering the label of the member held in `attribute` ("" when it holds none):
    `status_label = label_of(ReportStatus, "status")` on a model."""

    def label(obj: Any) -> str:
        value = getattr(obj, attribute)
        return enum(value).label if value else ""

    return property(label, doc=f"The label of `{attribute}` in the reader's language.")
