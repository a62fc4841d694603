"""Withdrawing an import that changed lines another import loaded (issue 11, item 1): the earlier
version comes back, with its import and its values, as if the later file had never been loaded;
the lines the later file added go. Counts on the page (French and English) and in the audit entry;
the matching is refreshed. Withdrawing the earlier import leaves the later version alone; chained
changes go back to the newest version whose import still stands."""

from __future__ import annotations

from decimal import Decimal

from grants.coordination import imports, matching_run
from grants.coordination.models import ExternalFunding, ExternalFundingVersion, FundingImport, ImportStatus
from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.jobs import BackgroundJob
from tests.helpers import csrf_token
from tests.test_coordination_import import cell, file_of, line, page_text, upload_and_load

__all__ = ["cell"]  # the signed-in cell member, a fixture shared with the import tests


def funding(record_id: str) -> ExternalFunding | None:
    db.session.expire_all()
    return db.session.execute(
        db.select(ExternalFunding).filter_by(source_ministry="MSSS", record_id=record_id)
    ).scalar_one_or_none()


def withdraw(client, funding_import: FundingImport):
    url = f"/cellule/importations/{funding_import.id}"
    response = client.post(f"{url}/retrait", data={"csrf_token": csrf_token(client, url), "confirm": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    return db.session.get(FundingImport, funding_import.id)


def matching_jobs() -> int:
    return db.session.scalar(
        db.select(db.func.count()).select_from(BackgroundJob).filter_by(kind=matching_run.JOB_KIND)
    )


def test_withdrawing_the_later_import_gives_the_earlier_line_back(client, cell):
    first = upload_and_load(
        client,
        file_of(line(record_id="MSSS-1", amount_cad="50000.00"), line(record_id="MSSS-2")),
        "a.csv",
    )
    original = funding("MSSS-1")
    original_id, organization_line = original.id, original.line
    later = upload_and_load(
        client,
        file_of(
            line(record_id="MSSS-1", amount_cad="60000.00", program="Autre programme"),
            line(record_id="MSSS-3", recipient_name="Centre Horizon"),
        ),
        "b.csv",
    )
    assert later.lines_loaded == 2
    changed = funding("MSSS-1")
    assert changed.import_id == later.id and changed.amount == Decimal("60000.00")

    jobs_before = matching_jobs()
    withdrawn = withdraw(client, later)
    assert withdrawn.status == ImportStatus.WITHDRAWN
    assert (withdrawn.lines_removed, withdrawn.lines_restored) == (1, 1)

    back = funding("MSSS-1")
    assert back.id == original_id and back.import_id == first.id and back.line == organization_line
    assert back.amount == Decimal("50000.00") and back.program == "PSOC"
    assert funding("MSSS-3") is None
    assert funding("MSSS-2").import_id == first.id
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalFundingVersion)) == 0
    assert imports.line_count(db.session.get(FundingImport, first.id)) == 2
    assert matching_jobs() == jobs_before + 1  # the matching is refreshed, as after any withdrawal

    url = f"/cellule/importations/{later.id}"
    french = page_text(client, url)  # the flash message, then the summary
    assert "Importation retirée : 1 ligne supprimée. 1 ligne remise dans sa version précédente." in french
    summary = 'id="withdrawal-counts">{}</dd>'
    french = page_text(client, url)
    assert summary.format("1 ligne supprimée, 1 ligne remise dans sa version précédente") in french
    english = page_text(client, f"{url}?lang=en")
    assert "<dt>At withdrawal</dt>" in english
    assert summary.format("1 line deleted, 1 line put back to its previous version") in english
    entry = db.session.execute(
        db.select(AuditEntry).filter_by(action="funding_import.withdrawn", object_id=str(later.id))
    ).scalar_one()
    assert entry.changes["lines_removed"] == 1 and entry.changes["lines_restored"] == 1
    assert entry.actor_id == cell.id
    first_page = page_text(client, f"/cellule/importations/{first.id}?lang=fr")
    assert "50 000" in first_page and "60 000" not in first_page and "Autre programme" not in first_page


def test_withdrawing_the_earlier_import_leaves_the_later_version(client, cell):
    first = upload_and_load(
        client, file_of(line(record_id="MSSS-1"), line(record_id="MSSS-2", amount_cad="1000.00")), "a.csv"
    )
    later = upload_and_load(client, file_of(line(record_id="MSSS-1", amount_cad="70000.00")), "b.csv")

    withdrawn = withdraw(client, first)
    assert (withdrawn.lines_removed, withdrawn.lines_restored) == (1, 0)
    kept = funding("MSSS-1")
    assert kept.import_id == later.id and kept.amount == Decimal("70000.00")
    assert funding("MSSS-2") is None
    text = page_text(client, f"/cellule/importations/{first.id}")
    assert "Importation retirée : 1 ligne supprimée." in text

    # The earlier import is gone: withdrawing the later one has nothing to go back to.
    withdrawn = withdraw(client, later)
    assert (withdrawn.lines_removed, withdrawn.lines_restored) == (1, 0)
    assert funding("MSSS-1") is None


def _three_changes(client) -> tuple[FundingImport, FundingImport, FundingImport]:
    loads = [
        upload_and_load(client, file_of(line(record_id="MSSS-1", amount_cad=amount)), f"{name}.csv")
        for name, amount in (("a", "10000.00"), ("b", "20000.00"), ("c", "30000.00"))
    ]
    assert funding("MSSS-1").import_id == loads[2].id
    return loads[0], loads[1], loads[2]


def test_withdrawing_the_last_of_three_changes_gives_the_middle_version(client, cell):
    first, middle, last = _three_changes(client)
    assert (withdraw(client, last).lines_restored, funding("MSSS-1").import_id) == (1, middle.id)
    assert funding("MSSS-1").amount == Decimal("20000.00")
    # and again: the first version, then nothing
    assert (withdraw(client, middle).lines_restored, funding("MSSS-1").import_id) == (1, first.id)
    assert funding("MSSS-1").amount == Decimal("10000.00")
    assert withdraw(client, first).lines_removed == 1 and funding("MSSS-1") is None


def test_a_withdrawn_middle_version_is_skipped(client, cell):
    first, middle, last = _three_changes(client)
    withdrawn = withdraw(client, middle)
    assert (withdrawn.lines_removed, withdrawn.lines_restored) == (0, 0)
    assert funding("MSSS-1").amount == Decimal("30000.00")
    withdrawn = withdraw(client, last)
    assert (withdrawn.lines_removed, withdrawn.lines_restored) == (0, 1)
    back = funding("MSSS-1")
    assert back.import_id == first.id and back.amount == Decimal("10000.00")
    text = page_text(client, f"/cellule/importations/{last.id}")
    assert "supprimées. 1 ligne remise dans sa version précédente." in text


def test_reimporting_the_same_file_keeps_no_version(client, cell):
    data = file_of(line(record_id="MSSS-1"), line(record_id="MSSS-2"))
    upload_and_load(client, data, "a.csv")
    again = upload_and_load(client, data, "a.csv")
    assert (again.lines_loaded, again.lines_unchanged) == (0, 2)
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalFundingVersion)) == 0
