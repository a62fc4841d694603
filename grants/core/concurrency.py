"""Optimistic locking: a page carries the version of the object it shows; a change made meanwhile
by someone else is refused, and the person sees the current state instead of a 500.

Models that can be edited by two people at once map a `version` column as SQLAlchemy's
`version_id_col`. Forms carry it in a `VersionField` (grants.core.fields); operations wrap their change in
`optimistic(obj, expected_version)`; views catch `ConcurrentChange`. One mechanism, one message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from grants.core.db import db, identity_of

MESSAGE = _l(
    "Ce dossier a été modifié par quelqu'un d'autre pendant que vous le consultiez ; voici son état actuel."
)


class ConcurrentChange(RuntimeError):
    """The object changed since the page was opened; `object_id` names it, `message` says so."""

    def __init__(self, object_id: Any = None, message: Any = None) -> None:
        super().__init__(f"concurrent change of {object_id}")
        self.object_id = object_id
        self._message = message

    @property
    def message(self) -> str:
        return str(self._message or MESSAGE)


def parse_version(raw: Any) -> int | None:
    """A version sent back by a form: a small positive integer, anything else is 'unknown'."""
    text = str(raw or "").strip()
    if not re.fullmatch(r"[0-9]{1,9}", text):  # not str.isdigit(): it takes "²", which int() refuses
        return None
    return int(text)


def check_version(obj: Any, expected_version: int | None, *, attribute: str = "version") -> None:
    """Refuse at once when the page's version is not the object's (no flush needed)."""
    if expected_version is not None and expected_version != getattr(obj, attribute):
        raise ConcurrentChange(identity_of(obj))


@contextmanager
def optimistic(obj: Any, expected_version: int | None = None) -> Iterator[None]:
    """Run a change of `obj` and flush it; a version that moved meanwhile (checked before, or
    caught by the database at flush) becomes `ConcurrentChange`."""
    object_id = identity_of(obj)
    check_version(obj, expected_version)
    try:
        yield
        db.session.flush()
    except StaleDataError as error:
        raise ConcurrentChange(object_id) from error


def flush_or_refuse(obj: Any) -> None:
    """Flush the session; a concurrent change of `obj` becomes `ConcurrentChange`."""
    object_id = identity_of(obj)
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConcurrentChange(object_id) from error
