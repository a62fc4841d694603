"""Issue 10, items 2 and 3: the report forms (one page per section, saved partially, bad input
refused on its field with everything typed kept), submission (full check, PDF of the submitted
version, acknowledgement by email), the officer's review (changes on named sections, acceptance
releasing held installments and authorizing the installment the report triggers), late reports
holding installments, two officers at once, and who may see what."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from grants.accountability import operations
from grants.accountability.models import Indicator, Report, ReportChangeRequest, ReportSection
from grants.accountability.workflow import ReportStatus
from grants.core import clock
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import MemberRole, StaffRole
from grants.files.storage import read
from grants.fiscal import FiscalYear
from grants.notifications.models import OutboundEmail
from grants.payments import operations as payments
from grants.payments.models import HoldSource, InstallmentStatus, InstallmentTrigger
from grants.payments.workflow import InstallmentEvent
from tests.factories import (
    OrganizationFactory,
    agreement_in_force,
    complete_report,
    member,
    report_of,
    staff,
)
from tests.helpers import csrf_token, normalize_spaces

QUEBEC = clock.TIME_ZONE


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=QUEBEC).astimezone(UTC)


def _fresh(report_id: int) -> Report:
    db.session.expire_all()
    return db.session.get(Report, report_id)


def _url(report: Report, section: ReportSection | None = None) -> str:
    return f"/redditions/{report.id}" + (f"/{section.slug}" if section else "")


def _post_section(client, report: Report, section: ReportSection, data: dict, **kwargs):
    url = _url(report, section)
    payload = {"csrf_token": csrf_token(client, url), "version": str(_fresh(report.id).version), **data}
    return client.post(url, data=payload, **kwargs)


def _page(response) -> str:
    return normalize_spaces(html.unescape(response.get_data(as_text=True)))


def _setup(program: str = "TNCES", years: int = 1, language: str = "fr"):
    organization = OrganizationFactory(legal_name="Table régionale d'essai")
    author = member(MemberRole.CONTRIBUTOR, organization=organization, preferred_language=language)
    agreement, officer = agreement_in_force(program, organization, years=years)
    return agreement, officer, author


# -- the forms -------------------------------------------------------------------------------------------
def test_the_organization_fills_sections_in_any_order_and_saves_partially(client, sign_in):
    agreement, _officer, author = _setup()
    report = report_of(agreement, "midyear", 2026)
    sign_in(author)
    listing = _page(client.get("/redditions/"))
    assert "Rapport d'étape 2026-2027" in listing and "31 octobre 2026" in listing
    overview = _page(client.get(_url(report)))
    assert "Il reste" in overview and "Déposer le rapport" in overview

    # People reached first: only the total and the gender breakdown for now.
    response = _post_section(
        client,
        report,
        ReportSection.PEOPLE,
        {
            "people_total": "40",
            "reach-gender-man": "12",
            "reach-gender-woman": "25",
            "reach-gender-non_binary": "3",
        },
    )
    assert response.status_code == 303
    report = _fresh(report.id)
    assert report.status == ReportStatus.DRAFT and report.people_total == 40
    assert report.reach_of("gender") == {"man": 12, "woman": 25, "non_binary": 3}
    # Then the activities; the people page shows back what was saved.
    assert (
        _post_section(
            client, report, ReportSection.ACTIVITIES, {"activities": "Trois rencontres.", "results": ""}
        ).status_code
        == 303
    )
    page = _page(client.get(_url(report, ReportSection.PEOPLE)))
    assert 'value="25"' in page and 'value="40"' in page
    assert _fresh(report.id).activities == "Trois rencontres."
    saved = db.session.scalars(db.select(AuditEntry).filter_by(action="report.saved")).all()
    assert [e.changes["section"] for e in saved] == ["people", "activities"]
    assert db.session.scalars(db.select(AuditEntry.action).filter_by(action="report.start")).all() == [
        "report.start"
    ]


@pytest.mark.parametrize(
    ("language", "messages"),
    [
        (
            "fr",
            {
                "sum": "La ventilation totalise 15 alors que le total est 40",
                "negative": "Le nombre pour « Personnes non binaires+ » ne peut pas être négatif (reçu : -3)",
                "text": "Le nombre pour « 12 à 17 ans » doit être un nombre entier (reçu : douze)",
                "lines": "Les lignes totalisent 1 500,00 $ alors que le total inscrit est 2 000,00 $",
                "pdf": "n'est pas un PDF",
            },
        ),
        (
            "en",
            {
                "sum": "The breakdown adds up to 15 but the total is 40",
                "negative": "The count for “Non-binary people+” cannot be negative (received: -3)",
                "text": "The count for “12 to 17 years” must be a whole number (received: douze)",
                "lines": "The lines add up to $1,500.00 but the total entered is $2,000.00",
                "pdf": "is not a PDF",
            },
        ),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_typed_is_lost(client, sign_in, language, messages):
    agreement, _officer, author = _setup(language=language)
    report = report_of(agreement, "midyear", 2026)
    sign_in(author)

    # A breakdown that does not add up; a negative count; a count that is not a number.
    response = _post_section(
        client,
        report,
        ReportSection.PEOPLE,
        {
            "people_total": "40",
            "reach-gender-man": "10",
            "reach-gender-woman": "5",
            "reach-age_group-12_17": "douze",
            "reach-indigenous_identity-inuit": "-3",
        },
    )
    page = _page(response)
    assert response.status_code == 422
    assert messages["sum"] in page
    assert messages["text"] in page
    assert 'value="douze"' in page and 'value="10"' in page and 'value="-3"' in page
    assert 'id="reach-age_group-12_17" name="reach-age_group-12_17" value="douze" aria-invalid="true"' in page
    assert 'id="reach-age_group-12_17-error"' in page
    assert _fresh(report.id).people_total is None, "nothing is saved from a refused page"
    negative = _post_section(
        client, report, ReportSection.PEOPLE, {"people_total": "5", "reach-gender-non_binary": "-3"}
    )
    assert negative.status_code == 422 and messages["negative"] in _page(negative)

    # A financial statement whose lines do not add up to the total typed.
    response = _post_section(
        client,
        report,
        ReportSection.FINANCES,
        {"spent-salaries": "1 000", "spent-operating": "500,00", "total-spent": "2 000"},
    )
    page = _page(response)
    assert response.status_code == 422 and messages["lines"] in page
    assert 'value="1 000"' in page and 'value="500,00"' in page and 'value="2 000"' in page
    assert _fresh(report.id).finance_lines == []

    # An attachment that is not what its name says.
    response = _post_section(
        client,
        report,
        ReportSection.ATTACHMENTS,
        {"kind": "activity_report", "attachment": (io.BytesIO(b"juste du texte"), "rapport.pdf")},
        content_type="multipart/form-data",
    )
    page = _page(response)
    assert response.status_code == 422 and messages["pdf"] in page and "rapport.pdf" in page
    assert 'value="activity_report" selected' in page
    assert _fresh(report.id).attachments == []


def test_indicator_values_are_checked_by_their_kind(client, sign_in):
    agreement, _officer, author = _setup()
    report = report_of(agreement, "midyear", 2026)
    meetings = db.session.execute(
        db.select(Indicator).filter_by(program_id=agreement.program_id, code="meetings_held")
    ).scalar_one()
    sign_in(author)
    response = _post_section(client, report, ReportSection.INDICATORS, {f"indicator-{meetings.id}": "4,5"})
    assert response.status_code == 422
    assert "se compte en nombre entier, par exemple 12 (reçu : 4,5)" in _page(response)
    response = _post_section(
        client,
        report,
        ReportSection.INDICATORS,
        {f"indicator-{meetings.id}": "6", f"indicator-{meetings.id}-comment": "Deux en ligne."},
    )
    assert response.status_code == 303
    (value,) = _fresh(report.id).indicator_values
    assert (value.achieved, value.comment, value.target) == (Decimal(6), "Deux en ligne.", None)


# -- submission ------------------------------------------------------------------------------------------
@pytest.mark.worker
def test_submission_checks_everything_stores_the_pdf_and_emails_an_acknowledgement(
    client, sign_in, celery_worker, mailbox
):
    agreement, officer, author = _setup(language="en")
    report = report_of(agreement, "midyear", 2026)
    sign_in(author)
    url = f"/redditions/{report.id}/deposer"

    # Nothing filled: refused, with a check list that links to each field.
    response = client.post(
        url, data={"csrf_token": csrf_token(client, _url(report)), "version": str(report.version)}
    )
    page = _page(response)
    assert response.status_code == 422
    assert f'href="/redditions/{report.id}/activites#activities"' in page
    assert f'href="/redditions/{report.id}/personnes-rejointes#people_total"' in page
    assert _fresh(report.id).status == ReportStatus.TO_DO

    complete_report(_fresh(report.id), author, people=40)
    response = client.post(
        url, data={"csrf_token": csrf_token(client, _url(report)), "version": str(_fresh(report.id).version)}
    )
    assert response.status_code == 302
    report = _fresh(report.id)
    assert report.status == ReportStatus.SUBMITTED and report.submitted_by_id == author.id
    # The stored PDF is the submitted version.
    text = re.sub(
        r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(read(report.pdf))).pages)
    )
    text = normalize_spaces(text)
    for expected in (
        "Rapport d'étape 2026-2027",
        "Table régionale d'essai",
        agreement.number,
        "Rencontres régionales",
    ):
        assert expected in text, expected
    assert "Rencontres de la table tenues" in text and "Femmes+" in text, text
    # The acknowledgement reaches the author in English, with the PDF; officers are told.
    receipt = mailbox.wait_for(author.email, subject_contains="report received")
    assert [a.get_content_type() for a in receipt.iter_attachments()] == ["application/pdf"]
    assert agreement.number in receipt["Subject"]
    mailbox.wait_for(officer.email, subject_contains="rapport à examiner")
    # Locked: a section cannot be saved, a second click changes nothing.
    response = _post_section(
        client, report, ReportSection.ACTIVITIES, {"activities": "Autre", "results": "x"}
    )
    assert (
        response.status_code == 303 and _fresh(report.id).activities == "Rencontres régionales et formation."
    )
    response = client.post(
        url, data={"csrf_token": csrf_token(client, _url(report)), "version": str(report.version)}
    )
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).filter_by(action="report.submit")) == 1


def test_an_unspent_balance_above_the_threshold_must_be_explained():
    agreement, _officer, author = _setup(program="HEBERGEMENT")
    report = complete_report(report_of(agreement, "final", 2026), author)
    from grants.accountability.validation import approved_by_category

    half = {c: operations.FinanceEntry(a / 2, Decimal(0)) for c, a in approved_by_category(report).items()}
    operations.save_finances(report, half, explanation="", actor=author)
    problems = operations.problems_of(report)
    assert [(p.section, p.field) for p in problems] == [(ReportSection.FINANCES, "unspent_explanation")]
    assert "dépasse le seuil de 10,0 % du programme" in normalize_spaces(problems[0].message)
    with pytest.raises(operations.SubmissionIncomplete):
        operations.submit(report.id, actor=author)
    db.session.rollback()
    operations.save_finances(
        _fresh(report.id), half, explanation="Projet retardé par un incendie.", actor=author
    )
    assert operations.submit(report.id, actor=author)[1] is True


# -- review ----------------------------------------------------------------------------------------------
def _submitted(agreement, author) -> Report:
    report = complete_report(report_of(agreement, "midyear", 2026), author)
    operations.submit(report.id, actor=author)
    db.session.commit()
    return _fresh(report.id)


def test_a_change_request_reopens_only_the_sections_named(client, sign_in):
    agreement, officer, author = _setup()
    report = _submitted(agreement, author)
    sign_in(officer)
    url = f"/redditions/analyse/{report.id}/corrections"
    token = csrf_token(client, f"/redditions/analyse/{report.id}")
    base = {"changes-csrf_token": token, "changes-version": str(report.version)}
    response = client.post(url, data=base)
    assert response.status_code == 422
    assert "Choisissez au moins une section à rouvrir" in _page(response)
    response = client.post(url, data=base | {"changes-reopen_finances": "y"})
    assert response.status_code == 422 and "Écrivez ce qu'il faut corriger dans « État financier »" in _page(
        response
    )
    response = client.post(
        url,
        data=base
        | {"changes-reopen_finances": "y", "changes-comment_finances": "Les frais de loyer manquent."},
    )
    assert response.status_code == 303
    report = _fresh(report.id)
    assert report.status == ReportStatus.CHANGES_REQUESTED
    assert report.open_sections == frozenset({ReportSection.FINANCES})
    emails = {
        e.to_address: e
        for e in db.session.scalars(db.select(OutboundEmail).filter_by(template="report_changes_requested"))
    }
    assert author.email in emails, "every member of the organization is told"
    assert "Les frais de loyer manquent." in emails[author.email].body_text

    # The organization sees the comment; only the finances can change.
    client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, "/")})
    sign_in(author)
    page = _page(client.get(_url(report, ReportSection.FINANCES)))
    assert "Les frais de loyer manquent." in page and 'name="spent-rent"' in page
    activities = _page(client.get(_url(report, ReportSection.ACTIVITIES)))
    assert 'name="activities"' not in activities and "n'est pas rouverte" in activities
    response = _post_section(
        client, report, ReportSection.ACTIVITIES, {"activities": "Changé", "results": "x"}
    )
    assert (
        response.status_code == 303 and _fresh(report.id).activities == "Rencontres régionales et formation."
    )
    finances = {"spent-salaries": "122 500", "spent-operating": "52 500", "spent-rent": "1 200"}
    response = _post_section(client, report, ReportSection.FINANCES, finances)
    assert response.status_code == 303
    assert operations.submit(report.id, actor=author)[1] is True
    db.session.commit()
    report = _fresh(report.id)
    assert report.status == ReportStatus.SUBMITTED and report.open_sections == frozenset()
    (change,) = db.session.scalars(db.select(ReportChangeRequest)).all()
    assert change.resolved_at is not None and change.comments == {"finances": "Les frais de loyer manquent."}


def test_a_late_report_holds_the_next_installments_and_acceptance_releases_and_authorizes(client, sign_in):
    agreement, officer, author = _setup(years=2)
    report = report_of(agreement, "midyear", 2026)
    first_year = payments.installments_of(agreement.id, FiscalYear(2026))
    assert [(i.trigger, i.status) for i in first_year] == [
        (InstallmentTrigger.SIGNATURE, InstallmentStatus.SCHEDULED),
        (InstallmentTrigger.MIDYEAR_REPORT, InstallmentStatus.SCHEDULED),
    ]
    # Due 31 October, grace 30 days: on 30 November nothing is held, on 1 December it is.
    with clock.frozen(_at(date(2026, 11, 30))):
        assert _fresh(report.id).is_late and operations.hold_late_reports() == []
    with clock.frozen(_at(date(2026, 12, 1))):
        held = operations.hold_late_reports()
        db.session.commit()
        assert [r.id for r in held] == [report.id]
        assert operations.hold_late_reports() == [], "a report holds once"
    statuses = {
        (i.trigger, i.status, i.hold_source) for i in payments.installments_of(agreement.id, FiscalYear(2026))
    }
    assert statuses == {
        (InstallmentTrigger.SIGNATURE, InstallmentStatus.HELD, HoldSource.REPORT_LATE),
        (InstallmentTrigger.MIDYEAR_REPORT, InstallmentStatus.HELD, HoldSource.REPORT_LATE),
    }
    assert "Rapport d'étape 2026-2027 en retard" in payments.installments_of(agreement.id)[0].hold_reason
    templates = set(db.session.scalars(db.select(OutboundEmail.template)))
    assert {"report_late", "report_late_officer", "installment_hold"} <= templates
    assert (
        db.session.scalar(
            db.select(db.func.count(AuditEntry.id)).filter_by(action="report.installments_held")
        )
        == 1
    )

    # The organization submits late; the officer accepts through the page.
    report = _submitted(agreement, author)
    sign_in(officer)
    with clock.frozen(_at(date(2026, 12, 10))):
        response = client.post(
            f"/redditions/analyse/{report.id}/accepter",
            data={
                "accept-csrf_token": csrf_token(client, f"/redditions/analyse/{report.id}"),
                "accept-version": str(report.version),
            },
        )
    assert response.status_code == 303
    assert (
        _fresh(report.id).status == ReportStatus.ACCEPTED and _fresh(report.id).installments_held_at is None
    )
    db.session.expire_all()
    signature, midyear = payments.installments_of(agreement.id, FiscalYear(2026))
    assert (signature.status, signature.hold_source) == (InstallmentStatus.SCHEDULED, None)
    assert midyear.status == InstallmentStatus.AUTHORIZED and midyear.authorized_by_id == officer.id
    assert all(
        i.status == InstallmentStatus.SCHEDULED
        for i in payments.installments_of(agreement.id, FiscalYear(2027))
    )
    accepted = db.session.scalars(db.select(OutboundEmail).filter_by(template="report_accepted")).first()
    assert "Versement autorisé : 87 500,00 $ (2026-2027)" in normalize_spaces(accepted.body_text)
    actions = db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    tail = actions[actions.index("report.accept") :]
    assert tail == [
        "report.accept",
        "installment.release",
        "installment.release",
        "report.installments_released",
        "installment.authorize",
    ]


def test_an_annual_report_late_holds_the_next_year_and_an_officer_hold_stays(client):
    agreement, officer, _author = _setup(years=2)
    annual = report_of(agreement, "annual", 2026)
    officer_hold = payments.installments_of(agreement.id, FiscalYear(2027))[1]
    payments.apply_event(officer_hold, InstallmentEvent.HOLD, actor=officer, reason="Vérification")
    db.session.commit()
    # Due 30 June 2027: the 2027-2028 installments are held on 31 July.
    with clock.frozen(_at(date(2027, 7, 31))):
        held = operations.hold_late_reports()
        db.session.commit()
    assert annual.id in [r.id for r in held]
    year_2027 = payments.installments_of(agreement.id, FiscalYear(2027))
    assert [(i.status, i.hold_source) for i in year_2027] == [
        (InstallmentStatus.HELD, HoldSource.REPORT_LATE),
        (InstallmentStatus.HELD, HoldSource.OFFICER),
    ]
    # An extension past the grace period lifts the hold it placed (not the officer's).
    with clock.frozen(_at(date(2027, 8, 1))):
        operations.extend_due_date(_fresh(annual.id), date(2027, 9, 30), "Vérificateur malade", actor=officer)
        db.session.commit()
    db.session.expire_all()
    assert [(i.status, i.hold_source) for i in payments.installments_of(agreement.id, FiscalYear(2027))] == [
        (InstallmentStatus.SCHEDULED, None),
        (InstallmentStatus.HELD, HoldSource.OFFICER),
    ]


def test_two_officers_acting_on_the_same_report_at_once_one_wins_and_the_other_sees_the_current_state(
    app, sign_in
):
    agreement, officer, author = _setup()
    colleague = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    report = _submitted(agreement, author)
    first, second = app.test_client(), app.test_client()
    sign_in(officer, target=first)
    sign_in(colleague, target=second)
    page = f"/redditions/analyse/{report.id}"
    tokens = csrf_token(first, page), csrf_token(second, page)  # both pages show the same version
    version = str(report.version)
    accepted = first.post(
        f"{page}/accepter", data={"accept-csrf_token": tokens[0], "accept-version": version}
    )
    refused = second.post(
        f"{page}/corrections",
        data={
            "changes-csrf_token": tokens[1],
            "changes-version": version,
            "changes-reopen_activities": "y",
            "changes-comment_activities": "Précisez.",
        },
    )
    assert accepted.status_code == 303
    assert refused.status_code == 409
    body = _page(refused)
    assert "a été modifié par quelqu'un d'autre" in body and "Accepté" in body
    assert "Demander des corrections" not in body, "the current state offers no action left"
    assert _fresh(report.id).status == ReportStatus.ACCEPTED
    assert db.session.scalar(db.select(db.func.count(ReportChangeRequest.id))) == 0


def test_another_organizations_report_answers_404_and_read_only_members_cannot_change_it(
    app, client, sign_in
):
    agreement, _officer, author = _setup()
    report = report_of(agreement, "midyear", 2026)
    complete_report(report, author)
    stranger = member(MemberRole.ACCOUNT_ADMIN)
    reader = member(MemberRole.READ_ONLY, organization=agreement.organization)
    other_officer = staff(StaffRole.PROGRAM_OFFICER, "PQLC")
    cell = staff(StaffRole.COORDINATION_CELL)
    attachment_id = _fresh(report.id).attachments[0].id if _fresh(report.id).attachments else None

    sign_in(stranger)
    for url in (_url(report), _url(report, ReportSection.PEOPLE), f"/redditions/analyse/{report.id}"):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            _url(report, ReportSection.PEOPLE), data={"csrf_token": csrf_token(client, "/")}
        ).status_code
        == 404
    )
    if attachment_id:
        assert client.get(f"/redditions/{report.id}/pieces/{attachment_id}").status_code == 404

    reading = app.test_client()
    sign_in(reader, target=reading)
    assert reading.get(_url(report)).status_code == 200
    assert 'name="activities"' not in reading.get(_url(report, ReportSection.ACTIVITIES)).get_data(
        as_text=True
    )
    token = csrf_token(reading, _url(report))
    assert reading.post(_url(report, ReportSection.ACTIVITIES), data={"csrf_token": token}).status_code == 404
    assert reading.post(f"/redditions/{report.id}/deposer", data={"csrf_token": token}).status_code == 404

    outsider = app.test_client()
    sign_in(other_officer, target=outsider)
    assert outsider.get(f"/redditions/analyse/{report.id}").status_code == 404
    assert outsider.get("/redditions/analyse/programmes/TNCES").status_code == 404

    watcher = app.test_client()
    sign_in(cell, target=watcher)
    page = _page(watcher.get(f"/redditions/analyse/{report.id}"))
    assert "Table régionale d'essai" in page and "Accepter le rapport" not in page
    token = csrf_token(watcher, f"/redditions/analyse/{report.id}")
    assert (
        watcher.post(
            f"/redditions/analyse/{report.id}/accepter", data={"accept-csrf_token": token}
        ).status_code
        == 404
    )


# -- the officer's queue and program pages ------------------------------------------------------------
def test_the_queue_filters_sorts_and_exports_and_says_who_is_late(client, sign_in):
    agreement, officer, author = _setup()
    other = OrganizationFactory(legal_name="Autre table", region_code="03")
    agreement_in_force("TNCES", other, years=1)
    _submitted(agreement, author)
    sign_in(officer)
    with clock.frozen(_at(date(2026, 11, 15))):
        page = _page(client.get("/redditions/analyse/?late=1"))
        assert "1 rapport" in page and "Autre table" in page and "15 jours" in page
        assert "Table régionale d'essai" not in page
        page = _page(client.get("/redditions/analyse/?region=03&sort=-due"))
        assert "Autre table" in page and "Table régionale d'essai" not in page
        page = _page(client.get("/redditions/analyse/?due_from=2026-13-01"))
        assert "Entrez une date au format AAAA-MM-JJ" in page and 'aria-invalid="true"' in page
        response = client.get("/redditions/analyse/?format=csv&sort=organization")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Convention", "Organisme", "Programme"]
    assert [r[1] for r in rows[1:]] == [
        "Autre table",
        "Autre table",
        "Table régionale d'essai",
        "Table régionale d'essai",
    ]
    late = {(r[1], r[4]): r[10] for r in rows[1:]}
    assert late[("Autre table", "Rapport d'étape")] == "15"
    assert late[("Table régionale d'essai", "Rapport d'étape")] == "0"


def test_an_officer_edits_the_programs_indicators_settings_and_an_agreements_targets(
    client, sign_in, accountability_sandbox
):
    agreement, officer, author = _setup()
    sign_in(officer)
    url = "/redditions/analyse/programmes/TNCES"
    page = _page(client.get(url))
    assert "Rencontres de la table tenues" in page
    meetings = db.session.execute(
        db.select(Indicator).filter_by(program_id=agreement.program_id, code="meetings_held")
    ).scalar_one()
    token = csrf_token(client, url)
    rows = {}
    for i in db.session.scalars(db.select(Indicator).filter_by(program_id=agreement.program_id)):
        p = f"ind-{i.id}-"
        rows.update(
            {p + "code": i.code, p + "label_fr": i.label_fr, p + "label_en": i.label_en, p + "unit": i.unit}
            | {p + "kind": i.kind, p + "order": str(i.sort_order), p + "active": "1"}
        )
    rows[f"ind-{meetings.id}-target"] = "douze"
    rows |= {
        "ind-new-code": "trainings",
        "ind-new-label_fr": "Formations offertes",
        "ind-new-unit": "activities",
    }
    rows["ind-new-kind"] = "count"
    response = client.post(f"{url}/indicateurs", data={"indicators-csrf_token": token, **rows})
    assert response.status_code == 422 and "Entrez une cible positive" in _page(response)
    assert 'value="douze"' in _page(response) and 'value="Formations offertes"' in _page(response)
    rows[f"ind-{meetings.id}-target"] = "12"
    assert client.post(f"{url}/indicateurs", data={"indicators-csrf_token": token, **rows}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Indicator, meetings.id).default_target == Decimal(12)
    assert (
        db.session.execute(db.select(Indicator).filter_by(code="trainings")).scalar_one().label_fr
        == "Formations offertes"
    )

    settings = {
        "csrf_token": token,
        "version": "1",
        "grace_days": "quinze",
        "unspent_threshold_percent": "cent",
    }
    response = client.post(f"{url}/parametres", data=settings)
    page = _page(response)
    assert response.status_code == 422 and "Entrez un pourcentage de 0 à 100" in page
    assert "Un nombre de jours entre 0 et 365" in page and 'value="quinze"' in page
    settings |= {"grace_days": "15", "unspent_threshold_percent": "12,5", "adsplus_variables": ["disability"]}
    assert client.post(f"{url}/parametres", data=settings).status_code == 303
    report = report_of(agreement, "midyear", 2026)
    people = _page(client.get(_url(report, ReportSection.PEOPLE)))
    assert "Incapacité" in people
    from grants.accountability.queries import settings_for

    saved = settings_for(agreement.program_id)
    assert (saved.grace_days, saved.unspent_threshold_percent, saved.adsplus_variables) == (
        15,
        Decimal("12.50"),
        ["disability"],
    )

    targets = f"/redditions/analyse/conventions/{agreement.id}/cibles"
    response = client.post(targets, data={"csrf_token": token, f"target-{meetings.id}": "8"})
    assert response.status_code == 303
    operations.save_activities(report, activities="a", results="b", actor=author)
    assert "8" in _page(client.get(_url(report, ReportSection.INDICATORS)))


# -- who may do what ---------------------------------------------------------------------------------
def test_every_access_to_reports_is_a_rule_of_permissions(client, sign_in):
    """The officers' pages ask `grants.core.permissions`: the queue and a report's analysis are
    staff pages, the due date moves until the report is settled, targets are the program's officers'."""
    from grants.core import permissions

    agreement, officer, author = _setup()
    report = report_of(agreement, "midyear", 2026)
    assert permissions.can_follow_reports(officer) and not permissions.can_follow_reports(author)
    assert permissions.can_read_report_review(officer, report)
    assert not permissions.can_read_report_review(author, report)
    assert permissions.can_set_targets(officer, agreement) and not permissions.can_set_targets(
        author, agreement
    )
    assert permissions.can_extend_report(officer, report) and not permissions.can_extend_report(
        author, report
    )

    sign_in(author)
    assert client.get("/redditions/analyse/").status_code == 403
    assert client.get(f"/redditions/analyse/{report.id}").status_code == 404
    assert client.get(f"/redditions/analyse/conventions/{agreement.id}/cibles").status_code == 404
    assert client.get(f"/redditions/{report.id}/pieces/999999").status_code == 404
    assert client.get(f"/redditions/{report.id}/rapport.pdf").status_code == 404  # not submitted yet


def test_an_indicator_grid_refusal_keeps_every_row_as_typed(client, sign_in):
    """A program's indicators: a code taken by another indicator is refused on its cell; the blank
    row for a new indicator is ignored, whatever its target says; nothing typed is lost."""
    agreement, officer, _author = _setup()
    sign_in(officer)
    url = "/redditions/analyse/programmes/TNCES"
    token = csrf_token(client, url)
    indicators = list(
        db.session.scalars(
            db.select(Indicator).filter_by(program_id=agreement.program_id).order_by(Indicator.id)
        )
    )
    assert len(indicators) >= 2
    rows = {}
    for i in indicators:
        p = f"ind-{i.id}-"
        rows |= {p + "code": i.code, p + "label_fr": i.label_fr, p + "unit": i.unit, p + "kind": i.kind}
        rows |= {p + "order": str(i.sort_order), p + "active": "1"}
    first, second = indicators[0], indicators[1]
    rows[f"ind-{second.id}-code"] = first.code
    rows[f"ind-{second.id}-label_fr"] = "Libellé retouché"
    rows["ind-new-target"] = "n'importe quoi"
    response = client.post(f"{url}/indicateurs", data={"indicators-csrf_token": token, **rows})
    page = _page(response)
    assert response.status_code == 422
    assert page.count("Ce code est déjà utilisé par un autre indicateur.") == 2  # summary and cell
    assert 'value="Libellé retouché"' in page and 'value="n\'importe quoi"' in page
    assert "Entrez une cible positive" not in page
    db.session.expire_all()
    assert db.session.get(Indicator, second.id).code == second.code
