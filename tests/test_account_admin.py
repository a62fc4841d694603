"""Administrators manage accounts on pages (issue 13, item 12): a list with search, pagination and
CSV; one page per account for ministry roles, programs, budget authority, deactivation (which ends
the person's sessions) and invitations sent again. Every change is audited; the last active
administrator can never be removed; no one else reaches these pages."""

import csv
import html
import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from grants.accounts.models import Invitation, InvitationStatus, User
from grants.accounts.operations import (
    LastAdministrator,
    deactivate_user,
    invite_member,
    set_staff_access,
)
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from tests.factories import OrganizationFactory, UserFactory, member, program, staff
from tests.helpers import csrf_token

LAST_ADMIN = "dernier compte administrateur actif"


def _entries(user: User, action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            db.select(AuditEntry)
            .filter_by(action=action, object_type="User", object_id=str(user.id))
            .order_by(AuditEntry.id)
        )
    )


def _post(client, path: str, data: dict | None = None, page: str | None = None):
    token = csrf_token(client, page or path.rsplit("/", 1)[0])
    return client.post(path, data={**(data or {}), "csrf_token": token})


def _account_page(user: User) -> str:
    return f"/admin/comptes/{user.id}"


def test_the_admin_home_links_to_the_accounts_and_lists_them(client, sign_in):
    admin = staff(StaffRole.SYSTEM_ADMIN, full_name="Alice Admin")
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES", full_name="Olivier Agent")
    member(full_name="Marie Membre")
    sign_in(admin)

    assert 'href="/admin/comptes/"' in client.get("/").get_data(as_text=True)
    page = html.unescape(client.get("/admin/comptes/").get_data(as_text=True))
    assert "Alice Admin" in page and "Olivier Agent" in page and "Marie Membre" in page
    assert "Administration du système" in page and "TNCES" in page and "Agent·e de programme" in page
    found = html.unescape(client.get("/admin/comptes/?q=olivier").get_data(as_text=True))
    assert officer.email in found and admin.email not in found
    officers = client.get("/admin/comptes/?role=program_officer").get_data(as_text=True)
    assert officer.email in officers and admin.email not in officers


def test_the_list_pages_through_many_accounts(client, sign_in):
    admin = staff(StaffRole.SYSTEM_ADMIN)
    last = UserFactory.create_batch(25)[-1]  # 26 accounts: two pages of 25
    sign_in(admin)
    first = client.get("/admin/comptes/?sort=id").get_data(as_text=True)
    assert "Page 1 sur 2" in first and 'rel="next"' in first and last.email not in first
    second = client.get("/admin/comptes/?sort=id&page=2").get_data(as_text=True)
    assert "Page 2 sur 2" in second and last.email in second and admin.email not in second


def test_the_csv_export_has_the_filtered_accounts(client, sign_in):
    admin = staff(StaffRole.SYSTEM_ADMIN, full_name="Alice Admin")
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES", full_name="=Olivier Agent")
    UserFactory(full_name="Inactive Person", active=False)
    sign_in(admin)

    response = client.get("/admin/comptes/?format=csv&sort=email")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Nom", "Courriel", "Rôles", "Programmes", "Actif", "Dernière connexion"]
    by_email = {row[1]: row for row in rows[1:]}
    assert len(by_email) == 3
    assert by_email[officer.email][0] == "'=Olivier Agent"  # no formula in a spreadsheet
    assert by_email[officer.email][2:5] == ["Agent·e de programme", "TNCES", "oui"]
    assert by_email[admin.email][2] == "Administration du système"
    assert by_email[admin.email][5] != ""  # signed in just now
    inactive = client.get("/admin/comptes/?format=csv&active=no").get_data(as_text=True)
    assert "Inactive Person" in inactive and admin.email not in inactive


