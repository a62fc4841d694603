"""Every state machine refuses every move its table does not list, with words for the person who
tried; final states have no way out; a condition holds a move back without leaving the table."""

from __future__ import annotations

import importlib
import itertools

import pytest

from grants.accountability.workflow import WORKFLOW as REPORTS
from grants.accountability.workflow import ReportStatus
from grants.agreements.models import Agreement, AgreementStatus, AgreementVersion
from grants.agreements.workflow import VERSIONS
from grants.indexation.workflow import RUNS, RunStatus
from grants.payments.models import Installment, InstallmentStatus
from grants.payments.workflow import (
    INSTALLMENTS,
    AgreementNotInForce,
    InstallmentEvent,
    InstallmentTransitionRefused,
)
from grants.requests import workflow as request_workflow
from grants.requests.workflow import REQUEST_WORKFLOW

# Objects are built in memory, never saved: the mappers they relate to only need to be known.
importlib.import_module("grants.accounts.models")
importlib.import_module("grants.requests.models")

pytestmark = pytest.mark.pure

MACHINES = [REQUEST_WORKFLOW, VERSIONS, INSTALLMENTS, REPORTS, RUNS]

REFUSED = [
    pytest.param(machine, status, event, id=f"{machine.audit_prefix}-{status}-{event}")
    for machine in MACHINES
    for status, event in itertools.product(machine.states, machine.events)
    if (status, event) not in machine.table
]


@pytest.mark.parametrize(("machine", "status", "event"), REFUSED)
def test_a_move_the_table_does_not_list_is_refused_in_words(machine, status, event):
    with pytest.raises(machine.refused) as error:
        machine.target(status, event)
    # The message names the action and the state in words, for the person who tried.
    assert status.label in error.value.message and event.label in error.value.message
    assert event not in machine.allowed_events(status)


@pytest.mark.parametrize(
    ("machine", "finals"),
    [
        (
            REQUEST_WORKFLOW,
            {
                request_workflow.RequestStatus.APPROVED,
                request_workflow.RequestStatus.REFUSED,
                request_workflow.RequestStatus.WITHDRAWN,
            },
        ),
        (VERSIONS, {AgreementStatus.SUPERSEDED}),
        (INSTALLMENTS, {InstallmentStatus.PAID, InstallmentStatus.CANCELLED}),
        (REPORTS, {ReportStatus.ACCEPTED}),
        (RUNS, {RunStatus.REVERSED, RunStatus.CANCELLED}),
    ],
    ids=lambda value: getattr(value, "audit_prefix", ""),
)
def test_final_states_have_no_way_out(machine, finals):
    for final in finals:
        assert machine.allowed_events(final) == [], final


def _installment(status: InstallmentStatus, *versions: AgreementStatus) -> Installment:
    """An installment (not saved) under an agreement whose versions are in the given states."""
    agreement = Agreement(versions=[AgreementVersion(number=n, status=s) for n, s in enumerate(versions, 1)])
    return Installment(status=status, agreement=agreement)


@pytest.mark.parametrize("event", [InstallmentEvent.AUTHORIZE, InstallmentEvent.PAY])
def test_money_goes_out_only_under_an_agreement_in_force(event):
    """Issue 12, item 3: authorizing and paying are in the table, on condition that the agreement
    is in force (signed and countersigned); an amendment waiting for signatures keeps it in force."""
    source = next(iter(INSTALLMENTS.sources(event)))
    for versions in [(AgreementStatus.SENT,), (AgreementStatus.ACCEPTED,)]:
        installment = _installment(source, *versions)
        with pytest.raises(AgreementNotInForce) as error:
            INSTALLMENTS.check(installment, event)
        assert "n'est pas en vigueur" in error.value.message
        assert not INSTALLMENTS.can(installment, event)
    in_force = _installment(source, AgreementStatus.COUNTERSIGNED, AgreementStatus.SENT)
    assert INSTALLMENTS.check(in_force, event) is INSTALLMENTS.table[(source, event)]


@pytest.mark.parametrize("event", [InstallmentEvent.HOLD, InstallmentEvent.RELEASE, InstallmentEvent.CANCEL])
def test_holding_releasing_and_cancelling_do_not_wait_for_signatures(event):
    for source in INSTALLMENTS.sources(event):
        assert INSTALLMENTS.can(_installment(source, AgreementStatus.SENT), event)


def test_a_condition_never_opens_a_move_the_table_refuses():
    paid = _installment(InstallmentStatus.PAID, AgreementStatus.COUNTERSIGNED)
    with pytest.raises(InstallmentTransitionRefused) as error:
        INSTALLMENTS.check(paid, InstallmentEvent.AUTHORIZE)
    assert not isinstance(error.value, AgreementNotInForce)


def test_an_edit_may_change_exactly_the_installments_it_may_cancel():
    from grants.payments.models import ADJUSTABLE_STATUSES

    assert INSTALLMENTS.sources(InstallmentEvent.CANCEL) == ADJUSTABLE_STATUSES


def test_an_agreement_awaits_the_signature_the_version_workflow_allows():
    sent = Agreement(versions=[AgreementVersion(number=1, status=AgreementStatus.SENT)])
    accepted = Agreement(versions=[AgreementVersion(number=1, status=AgreementStatus.ACCEPTED)])
    assert sent.awaiting_signature and not sent.awaiting_countersignature
    assert accepted.awaiting_countersignature and not accepted.awaiting_signature
