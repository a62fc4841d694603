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


# -- issue 12, item 17: active PDF content, archive bombs, file names, several files, big forms ------
def _pdf_with(change) -> bytes:
    """A real one-page PDF (pypdf) changed by `change(writer)` before it is written."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _document_javascript(writer, code="app.alert('bonjour');"):
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(code)}
    )
    names = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("x"), writer._add_object(action)])}
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): names})


def _open_action(writer):
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )


def _launch_annotation(writer):
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject(
                [NumberObject(0), NumberObject(0), NumberObject(50), NumberObject(50)]
            ),
            NameObject("/A"): DictionaryObject(
                {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}
            ),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])


def _page_additional_action(writer):
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {
            NameObject("/O"): DictionaryObject(
                {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("1")}
            )
        }
    )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_document_javascript, "JavaScript"),
        (_open_action, "action à l'ouverture"),
        (_launch_annotation, "lancement d'un programme"),
        (lambda writer: writer.add_attachment("charge.exe", b"MZ\x90\x00"), "fichier intégré"),
        (_page_additional_action, "action automatique"),
    ],
)
def test_pdf_with_active_content_is_refused_with_the_reason(change, named):
    with pytest.raises(UploadRefused) as refused:
        check_upload(_pdf_with(change), "lettre.pdf", max_bytes=LIMIT)
    message = str(refused.value.message)
    assert "contenu actif" in message and named in message and "lettre.pdf" in message


def test_active_pdf_names_hidden_by_escapes_are_found():
    """`/J#61vaScript` is `/JavaScript` to a PDF reader: the check reads names as readers do."""
    data = _pdf_with(_document_javascript)
    disguised = data.replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS ", b"/J#53 ")
    assert b"/JavaScript" not in disguised
    with pytest.raises(UploadRefused, match="contenu actif"):
        check_upload(disguised, "lettre.pdf", max_bytes=LIMIT)


def test_plain_pdf_is_still_accepted():
    assert check_upload(pdf_bytes("Lettre d'appui"), "appui.pdf", max_bytes=LIMIT).kind is FileKind.PDF


def _bomb(megabytes: int) -> bytes:
    buffer = io.BytesIO()
    zeros = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as entry:
            for _ in range(megabytes):
                entry.write(zeros)
    return buffer.getvalue()


@pytest.mark.parametrize("megabytes", [8, 300])  # a ratio bomb; a size bomb (~300 KB inflating to 300 MB)
def test_zip_bomb_named_docx_is_refused_without_inflating_it(megabytes):
    import tracemalloc

    bomb = _bomb(megabytes)
    assert len(bomb) < LIMIT
    tracemalloc.start()
    try:
        with pytest.raises(UploadRefused) as refused:
            check_upload(bomb, "budget.docx", max_bytes=LIMIT, allow_office=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "anormalement compressée" in str(refused.value.message)
    assert peak < 5 * 1024 * 1024, f"checking the archive used {peak} bytes"


def test_a_real_office_document_is_not_taken_for_a_bomb():
    assert check_upload(docx_bytes(), "budget.docx", max_bytes=LIMIT, allow_office=True).kind is FileKind.DOCX


def test_file_names_are_cleaned_when_stored_and_any_name_downloads(client, sign_in):
    from grants.files.sniffing import AcceptedFile
    from grants.requests import operations
    from grants.requests.models import AttachmentKind

    organization = OrganizationFactory()
    user = member(MemberRole.CONTRIBUTOR, organization=organization)
    sign_in(user)
    request = funding_request("TNCES", organization, years=1)
    data = pdf_bytes()
    accepted = check_upload(data, "C:\\Docs\\états\r\nfinanciers\x00 2025\u202e.pdf", max_bytes=LIMIT)
    assert accepted.filename == "états financiers 2025.pdf"
    # A file stored by another path with a raw name is cleaned by the storage itself.
    raw = AcceptedFile(kind=FileKind.PDF, media_type="application/pdf", data=data, filename="a\nb\x00c.pdf")
    attachment = operations.add_attachment(request, AttachmentKind.OTHER, raw, actor=user)
    db.session.commit()
    assert attachment.file.original_name == "a b c.pdf"
    # A name saved before names were cleaned still downloads (RFC 5987 filename*, safe fallback).
    attachment.file.original_name = 'vieux\r\n"nom";.pdf'  # PostgreSQL refuses NUL
    db.session.commit()
    response = client.get(f"/demandes/{request.id}/pieces/{attachment.id}")
    assert response.status_code == 200 and response.data == data
    header = response.headers["Content-Disposition"]
    assert "\n" not in header and "\r" not in header and "\x00" not in header
    assert header.startswith('attachment; filename="vieux _nom__.pdf"')
    assert "filename*=UTF-8''vieux%20%22nom%22%3B.pdf" in header


def test_several_files_in_one_field_are_all_kept(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=1)
    files = [(io.BytesIO(pdf_bytes("Un")), "un.pdf"), (io.BytesIO(pdf_bytes("Deux")), "deux.pdf")]
    assert _upload(client, request, b"", "", attachment=files).status_code == 302
    db.session.expire_all()
    names = sorted(a.file.original_name for a in db.session.get(FundingRequest, request.id).attachments)
    assert names == ["deux.pdf", "un.pdf"]


def test_several_files_with_one_refused_keep_the_others_and_name_the_refused_one(client, sign_in):
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=1)
    files = [(io.BytesIO(pdf_bytes("Un")), "un.pdf"), (io.BytesIO(b"MZ\x90\x00" + b"\0" * 100), "outil.pdf")]
    response = _upload(client, request, b"", "", attachment=files)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "« outil.pdf » est un programme" in page and "Le reste du formulaire est enregistré" in page
    db.session.expire_all()
    assert [a.file.original_name for a in db.session.get(FundingRequest, request.id).attachments] == [
        "un.pdf"
    ]


def test_a_form_over_the_size_limit_keeps_what_was_typed(app, client, sign_in, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", LIMIT + LIMIT // 10)
    organization = OrganizationFactory()
    sign_in(member(MemberRole.CONTRIBUTOR, organization=organization))
    request = funding_request("TNCES", organization, years=1, title="Ancien titre")
    response = _upload(client, request, b"%PDF-1.7\n" + b"x" * (LIMIT + LIMIT // 5), "enorme.pdf")
    assert response.status_code == 422  # not a bare 413
    page = html.unescape(response.get_data(as_text=True))
    assert "« enorme.pdf » dépasse la taille permise" in page and 'value="Titre conservé"' in page
    db.session.expire_all()
    assert db.session.get(FundingRequest, request.id).title == "Titre conservé"
