"""What every state table shares: one `Workflow` per kind of object, the only way its status moves.

A feature declares its states (an enum), its events (an enum) and one table of allowed moves in its
`workflow.py`, written state by state with `moves()`, and its `Workflow` on that table (the enums
are read from the table); `Workflow.move()` checks the table (and any condition attached to an event), writes
the new status, the audit entry and sends the feature's signal. The status column is guarded:
assigning it anywhere else raises `StatusWriteRefused`, so a state change cannot go around its table.
A new object may be created in any state (its first status is a fact, not a move).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import event, inspect

S = TypeVar("S", bound=StrEnum)
E = TypeVar("E", bound=StrEnum)

Condition = Callable[[Any], Any]
"""A check run before a move: returns None when the move may go on, else a message saying why not."""

_moving: ContextVar[frozenset[int]] = ContextVar("grants_workflow_moving", default=frozenset())


class TransitionRefused(Exception):
    """The move is not in the table, or a condition refused it; `message` says why in words.

    Subclasses set `template`, a lazy message with `%(action)s` and `%(status)s`."""

    template: Any = "%(action)s: %(status)s"

    def __init__(self, status: Any, event: Any, reason: Any = None) -> None:
        super().__init__(f"{event} not allowed from {status}")
        self.status, self.event, self.reason = status, event, reason

    @property
    def message(self) -> str:
        if self.reason is not None:
            return str(self.reason)
        action = getattr(self.event, "label", self.event)
        status = getattr(self.status, "label", self.status)
        return str(self.template) % {"action": action, "status": status}


class StatusWriteRefused(AttributeError):
    """A status column was assigned outside its workflow's `move()`: a programming error."""


def next_state(
    table: Mapping[tuple[Any, Any], S], status: Any, event: Any, refused: type[TransitionRefused]
) -> S:
    """The state `event` leads to from `status`, or `refused(status, event)`."""
    try:
        return table[(status, event)]
    except KeyError:
        raise refused(status, event) from None


def moves(exits: Mapping[S, Mapping[E, S]]) -> dict[tuple[S, E], S]:
    """A table written state by state, `{source: {event: target}}`, as `{(source, event): target}`.
    A state with no way out is simply not listed."""
    return {(source, event): after for source, leaving in exits.items() for event, after in leaving.items()}


class Workflow(Generic[S, E]):
    """One state machine: its states, its events, its table of moves, and the guarded column."""

    def __init__(
        self,
        table: Mapping[tuple[S, E], S],
        *,
        refused: type[TransitionRefused],
        audit_prefix: str,
        conditions: Mapping[E, Condition] | None = None,
        attribute: str = "status",
        states: type[S] | None = None,
        events: type[E] | None = None,
    ) -> None:
        """`states` and `events` default to the enums of the table's first move."""
        first_source, first_event = next(iter(table))
        self.states = states or type(first_source)
        self.events = events or type(first_event)
        self.table = dict(table)
        self.refused, self.audit_prefix, self.attribute = refused, audit_prefix, attribute
        self.conditions = dict(conditions or {})

    # -- reading the table ---------------------------------------------------------------------
    def target(self, status: S | str, event: E) -> S:
        """The state `event` leads to from `status`, or the feature's `TransitionRefused`."""
        return next_state(self.table, self.states(status), event, self.refused)

    def allowed_events(self, status: S | str) -> list[E]:
        current = self.states(status)
        return [event for (source, event) in self.table if source is current]

    def sources(self, event: E) -> frozenset[S]:
        """The states from which `event` may be taken."""
        return frozenset(source for (source, candidate) in self.table if candidate is event)

    def can(self, obj: Any, event: E) -> bool:
        """Whether `event` is allowed on `obj` now (table and conditions), for showing buttons."""
        try:
            self.check(obj, event)
        except TransitionRefused:
            return False
        return True

    def check(self, obj: Any, event: E) -> S:
        """The target state, or TransitionRefused (table first, then the event's condition)."""
        before = self.states(getattr(obj, self.attribute))
        after = self.target(before, event)
        condition = self.conditions.get(event)
        if condition is not None:
            reason = condition(obj)
            if reason is not None:
                raise self.refused(before, event, reason)
        return after

    # -- moving --------------------------------------------------------------------------------
    def move(
        self,
        obj: Any,
        event: E,
        *,
        actor: Any,
        details: Mapping[str, Any] | None = None,
        audit: bool = True,
        audit_object: Any = None,
    ) -> tuple[S, S]:
        """Move `obj` by `event`: check, write the status, audit (on `audit_object` when the trail
        belongs to a parent, e.g. an agreement for its versions). Returns (before, after)."""
        from grants.core.audit import record

        before = self.states(getattr(obj, self.attribute))
        after = self.check(obj, event)
        with writing_status(obj):
            setattr(obj, self.attribute, after)
        if audit:
            record(
                f"{self.audit_prefix}.{event.value}",
                audit_object if audit_object is not None else obj,
                actor=actor,
                changes={"status": [before.value, after.value], **dict(details or {})},
            )
        return before, after

    def guard(self, column: Any) -> None:
        """Make a direct assignment of `column` (e.g. `Installment.status`) raise."""
        if not event.contains(column, "set", _refuse_direct_write):
            event.listen(column, "set", _refuse_direct_write)


@contextmanager
def writing_status(*objects: Any) -> Iterator[None]:
    """Let `Workflow.move()` (and bulk operations that go through a workflow) write a status."""
    token = _moving.set(_moving.get() | {id(obj) for obj in objects})
    try:
        yield
    finally:
        _moving.reset(token)


def _refuse_direct_write(target: Any, value: Any, oldvalue: Any, initiator: Any) -> None:
    state = inspect(target)
    if state.transient or state.pending:
        return  # a new object starts in the state it is created with
    if id(target) in _moving.get():
        return
    if oldvalue == value:
        return
    raise StatusWriteRefused(
        f"{type(target).__name__}.{initiator.key} changes only through its workflow's move() "
        f"({oldvalue!r} → {value!r})"
    )