def test_an_admin_changes_roles_programs_and_budget_authority(client, sign_in):
    admin = staff(StaffRole.SYSTEM_ADMIN)
    person = UserFactory()
    tnces, other = program("TNCES"), program("HEBERGEMENT")
    sign_in(admin)

    page = _account_page(person)
    response = _post(
        client,
        page + "/acces",
        {
            "roles": ["coordination_cell"],
            "programs": [str(tnces.id), str(other.id)],
            "authority": [str(tnces.id)],
        },
        page=page,
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert person.staff_roles() == {StaffRole.COORDINATION_CELL, StaffRole.PROGRAM_OFFICER}
    assert person.officer_program_ids() == {tnces.id, other.id}
    assert person.authorized_program_ids() == {tnces.id}
    granted = _entries(person, "user.staff_role_granted")
    assert len(granted) == 3 and all(e.actor_id == admin.id for e in granted)
    authority = _entries(person, "user.budget_authority_changed")
    assert [e.changes for e in authority] == [{"program_id": tnces.id, "can_authorize": [False, True]}]

    # Take one program and the cell role away, move the authority.
    response = _post(
        client, page + "/acces", {"programs": [str(other.id)], "authority": [str(other.id)]}, page=page
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert person.staff_roles() == {StaffRole.PROGRAM_OFFICER}
    assert person.authorized_program_ids() == {other.id}
    revoked = _entries(person, "user.staff_role_revoked")
    assert sorted((e.changes["role"], e.changes["program_id"]) for e in revoked) == sorted(
        [("coordination_cell", None), ("program_officer", tnces.id)]
    )
    assert _entries(person, "user.budget_authority_changed")[-1].changes["can_authorize"] == [False, True]
    # The account's history reads as sentences.
    journal = html.unescape(client.get("/journal/?action=user.staff_role_revoked").get_data(as_text=True))
    assert "a retiré un rôle au ministère au compte" in journal
    journal = html.unescape(
        client.get("/journal/?action=user.budget_authority_changed").get_data(as_text=True)
    )
    assert "a changé l'autorité budgétaire déléguée du compte" in journal


def test_budget_authority_needs_the_program(client, sign_in):
    admin = staff(StaffRole.SYSTEM_ADMIN)
    person = UserFactory()
    tnces = program("TNCES")
    sign_in(admin)
    page = _account_page(person)
    response = _post(client, page + "/acces", {"authority": [str(tnces.id)]}, page=page)
    assert response.status_code == 400
    assert "ne vaut que sur un programme confié" in html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert person.staff_roles() == set()


def test_deactivation_ends_the_sessions_and_reactivation_lets_in_again(app, client, sign_in):
    admin = staff(StaffRole.SYSTEM_ADMIN)
    person = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    theirs = sign_in(person, target=app.test_client())
    assert theirs.get("/").status_code == 200
    sign_in(admin)

    page = _account_page(person)
    assert _post(client, page + "/desactiver", page=page).status_code == 302
    db.session.expire_all()
    assert person.active is False
    entry = _entries(person, "user.deactivated")[-1]
    assert entry.actor_id == admin.id and entry.changes == {"active": [True, False]}
    # The person's open session no longer works.
    answer = theirs.get("/")
    assert answer.status_code == 302 and "/compte/connexion" in answer.headers["Location"]

    assert _post(client, page + "/reactiver", page=page).status_code == 302
    db.session.expire_all()
    assert person.active is True
    assert _entries(person, "user.reactivated")[-1].changes == {"active": [False, True]}
    sign_in(person, target=app.test_client())


def test_an_admin_sends_a_pending_invitation_again(client, sign_in):
    admin = staff(StaffRole.SYSTEM_ADMIN)
    organization = OrganizationFactory()
    inviter = member(MemberRole.ACCOUNT_ADMIN, organization=organization)
    first = invite_member(
        organization.id, organization.legal_name, "invitee@example.org", MemberRole.CONTRIBUTOR, actor=inviter
    )
    db.session.commit()
    invitee = first.user
    sign_in(admin)

    page = _account_page(invitee)
    shown = html.unescape(client.get(page).get_data(as_text=True))
    assert organization.legal_name in shown and "Renvoyer l'invitation" in shown
    response = _post(client, f"{page}/invitations/{first.id}/renvoyer", page=page)
    assert response.status_code == 302
    db.session.expire_all()
    invitations = db.session.scalars(
        db.select(Invitation).filter_by(user_id=invitee.id).order_by(Invitation.id)
    ).all()
    assert [i.status for i in invitations] == [InvitationStatus.CANCELLED, InvitationStatus.PENDING]
    assert invitations[1].role == MemberRole.CONTRIBUTOR and invitations[1].invited_by_id == admin.id
    audited = db.session.scalars(
        db.select(AuditEntry).filter_by(action="membership.invited", object_id=str(invitations[1].id))
    ).one()
    assert audited.actor_id == admin.id and audited.organization_id == organization.id
    # An answered invitation is not sent again.
    again = _post(client, f"{page}/invitations/{first.id}/renvoyer", page=page)
    assert again.status_code == 302
    assert "n'est plus en attente" in html.unescape(client.get(page).get_data(as_text=True))
    assert db.session.scalar(db.select(db.func.count(Invitation.id)).filter_by(user_id=invitee.id)) == 2


def test_the_last_active_administrator_is_never_removed(client, sign_in):
    admin = staff(StaffRole.SYSTEM_ADMIN)
    sign_in(admin)
    page = _account_page(admin)

    refused = _post(client, page + "/desactiver", page=page)
    assert refused.status_code == 409 and LAST_ADMIN in html.unescape(refused.get_data(as_text=True))
    refused = _post(client, page + "/acces", {"roles": ["coordination_cell"]}, page=page)
    assert refused.status_code == 409 and LAST_ADMIN in html.unescape(refused.get_data(as_text=True))
    db.session.expire_all()
    assert admin.active and StaffRole.SYSTEM_ADMIN in admin.staff_roles()
    assert not _entries(admin, "user.deactivated") and not _entries(admin, "user.staff_role_revoked")

    # An inactive administrator does not count: still the last one.
    dormant = staff(StaffRole.SYSTEM_ADMIN, active=False)
    assert dormant.active is False
    with pytest.raises(LastAdministrator):
        deactivate_user(admin, actor=admin)
    db.session.rollback()

    # With a second active administrator, the first may step down.
    second = staff(StaffRole.SYSTEM_ADMIN)
    assert _post(client, page + "/acces", {"roles": ["coordination_cell"]}, page=page).status_code == 302
    db.session.expire_all()
    assert admin.staff_roles() == {StaffRole.COORDINATION_CELL}
    # ... and now the second is the last one.
    with pytest.raises(LastAdministrator):
        set_staff_access(second, roles=set(), program_ids=set(), authorized_program_ids=set(), actor=second)
    db.session.rollback()


def test_the_message_is_in_english_too(client, sign_in):
    admin = staff(StaffRole.SYSTEM_ADMIN, preferred_language="en")
    sign_in(admin)
    page = _account_page(admin)
    refused = _post(client, page + "/desactiver", page=page)
    assert refused.status_code == 409
    assert "last active administrator account" in html.unescape(refused.get_data(as_text=True))


@pytest.mark.parametrize(
    "who",
    [
        lambda: staff(StaffRole.PROGRAM_OFFICER, "TNCES"),
        lambda: staff(StaffRole.COORDINATION_CELL),
        lambda: member(MemberRole.ACCOUNT_ADMIN),
    ],
    ids=["officer", "cell", "organization"],
)
def test_no_one_else_reaches_the_account_pages(client, sign_in, who):
    admin = staff(StaffRole.SYSTEM_ADMIN)
    person = who()
    sign_in(person)
    assert client.get("/admin/comptes/").status_code == 403
    assert client.get("/admin/comptes/?format=csv").status_code == 403
    assert client.get(_account_page(admin)).status_code == 403
    token = csrf_token(client, "/")  # the sign-out form's token: the request passes CSRF
    for action in ("desactiver", "reactiver", "acces"):
        response = client.post(f"{_account_page(admin)}/{action}", data={"roles": [], "csrf_token": token})
        assert response.status_code == 403
    db.session.expire_all()
    assert admin.active and admin.staff_roles() == {StaffRole.SYSTEM_ADMIN}
    assert not _entries(admin, "user.deactivated")


def test_two_administrators_deactivating_each_other_at_once_leave_one(app, sign_in):
    first, second = staff(StaffRole.SYSTEM_ADMIN), staff(StaffRole.SYSTEM_ADMIN)
    tabs = [sign_in(first, target=app.test_client()), sign_in(second, target=app.test_client())]
    targets = [second, first]  # each one deactivates the other
    pages = [_account_page(target) for target in targets]
    tokens = [csrf_token(tab, page) for tab, page in zip(tabs, pages, strict=True)]
    start = threading.Barrier(2)

    def click(index: int) -> int:
        start.wait()
        path = pages[index] + "/desactiver"
        return tabs[index].post(path, data={"csrf_token": tokens[index]}).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(click, range(2)))
    # The second one waits for the first one's lock, then is refused (409); or, started after
    # the first one finished, its own session has ended already (302 to the sign-in page).
    assert statuses in ([302, 409], [302, 302])
    db.session.expire_all()
    assert sorted([first.active, second.active]) == [False, True]
