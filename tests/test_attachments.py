"""Attachments are judged by their bytes, not their names; a refused file leaves a clear message
and the rest of the form saved."""

import html
import io
import zipfile

import pytest

from grants.core.db import db
from grants.core.roles import MemberRole
from grants.files.sniffing import FileKind, UploadRefused, check_upload, detect
from grants.requests.models import FundingRequest
from tests.factories import OrganizationFactory, funding_request, member, pdf_bytes
from tests.helpers import csrf_token

LIMIT = 1024 * 1024  # TestConfig.MAX_ATTACHMENT_BYTES


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_detect_reads_the_content():
    assert detect(pdf_bytes()) is FileKind.PDF
    assert detect(docx_bytes()) is FileKind.DOCX
    assert detect(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 100) is FileKind.OLE2
    assert detect(b"MZ\x90\x00" + b"\0" * 100) is None
    assert detect(b"plain text") is None


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"MZ\x90\x00" + b"\0" * 2000, "rapport.pdf", "est un programme"),
        (b"", "vide.pdf", "est vide"),
        (b"%PDF-1.7\n" + b"x" * (LIMIT + 10), "gros.pdf", "dépasse la taille permise"),
        (b"%PDF-1.4\nnot really a pdf", "casse.pdf", "n'est pas un PDF lisible"),
        (b"hello", "notes.txt", "n'est pas un PDF"),
    ],
)
def test_refusals_say_why(data, name, message):
    with pytest.raises(UploadRefused) as refused:
        check_upload(data, name, max_bytes=LIMIT)
    assert message in str(refused.value.message)
    assert name in str(refused.value.message)


def test_office_formats_only_where_the_program_allows_them():
    with pytest.raises(UploadRefused, match="n'accepte que des PDF"):
        check_upload(docx_bytes(), "budget.docx", max_bytes=LIMIT, allow_office=False)
    assert check_upload(docx_bytes(), "budget.docx", max_bytes=LIMIT, allow_office=True).kind is FileKind.DOCX


def _upload(client, request, data, name, **fields):
    url = f"/demandes/{request.id}/modifier"
    form = {
        "csrf_token": csrf_token(client, url),
        "version": str(request.version),
        "title": "Titre conservé",
        "summary": "Résumé conservé",
        "start_date": "2026-04-01",
        "end_date": "2027-03-31",
        "amount-2026": "12 345,67",
        "attachment_kind": "financial_statements",
        "attachment": (io.BytesIO(data), name),
    } | fields
    return client.post(url, data=form, content_type="multipart/form-data")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"MZ\x90\x00" + b"\0" * 2000, "etats-financiers.pdf", "est un programme"),
        (b"%PDF-1.7\n" + b"x" * (LIMIT + 10), "gros.pdf", "dépasse la taille permise"),
        (b"", "vide.pdf", "est vide"),
    ],
)
def test_refused_file_keeps_the_rest_of_the_form(client, sign_in, data, name, message):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=1, title="Ancien titre")
    response = _upload(client, request, data, name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "Le reste du formulaire est enregistré" in page
    assert 'value="Titre conservé"' in page and "12 345,67" in page
    db.session.expire_all()
    saved = db.session.get(FundingRequest, request.id)
    assert saved.title == "Titre conservé" and saved.attachments == []


def test_office_file_on_a_pdf_only_program_is_refused_and_accepted_on_a_call_for_projects(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    tnces = funding_request("TNCES", organization, years=1)
    refused = html.unescape(_upload(client, tnces, docx_bytes(), "budget.docx").get_data(as_text=True))
    assert "n'accepte que des PDF" in refused
    housing = funding_request("HEBERGEMENT", organization, years=1, annual_amount="50000.00")
    assert _upload(client, housing, docx_bytes(), "budget.docx").status_code == 302
    db.session.expire_all()
    assert [a.file.original_name for a in db.session.get(FundingRequest, housing.id).attachments] == [
        "budget.docx"
    ]


def test_oversized_upload_is_a_message_not_a_bare_error(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=1)
    response = _upload(client, request, pdf_bytes() + b"%" * (2 * LIMIT), "annexe.pdf")
    assert response.status_code == 422
    assert "dépasse la taille permise de 1 Mo" in response.get_data(as_text=True)
