"""Each step of a request sends its email through the real worker and SMTP server, in the
recipient's language, with the acknowledgement PDF attached on submission."""

import io
import re

import pytest
from pypdf import PdfReader

from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.reference.models import Region
from grants.requests import operations as requests
from grants.requests.models import Recommendation
from grants.review import operations as review
from tests.factories import OrganizationFactory, funding_request, member, open_call, staff

pytestmark = pytest.mark.worker


def test_submission_and_decision_emails_in_each_recipients_language(celery_worker, mailbox):
    organization = OrganizationFactory(legal_name="Refuge d'essai")
    applicant = member(MemberRole.ACCOUNT_ADMIN, organization=organization, preferred_language="en")
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES", preferred_language="fr")
    call = open_call("TNCES")
    request = funding_request("TNCES", organization, years=2, call_id=call.id)
    request.regions = [db.session.get(Region, "06")]
    db.session.commit()

    requests.submit(request.id, actor=applicant)
    db.session.commit()
    receipt = mailbox.wait_for(applicant.email, subject_contains="acknowledgement")
    notice = mailbox.wait_for(officer.email)
    assert request.reference in receipt["Subject"]
    assert "Refuge d'essai" in notice.get_content() or "Refuge d'essai" in str(notice)
    assert "a déposé la demande" in str(notice.get_body(("plain",)).get_content())
    attachments = list(receipt.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["application/pdf"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(attachments[0].get_content())).pages)
    assert request.reference in re.sub(r"\s+", " ", text)

    review.assign(request, officer, actor=officer)
    review.recommend(request, Recommendation.APPROVE, "Dossier solide.", actor=officer)
    amounts = {y.fiscal_year: y.requested_amount for y in request.years}
    review.approve(request, amounts, "", actor=officer)
    db.session.commit()
    approval = mailbox.wait_for(applicant.email, subject_contains="approved")
    assert request.reference in approval["Subject"]
    body = approval.get_body(("plain",)).get_content()
    assert "350,000.00" in body or "350 000" in body


def _subjects(mailbox, address: str, expected: int) -> list[str]:
    from tests.conftest import wait_until

    def arrived() -> list[str] | None:
        found = [str(m["Subject"]) for m in mailbox.messages if address in str(m["To"])]
        return found if len(found) >= expected else None

    return wait_until(arrived, timeout=30)


def test_every_transition_emails_the_people_concerned_in_their_language(celery_worker, mailbox):
    """Organization members read English here, officers French: each subject says which."""
    from datetime import date

    from grants.agreements import operations as agreements
    from grants.payments import operations as payments
    from grants.payments.models import Installment
    from grants.payments.workflow import InstallmentEvent
    from grants.requests.models import RequestSection

    organization = OrganizationFactory()
    applicant = member(MemberRole.ACCOUNT_ADMIN, organization=organization, preferred_language="en")
    lead = staff(StaffRole.PROGRAM_OFFICER, "TNCES", preferred_language="fr")
    colleague = staff(StaffRole.PROGRAM_OFFICER, "TNCES", preferred_language="fr")

    approved = funding_request("TNCES", organization, status="submitted", years=1)
    review.assign(approved, colleague, actor=lead)  # assigned: to the colleague
    review.request_info(approved, [RequestSection.BUDGET], "Précisez.", actor=colleague)  # to the org
    db.session.commit()
    requests.provide_info(approved, "Voici.", actor=applicant)  # to the colleague
    review.recommend(approved, Recommendation.APPROVE, "", actor=colleague)  # to the other officers
    amounts = {y.fiscal_year: y.requested_amount for y in approved.years}
    agreement = review.approve(approved, amounts, "", actor=lead)  # approved + agreement sent: org
    db.session.commit()
    agreements.accept(
        agreement,
        agreement.current,
        actor=applicant,
        signatory_name="A",
        signatory_title="B",
        ip_address="127.0.0.1",
    )  # accepted: officers
    agreements.countersign(agreement, agreement.current, actor=lead)  # in force: org
    first, second = db.session.scalars(db.select(Installment).order_by(Installment.sequence)).all()
    payments.apply_event(first, InstallmentEvent.AUTHORIZE, actor=lead)
    payments.apply_event(first, InstallmentEvent.PAY, actor=lead, paid_on=date(2026, 5, 1))  # paid: org
    payments.apply_event(second, InstallmentEvent.HOLD, actor=lead, reason="Rapport")  # held: org
    payments.apply_event(second, InstallmentEvent.RELEASE, actor=lead)  # released: org

    refused = funding_request("TNCES", organization, status="submitted", years=1)
    review.assign(refused, lead, actor=lead)
    review.recommend(refused, Recommendation.REFUSE, "", actor=lead)
    review.refuse(refused, "Hors mandat.", actor=lead)  # refused: org
    withdrawn = funding_request("TNCES", organization, status="submitted", years=1)
    review.assign(withdrawn, lead, actor=lead)
    requests.withdraw(withdrawn, actor=applicant, reason="Reporté")  # withdrawn: the assignee
    db.session.commit()

    to_org = _subjects(mailbox, applicant.email, 8)
    for english in (
        "information requested",
        "approved",
        "to sign",
        "in force",
        "payment made",
        "payment on hold",
        "hold lifted",
        "decision",
    ):
        assert any(english in s.lower() for s in to_org), (english, to_org)
    to_colleague = _subjects(mailbox, colleague.email, 3)
    for french in ("vous est confiée", "réponse reçue", "acceptée par l'organisme"):
        assert any(french in s for s in to_colleague), (french, to_colleague)
    to_lead = _subjects(mailbox, lead.email, 3)
    for french in ("recommandation sur la demande", "acceptée par l'organisme", "a été retirée"):
        assert any(french in s for s in to_lead), (french, to_lead)
