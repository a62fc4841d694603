"""Enumerations whose members people read: each member has a translated label, declared once.

    class Recommendation(LabelledEnum):
        APPROVE = "approve"
        REFUSE = "refuse"

    Recommendation.labelled({Recommendation.APPROVE: _l("Accepter"), Recommendation.REFUSE: _l("Refuser")})

`member.label` is then the label in the reader's language (lazy strings are resolved when read).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

L = TypeVar("L", bound="LabelledEnum")

_LABELS: dict[type, dict[Any, Any]] = {}


class LabelledEnum(StrEnum):
    """A StrEnum (stored as its value) with a translated `label` per member."""

    @property
    def label(self) -> str:
        return str(_LABELS[type(self)][self])

    @classmethod
    def labelled(cls: type[L], labels: Mapping[L, Any]) -> dict[L, Any]:
        """Give every member its label (all of them: a member without one is a programming error)."""
        missing = [member for member in cls if member not in labels]
        if missing:
            raise ValueError(f"{cls.__name__}: no label for {', '.join(missing)}")
        _LABELS[cls] = dict(labels)
        return _LABELS[cls]
