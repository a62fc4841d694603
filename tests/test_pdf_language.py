"""PDFs in the reader's language where they are not the signed legal text, and every PDF tagged for
accessibility (issue 13, item 3).

An English-speaking organization gets its acknowledgement of receipt and its indexation notices in
English; its agreement stays French, as signed, and says so in English. Every kind of PDF the
product writes is PDF/UA-1: the catalog has the document's language (/Lang), /MarkInfo /Marked
true and a structure tree, the metadata has its title and viewers are asked to show it.
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from grants.accountability import operations as accountability
from grants.accountability import program_report
from grants.core.db import db
from grants.core.roles import MemberRole
from grants.files.storage import read
from grants.fiscal import FiscalYear
from grants.indexation.models import IndexationRun
from grants.indexation.notices import send_notices
from grants.organizations.models import Organization
from grants.programs.models import Program
from grants.requests.pdf import store_acknowledgement
from tests.factories import (
    OrganizationFactory,
    agreement_in_force,
    budget_officer,
    complete_report,
    funding_request,
    member,
    report_of,
)
from tests.helpers import normalize_spaces
from tests.test_indexation import Y2027, _run_through, future_cpi  # noqa: F401 (a fixture)
from tests.test_organizations import _form


def _reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def _text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in _reader(data).pages)
    return re.sub(r"\s+", " ", normalize_spaces(text))


def assert_tagged(data: bytes, *, lang: str, title: str) -> None:
    """The PDF is tagged (PDF/UA): language, marked content, structure tree, a title shown."""
    reader = _reader(data)
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == lang
    assert bool(catalog["/MarkInfo"]["/Marked"]) is True
    tree = catalog["/StructTreeRoot"].get_object()
    assert tree["/Type"] == "/StructTreeRoot" and "/K" in tree
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"]
    assert normalize_spaces(reader.metadata.title) == title
    assert b"pdfuaid" in reader.xmp_metadata.stream.get_data()  # the PDF/UA identification


def _english_organization(**fields):
    return OrganizationFactory(legal_name="Montreal Youth Shelter", preferred_language="en", **fields)


def test_an_organization_chooses_its_correspondence_language_on_its_profile(client, sign_in):
    organization = OrganizationFactory()
    assert organization.preferred_language == "fr"
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organization, preferred_language="en"))
    form = client.get(f"/organismes/{organization.id}/modifier").get_data(as_text=True)
    assert "Correspondence language" in form and '<option selected value="fr">French</option>' in form
    assert _form(client, organization, preferred_language="en").status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, organization.id).preferred_language == "en"
    page = normalize_spaces(client.get(f"/organismes/{organization.id}").get_data(as_text=True))
    assert "Correspondence language" in page and "English" in page
    journal = normalize_spaces(client.get("/journal/").get_data(as_text=True))
    assert "French" in journal and "English" in journal and "Correspondence language" in journal
    assert _form(client, organization, preferred_language="de").status_code == 422  # refused, no 500
    db.session.expire_all()
    assert db.session.get(Organization, organization.id).preferred_language == "en"


def test_an_english_organization_gets_its_acknowledgement_in_english():
    request = funding_request("TNCES", _english_organization(), status="submitted", years=2)
    data = read(store_acknowledgement(request))
    db.session.commit()
    text = _text(data)
    assert "Acknowledgement of receipt of a funding request" in text
    assert "Amounts requested" in text and "National concertation table on sexual exploitation" in text
    assert "$175,000.00" in text and "Accusé de réception" not in text
    assert_tagged(data, lang="en-CA", title=f"Acknowledgement of receipt {request.reference}")


def test_a_french_organization_gets_its_acknowledgement_in_french():
    request = funding_request("TNCES", OrganizationFactory(), status="submitted", years=1)
    data = read(store_acknowledgement(request))
    db.session.commit()
    text = _text(data)
    assert "Accusé de réception d'une demande de financement" in text and "175 000,00 $" in text
    assert "Acknowledgement" not in text
    assert_tagged(data, lang="fr-CA", title=f"Accusé de réception {request.reference}")


def test_the_agreement_stays_french_and_says_so_in_english_to_an_english_organization():
    agreement, _ = agreement_in_force("TNCES", _english_organization(), years=2)
    data = read(agreement.current.pdf)
    text = _text(data)
    assert "This agreement is in French, the language in which it is signed." in text
    assert "Convention d'aide financière" in text and "indexé annuellement" in text
    assert "Financial assistance agreement" not in text
    assert_tagged(data, lang="fr-CA", title=f"Convention d'aide financière {agreement.number}")

    french, _ = agreement_in_force("TNCES", OrganizationFactory(), years=1)
    assert "This agreement is in French" not in _text(read(french.current.pdf))


def test_an_english_organization_gets_its_indexation_notice_in_english(future_cpi):  # noqa: F811
    agreement, officer = agreement_in_force("TNCES", _english_organization(), years=2)
    run = _run_through(Y2027, officer, budget_officer("TNCES"))
    assert send_notices(run.id) == 1
    db.session.expire_all()
    data = read(db.session.get(IndexationRun, run.id).lines[0].notice)
    text = _text(data)
    assert "Indexation notice — fiscal year 2027-2028" in text and "Indexation rate" in text
    assert "Average 2025" in text and "Average 2026" in text  # the CPI figures, in English too
    assert "$180,425.00" in text and "3.1%" in text
    assert "Avis d'indexation" not in text and "Moyenne" not in text
    assert_tagged(data, lang="en-CA", title=f"Indexation notice {agreement.number} 2027-2028")


def test_the_submitted_report_and_the_program_report_are_tagged():
    agreement, _ = agreement_in_force("TNCES", OrganizationFactory(), years=2)
    author = member(MemberRole.ACCOUNT_ADMIN, organization=agreement.organization)
    report = report_of(agreement, "midyear", 2026)
    complete_report(report, author, people=40)
    report, _ = accountability.submit(report.id, actor=author)
    db.session.commit()
    assert_tagged(read(report.pdf), lang="fr-CA", title=f"{report.title} — {agreement.number}")

    tnces = db.session.execute(db.select(Program).filter_by(code="TNCES")).scalar_one()
    for language, lang, title in (
        ("fr", "fr-CA", "Rapport de programme TNCES — exercice 2026-2027"),
        ("en", "en-CA", "Program report TNCES — fiscal year 2026-2027"),
    ):
        assert_tagged(
            program_report.render(tnces, FiscalYear(2026), language=language), lang=lang, title=title
        )
