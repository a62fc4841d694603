"""`notify` writes one outbox message per recipient of the event's audience, each in the
recipient's language (an address without an account: the organization's language, French)."""

from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.notifications import events
from grants.notifications.events import Audience, EmailEvent
from grants.notifications.models import OutboundEmail
from grants.notifications.operations import notify
from tests.factories import OrganizationFactory, UserFactory, funding_request, member, staff


def _sent(key: str) -> dict[str, str]:
    """Address -> language of the queued messages of one event."""
    messages = db.session.scalars(db.select(OutboundEmail).filter_by(template=key))
    return {m.to_address: m.language for m in messages}


def _info(request):  # type: ignore[no-untyped-def]
    from grants.requests.models import InfoRequest

    info = InfoRequest(sections=["budget"], message="Précisez.")
    request.info_requests.append(info)
    db.session.flush()
    return info


def test_the_organization_audiences_reach_its_members_each_in_their_language():
    organization = OrganizationFactory()
    admin = member(MemberRole.ACCOUNT_ADMIN, organization=organization, preferred_language="en")
    reader = member(MemberRole.READ_ONLY, organization=organization, preferred_language="fr")
    member(MemberRole.ACCOUNT_ADMIN)  # another organization's
    request = funding_request("TNCES", organization, status="submitted", years=1)
    notify(events.REQUEST_REFUSED, funding_request=request)
    assert _sent("request_refused") == {admin.email: "en", reader.email: "fr"}
    # The contributors' audience leaves the read-only members out.
    notify(events.REQUEST_INFO_REQUESTED, funding_request=request, info=_info(request))
    assert _sent("request_info_requested") == {admin.email: "en"}
    assert {m.organization_id for m in db.session.scalars(db.select(OutboundEmail))} == {organization.id}


def test_the_officers_audiences_leave_out_the_one_who_acted_or_name_the_one_in_charge():
    lead = staff(StaffRole.PROGRAM_OFFICER, "TNCES", preferred_language="en")
    colleague = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    staff(StaffRole.PROGRAM_OFFICER, "PQLC")  # another program's
    request = funding_request("TNCES", status="submitted", years=1)
    notify(events.REQUEST_RECOMMENDED, exclude=lead, funding_request=request, recommended_by=lead)
    assert _sent("request_recommended") == {colleague.email: "fr"}
    info = _info(request)
    notify(events.REQUEST_INFO_PROVIDED, to=lead, funding_request=request, info=info)
    assert _sent("request_info_provided") == {lead.email: "en"}
    notify(events.REQUEST_INFO_PROVIDED, to=None, funding_request=request, info=info)  # nobody in charge
    assert set(_sent("request_info_provided")) == {lead.email, colleague.email}


def test_one_person_or_a_bare_address():
    person = UserFactory(preferred_language="en")
    [message] = notify(events.PASSWORD_RESET, to=person, link="https://x.example/l", hours=2)
    assert (message.to_address, message.language, message.recipient_id) == (person.email, "en", person.id)
    assert "reset" in message.subject.lower()
    to_an_address = EmailEvent("password_reset", Audience.ADDRESS, frozenset({"link", "hours"}))
    assert to_an_address.language == "organization"
    address = "direction@example.org"
    [message] = notify(to_an_address, to=address, link="https://x.example/l", hours=2)
    assert (message.to_address, message.language, message.recipient_id) == (address, "fr", None)
