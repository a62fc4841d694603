"""The organization profile: view, edit with French validation messages, NEQ rules, concurrent edits."""

from html import unescape

from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import MemberRole
from grants.organizations.models import Organization
from tests.factories import OrganizationFactory, member
from tests.helpers import csrf_token, normalize_spaces


def _form(client, organization, **changes):
    url = f"/organismes/{organization.id}/modifier"
    data = {
        "csrf_token": csrf_token(client, url),
        "version": str(organization.version),
        "legal_name": organization.legal_name,
        "kind": "community",
        "region_code": "06",
        "neq": "",
        "postal_code": "",
        "aliases": "",
    }
    data.update(changes)
    return client.post(url, data=data)


def test_edit_profile_and_audit(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    response = _form(
        client,
        organization,
        legal_name="Maison d'hébergement Essai",
        neq="1234 567 890",
        aliases="MHE\nAncien nom",
        postal_code="h2x1y4",
        regions_served=["06", "13"],
        nations_served=["inuit"],
        communities_served="Kuujjuaq",
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Organization, organization.id)
    assert saved.legal_name == "Maison d'hébergement Essai"
    assert saved.neq == "1234567890"
    assert saved.postal_code == "H2X 1Y4"
    assert saved.alias_names == ["Ancien nom", "MHE"]
    assert [r.code for r in saved.regions_served] == ["06", "13"]
    assert [n.code for n in saved.nations_served] == ["inuit"]
    entry = db.session.execute(
        db.select(AuditEntry).filter_by(action="organization.updated", object_id=str(organization.id))
    ).scalar_one()
    assert entry.changes["neq"] == [None, "1234567890"]
    page = client.get(f"/organismes/{organization.id}").get_data(as_text=True)
    assert "1234\u00a0567\u00a0890" in page


def test_invalid_fields_get_french_messages_and_keep_what_was_typed(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    response = _form(
        client,
        organization,
        legal_name="",
        neq="12345",
        postal_code="XYZ",
        email="pas-un-courriel",
        city="Rimouski",
    )
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert "Entrez le nom légal de l'organisme." in html
    assert "Le NEQ compte exactement 10 chiffres (vous en avez saisi 5)." in html
    assert "Entrez un code postal canadien" in html
    assert "Entrez une adresse courriel valide" in html
    assert 'value="Rimouski"' in html  # nothing typed is lost


def test_neq_is_unique(client, sign_in):
    OrganizationFactory(neq="1111111111")
    organization = OrganizationFactory()
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    response = _form(client, organization, neq="1111111111")
    assert response.status_code == 422
    assert "Ce NEQ est déjà inscrit pour un autre organisme." in response.get_data(as_text=True)


def test_concurrent_edit_is_refused_without_losing_the_form(client, sign_in):
    organization = OrganizationFactory()
    stale_version = organization.version
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    assert _form(client, organization, city="Québec").status_code == 302  # someone saves first
    response = _form(client, organization, version=str(stale_version), city="Gatineau")
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert "Quelqu'un d'autre a enregistré ce profil" in html
    assert 'value="Gatineau"' in html
    db.session.expire_all()
    assert db.session.get(Organization, organization.id).city == "Québec"


def test_an_address_without_a_street_has_no_stray_comma(client, sign_in):
    """Issue 13, item 16: `Adresse , Montréal` read a comma before the city."""
    from grants.core.formatting import postal_address

    organization = OrganizationFactory(address="", city="Montréal", postal_code="H2X 1Y4")
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization))
    page = normalize_spaces(unescape(client.get(f"/organismes/{organization.id}").get_data(as_text=True)))
    assert "<dd>Montréal H2X 1Y4</dd>" in page
    assert postal_address("1234, rue Sainte-Catherine", "Montréal", "H2X 1Y4") == (
        "1234, rue Sainte-Catherine, Montréal H2X 1Y4"
    )
    assert postal_address(None, "", None) == ""
