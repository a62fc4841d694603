"""Every state machine refuses every move its table does not list, and allows every one it does."""

from __future__ import annotations

import functools
import itertools

import pytest

from grants.agreements import workflow as agreement_workflow
from grants.agreements.models import AgreementStatus
from grants.payments import workflow as payment_workflow
from grants.payments.models import InstallmentStatus
from grants.requests import workflow as request_workflow

pytestmark = pytest.mark.pure

MACHINES = [
    (
        request_workflow.RequestStatus,
        request_workflow.RequestEvent,
        request_workflow.TRANSITIONS,
        request_workflow.target,
        request_workflow.TransitionRefused,
    ),
    (
        AgreementStatus,
        agreement_workflow.AgreementEvent,
        agreement_workflow.TRANSITIONS,
        agreement_workflow.target,
        agreement_workflow.AgreementTransitionRefused,
    ),
    (
        InstallmentStatus,
        payment_workflow.InstallmentEvent,
        payment_workflow.TRANSITIONS,
        functools.partial(payment_workflow.target, agreement_in_force=True),
        payment_workflow.InstallmentTransitionRefused,
    ),
]

CASES = [
    pytest.param(status, event, table, target, refused, id=f"{status.__class__.__name__}-{status}-{event}")
    for statuses, events, table, target, refused in MACHINES
    for status, event in itertools.product(statuses, events)
]


@pytest.mark.parametrize(("status", "event", "table", "target", "refused"), CASES)
def test_each_pair_is_allowed_only_if_the_table_lists_it(status, event, table, target, refused):
    if (status, event) in table:
        assert target(status, event) is table[(status, event)]
    else:
        with pytest.raises(refused) as error:
            target(status, event)
        # The message names the state in words, for the person who tried.
        assert status.label in error.value.message


def test_final_states_have_no_way_out():
    finals = {
        request_workflow.RequestStatus.APPROVED,
        request_workflow.RequestStatus.REFUSED,
        request_workflow.RequestStatus.WITHDRAWN,
        AgreementStatus.SUPERSEDED,
        InstallmentStatus.PAID,
        InstallmentStatus.CANCELLED,
    }
    sources = {source for _, _, table, _, _ in MACHINES for source, _ in table}
    assert not finals & sources


@pytest.mark.parametrize("event", list(payment_workflow.InstallmentEvent))
def test_an_installment_cannot_be_authorized_or_paid_on_an_agreement_nobody_signed(event):
    """Issue 12, item 3: authorizing and paying are in the table, on condition that the agreement is
    in force; the other moves are not held back by it."""
    table = payment_workflow.TRANSITIONS
    for status in InstallmentStatus:
        if (status, event) not in table:
            continue
        if event in (payment_workflow.InstallmentEvent.AUTHORIZE, payment_workflow.InstallmentEvent.PAY):
            with pytest.raises(payment_workflow.AgreementNotInForce) as error:
                payment_workflow.target(status, event, agreement_in_force=False)
            assert "n'est pas en vigueur" in error.value.message
            assert event not in payment_workflow.allowed_events(status, agreement_in_force=False)
        else:
            assert payment_workflow.target(status, event, agreement_in_force=False) is table[(status, event)]
        assert event in payment_workflow.allowed_events(status, agreement_in_force=True)
