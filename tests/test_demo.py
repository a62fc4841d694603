"""The demo data set `make run` loads: every role finds something to act on."""

from grants.calls.operations import open_calls
from grants.core.db import db
from grants.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from grants.requests.models import FundingRequest
from grants.requests.workflow import RequestStatus


def test_demo_seed_opens_calls_and_starts_a_draft(client):
    assert [a.email for a in seed_demo()] == [a.email for a in DEMO_ACCOUNTS]
    db.session.commit()
    assert {c.program.code for c in open_calls()} == {"PQLC", "TNCES", "TRCES", "HEBERGEMENT"}
    draft = db.session.execute(db.select(FundingRequest).filter_by(status=RequestStatus.DRAFT)).scalar_one()
    assert draft.program.code == "HEBERGEMENT"
    requests = db.session.scalar(db.select(db.func.count(FundingRequest.id)))
    seed_demo()  # a second run changes nothing
    assert db.session.scalar(db.select(db.func.count(FundingRequest.id))) == requests == 2 + 9
    # The TNCES agreement in force since 2025-2026 can be indexed for 2026-2027 (2025: +2.4 %).
    from decimal import Decimal

    from grants.fiscal import FiscalYear
    from grants.indexation.operations import preview
    from grants.programs.models import Program

    tnces = db.session.execute(db.select(Program).filter_by(code="TNCES")).scalar_one()
    rate, (line,) = preview(tnces, FiscalYear(2026))
    assert (rate.percent, line.new_amount) == (Decimal("2.4"), Decimal("179200.00"))
    from tests.helpers import csrf_token

    token = csrf_token(client, "/compte/connexion")
    response = client.post(
        "/compte/connexion",
        data={"email": "direction@passerelle.example.org", "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert draft.reference in client.get("/demandes/").get_data(as_text=True)


def test_demo_has_reports_in_every_state_a_held_installment_and_a_suppressed_program_report():
    from grants.accountability.models import Report
    from grants.accountability.program_report import gather
    from grants.accountability.workflow import ReportStatus
    from grants.core import clock
    from grants.core.suppression import Status
    from grants.fiscal import FiscalYear
    from grants.payments.models import HoldSource, Installment, InstallmentStatus
    from grants.programs.models import Program

    seed_demo()
    db.session.commit()
    statuses = set(db.session.scalars(db.select(Report.status).distinct()))
    assert {
        ReportStatus.TO_DO,
        ReportStatus.DRAFT,
        ReportStatus.SUBMITTED,
        ReportStatus.CHANGES_REQUESTED,
        ReportStatus.ACCEPTED,
    } <= {ReportStatus(s) for s in statuses}
    reports = db.session.scalars(db.select(Report)).all()
    assert any(r.is_late for r in reports)
    held = db.session.scalars(db.select(Installment).filter_by(status=InstallmentStatus.HELD)).all()
    assert held and all(i.hold_source == HoldSource.REPORT_LATE for i in held)
    trces = db.session.execute(db.select(Program).filter_by(code="TRCES")).scalar_one()
    report = gather(trces, FiscalYear(2026), today=clock.today())
    assert len(report.organizations) == 9 and report.paid > 0
    table = report.by_organization
    statuses = {c.status for line in table.cells for c in line}
    assert Status.PRIMARY in statuses and Status.SECONDARY in statuses
    # The officer's page already has that report built, ready to download.
    from grants.core.jobs import BackgroundJob

    job = db.session.execute(db.select(BackgroundJob).filter_by(program_id=trces.id)).scalar_one()
    assert job.is_done and job.result_file_id is not None
    # Reports still late today already got their overdue notice, once, in the outbox.
    from grants.accountability.models import ReportReminder

    reminded = db.session.scalars(db.select(ReportReminder)).all()
    assert any(r.step > 0 for r in reminded)
    assert len({(r.report_id, r.step) for r in reminded}) == len(reminded)
