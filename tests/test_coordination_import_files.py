"""Other ministries' funding files as people make them (Excel in French or English, other systems):
a BOM, CRLF, blank lines and lines of only separators, header names in any case, quoted values with
commas and line breaks, semicolon-separated files, Windows-1252 and UTF-16 files, amounts and dates
the Quebec way and the ambiguous ways, regions and NEQs however written, a header-only file, an
empty file, a workbook renamed .csv. Each is read or refused the sensible way, a refused line with
its number and reason in the reader's language, a refused file loading nothing and saying why,
through the page and the command, never a 500; the audit entry of a refused import keeps its
reason as a code, said in the reader's language on the journal.

Line numbers are the spreadsheet's rows (header = 1; a quoted value over several text lines is one
row, as Excel shows it)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest

from grants.coordination import imports
from grants.coordination.models import ExternalFunding, FundingImport, ImportLineError, ImportStatus
from grants.coordination.records import FileRefused, FundingCsvReader, parse_region
from grants.core.audit import AuditEntry, record
from grants.core.db import db
from grants.core.jobs import BackgroundJob, JobStatus
from grants.core.roles import StaffRole
from tests.conftest import wait_until
from tests.factories import staff
from tests.helpers import csrf_token
from tests.test_coordination_import import (
    GOOD,
    HEADER,
    _job_status,
    file_of,
    line,
    page_text,
    text_of,
    upload,
    upload_and_load,
)

COLUMNS = HEADER.split(",")


@pytest.fixture(autouse=True)
def _background_jobs_settled(app):
    """A load that changed lines queues the matching refresh; when a Celery worker (started by an
    earlier test, it lives for the session) takes it as the test ends, its claim and the tables'
    emptying wait on each other. Let the worker finish what was queued before the test ends."""
    yield
    active = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)

    def settled() -> bool:
        db.session.rollback()
        return not db.session.scalar(
            db.select(db.func.count()).select_from(BackgroundJob).where(BackgroundJob.status.in_(active))
        )

    if not settled() and app.extensions["celery"].control.ping(timeout=0.5):
        wait_until(settled, timeout=60)


@pytest.fixture
def cell(client, sign_in):
    user = staff(StaffRole.COORDINATION_CELL, email="cellule@example.org")
    sign_in(user)
    return user


def row(separator: str = ",", **changes: str) -> str:
    """One line, every value quoted (as Excel quotes what needs it, and more)."""
    values = {**GOOD, **changes}
    return separator.join('"' + values[name].replace('"', '""') + '"' for name in COLUMNS)


def read(data: bytes) -> tuple[list, list[tuple[int, str, str]]]:
    """The good records, and the bad lines as (number, code, French message)."""
    reader = FundingCsvReader(data)
    good = list(reader)
    return good, [(error.line, error.problem.code, error.message("fr")) for error in reader.errors]


def refusal(data: bytes) -> FileRefused:
    with pytest.raises(FileRefused) as refused:
        FundingCsvReader(data)
    return refused.value


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return buffer.getvalue()


# -- the shape of the file --------------------------------------------------------------------------
def test_bom_crlf_header_case_and_spaces_blank_and_separator_only_lines() -> None:
    header = ",".join(f"  {name.upper()} " for name in COLUMNS).replace("RECORD_ID", "Record ID")
    data = (
        "\ufeff"
        + header
        + "\r\n"
        + line(record_id="A-1").rstrip("\n")
        + "\r\n"
        + ",,,,,,,,,,,,,\r\n"  # a formatted but empty Excel row: skipped, still a row
        + line(record_id="A-2").rstrip("\n")
        + "\r\n\r\n,,,\r\n\r\n"
    ).encode("utf-8")
    good, bad = read(data)
    assert bad == []
    assert [(record.record_id, record.line) for record in good] == [("A-1", 2), ("A-2", 4)]
    assert good[0].recipient_name == "Maison Passerelle" and good[0].amount_cad == Decimal("50000.00")


def test_quoted_commas_and_line_breaks_keep_spreadsheet_row_numbers() -> None:
    multi = row(record_id="Q-1", description="Lits, repas\r\net accompagnement\r\n(3 lignes)")
    data = (
        HEADER
        + "\r\n"
        + multi
        + "\r\n"
        + row(record_id="Q-2", project_title='Le "refuge", phase 2')
        + "\r\n"
        + row(record_id="Q-3", amount_cad="beaucoup")
        + "\r\n"
    ).encode()
    good, bad = read(data)
    assert [(record.record_id, record.line) for record in good] == [("Q-1", 2), ("Q-2", 3)]
    assert good[0].description == "Lits, repas\r\net accompagnement\r\n(3 lignes)"
    assert good[1].project_title == 'Le "refuge", phase 2'
    # Row 4 of the spreadsheet (line 6 of the text file: the value of row 2 spans three).
    assert bad == [(4, "amount", "ligne 4: montant beaucoup illisible : un nombre comme 12500.00")]


def test_a_quote_never_closed_is_named_not_silently_swallowing_the_next_lines() -> None:
    broken = line(record_id="U-1").replace("Lits d'urgence", "\"Lits d'urgence", 1)
    good, bad = read(file_of(line(record_id="U-0"), broken, line(record_id="U-2"), line(record_id="U-3")))
    assert [record.record_id for record in good] == ["U-0"]
    assert bad == [
        (
            3,
            "quote",
            "ligne 3: un guillemet ouvre la valeur de description sans la refermer : les 2 lignes "
            "suivantes du fichier ont été lues comme cette seule valeur ; refermez le guillemet, ou "
            'doublez-le ("") s\'il fait partie de la valeur',
        )
    ]


def test_an_unquoted_separator_in_a_value_is_a_bad_line_not_a_shifted_one() -> None:
    shifted = line(record_id="S-1").replace("50000.00,", "50000.00,Note, avec virgule,", 1)
    good, bad = read(file_of(shifted))
    assert good == [] and [(number, code) for number, code, _message in bad] == [(2, "field_count_more")]
    extra = line(record_id="S-2").rstrip("\n") + ",note,autre\n"
    good, bad = read(file_of(extra))
    assert bad == [
        (
            2,
            "field_count_more",
            "ligne 2: la ligne a 16 champs, l'en-tête en annonce 14 : un séparateur « , » dans une "
            "valeur ? mettez cette valeur entre guillemets",
        )
    ]
    # Empty trailing fields (an export's habit) are not a problem.
    good, bad = read(file_of(line(record_id="S-3").rstrip("\n") + ",,\n"))
    assert [record.record_id for record in good] == ["S-3"] and bad == []


@pytest.mark.parametrize("separator", [";", "\t"], ids=["semicolon", "tab"])
def test_semicolon_and_tab_files_are_read_with_quebec_amounts(separator: str) -> None:
    data = (
        separator.join(COLUMNS)
        + "\r\n"
        + row(separator, record_id="P-1", amount_cad="175 000,00", description="Lits; repas, accueil")
        + "\r\n"
        + row(separator, record_id="P-2", amount_cad="12500,5")
        + "\r\n"
    ).encode("utf-8-sig")
    reader = FundingCsvReader(data)
    good = list(reader)
    assert reader.separator == separator and reader.errors == []
    assert [record.amount_cad for record in good] == [Decimal("175000.00"), Decimal("12500.50")]
    assert good[0].description == "Lits; repas, accueil"


def test_a_title_line_before_the_header_is_named() -> None:
    refused = refusal(("Financement 2026-2027\n" + HEADER + "\n" + line()).encode())
    assert refused.problem.code == "no_header"
    assert refused.message("fr").startswith("la ligne 1 devrait être l'en-tête")
    assert "« Financement 2026-2027 »" in refused.message("fr")


# -- file-level refusals ------------------------------------------------------------------------------
def test_windows_1252_is_refused_naming_the_value_and_what_to_do() -> None:
    refused = refusal(
        file_of(line(), line(record_id="W-2", recipient_city="Montréal")).decode().encode("cp1252")
    )
    assert refused.problem.code == "encoding_windows"
    french, english = refused.message("fr"), refused.message("en")
    assert french.startswith("le fichier n'est pas en UTF-8 (octet 0xE9 à la ligne 2)")
    assert "Windows-1252" in french and "« Hébergement d'urgence »" in french
    assert "« CSV UTF-8 (délimité par des virgules) »" in french
    assert "“CSV UTF-8 (Comma delimited)”" in english and "Windows-1252" in english


@pytest.mark.parametrize(
    ("data", "code", "french"),
    [
        (b"", "empty", "le fichier est vide"),
        (b"\r\n\r\n", "empty", "le fichier est vide"),
        ("\ufeff".encode(), "empty", "le fichier est vide"),
        (xlsx_bytes(), "spreadsheet", "le fichier est un classeur (.xlsx / .ods), pas un CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "spreadsheet", "classeur (.xls)"),
        (file_of(line()).decode().encode("utf-16"), "encoding_utf16", "le fichier est en UTF-16"),
        (file_of(line(), line(record_id="Z", description="nul\0")), "binary", "octet nul à la ligne 3"),
    ],
    ids=["empty", "blank-lines", "bom-only", "xlsx", "xls", "utf-16", "null-byte"],
)
def test_files_that_are_not_csv_text_are_refused_with_a_reason(data: bytes, code: str, french: str) -> None:
    refused = refusal(data)
    assert refused.problem.code == code and french in refused.message("fr")
    assert refused.message("en")


def test_a_header_only_file_reads_no_line() -> None:
    reader = FundingCsvReader((HEADER + "\r\n\r\n,,,\r\n").encode())
    assert list(reader) == [] and reader.errors == [] and reader.lines_read == 0


# -- values -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("175 000,00", "175000.00"),
        ("175\u00a0000,00\u00a0$", "175000.00"),  # French Excel's currency format
        ("175 000 $", "175000.00"),
        ("175000,5", "175000.50"),
        ("175000.50", "175000.50"),
        ("$175000", "175000.00"),
        ("0", "0.00"),  # a cancelled grant sent again with its record_id: the line becomes 0
        ("999 999 999 999,99", "999999999999.99"),
    ],
)
def test_amounts_written_the_quebec_way_are_read(text: str, amount: str) -> None:
    good, bad = read(file_of(line(amount_cad=text)))
    assert bad == [] and good[0].amount_cad == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "code", "french"),
    [
        ("1,234.56", "amount_mixed", "montant 1,234.56 : une virgule et un point"),
        ("1.234,56", "amount_mixed", "montant 1.234,56 : une virgule et un point"),
        ("175,000", "amount_thousands", "montant 175,000 ambigu : milliers ou décimales ?"),
        ("1.234.567", "amount_thousands", "montant 1.234.567 ambigu"),
        ("12.345", "amount_thousands", "montant 12.345 ambigu"),
        ("12,3456", "amount", "montant 12,3456 illisible"),
        ("-5 000,00", "amount_negative", "montant -5 000,00 négatif : pour corriger une ligne déjà envoyée"),
        ("1 000 000 000 000", "amount_too_large", "trop grand : au plus 999 999 999 999,99"),
        ("1e5", "amount", "montant 1e5 illisible"),
        ("NaN", "amount", "montant NaN illisible"),
        ("", "amount", "montant '' illisible"),
    ],
)
def test_ambiguous_or_impossible_amounts_are_refused_naming_the_line(
    text: str, code: str, french: str
) -> None:
    good, bad = read(file_of(line(record_id="OK"), line(record_id="BAD", amount_cad=text)))
    assert [record.record_id for record in good] == ["OK"]
    assert [(number, found) for number, found, _message in bad] == [(3, code)]
    assert bad[0][2].startswith("ligne 3: ") and french in bad[0][2]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-04-01", date(2026, 4, 1)),
        ("2026/04/01", date(2026, 4, 1)),
        ("2026-4-1", date(2026, 4, 1)),
        ("2026.04.01", date(2026, 4, 1)),
        ("2026-04-01 00:00:00", date(2026, 4, 1)),  # what some systems export
    ],
)
def test_year_first_dates_are_read(text: str, day: date) -> None:
    good, bad = read(file_of(line(start_date=text)))
    assert bad == [] and good[0].start_date == day


@pytest.mark.parametrize(
    ("text", "code", "english"),
    [
        ("01/04/2026", "date_ambiguous", "day and month are ambiguous (DD/MM or MM/DD?)"),
        ("31/03/2026", "date_ambiguous", "write the date YYYY-MM-DD"),  # one rule for every DD/MM
        ("4-1-26", "date_ambiguous", "day and month are ambiguous"),
        ("2026-02-30", "date", "a YYYY-MM-DD date is expected"),
        ("2026/13/01", "date", "a YYYY-MM-DD date is expected"),
        ("1er avril 2026", "date", "a YYYY-MM-DD date is expected"),
    ],
)
def test_other_dates_are_refused_with_the_reason(text: str, code: str, english: str) -> None:
    reader = FundingCsvReader(file_of(line(start_date=text)))
    assert list(reader) == []
    (error,) = reader.errors
    assert error.problem.code == code
    assert error.message("en").startswith(f"line 2: start_date {text}: ") and english in error.message("en")


def test_the_period_and_the_fiscal_year_must_agree() -> None:
    good, bad = read(
        file_of(
            line(record_id="F-1", start_date="2027-03-31", end_date="2026-04-01"),
            line(record_id="F-2", fiscal_year="2024-2025"),
            line(record_id="F-3", start_date="2026-01-15", end_date="2028-03-31", fiscal_year="2027-2028"),
            line(record_id="F-4", start_date="2026-03-01", end_date="2026-04-30", fiscal_year="2025-2026"),
        )
    )
    # A multi-year line tagged with one of the years it covers is read as the ministry sent it.
    assert [(record.record_id, str(record.fiscal_year)) for record in good] == [
        ("F-3", "2027-2028"),
        ("F-4", "2025-2026"),
    ]
    assert bad == [
        (2, "period", "ligne 2: end_date 2026-04-01 est avant start_date 2027-03-31"),
        (
            3,
            "fiscal_year_period",
            "ligne 3: exercice 2024-2025 hors de la période du 2026-04-01 au 2027-03-31 : l'exercice d'une "
            "ligne doit couvrir une partie de sa période",
        ),
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Montréal (06)", "06"),
        ("06-Montréal", "06"),
        ("06 – Montréal", "06"),
        ("région 6", "06"),
        ("Région administrative de la Montérégie", "16"),
        ("Monteregie", "16"),
        ("MONTÉRÉGIE", "16"),
        ("RA 16", "16"),
        ("saguenay-lac-st-jean", "02"),
        ("Gaspesie Iles de la Madeleine", "11"),
        ("06 Laval", None),  # two regions: refused, never guessed
        ("Nunavik", None),
        ("18", None),
    ],
)
def test_regions_however_written(text: str, code: str | None) -> None:
    assert parse_region(text) == code
    good, bad = read(file_of(line(recipient_region=text)))
    if code is None:
        assert bad == [
            (
                2,
                "region",
                f"ligne 2: région {text} inconnue : le nom ou le numéro (01 à 17) d'une "
                "région administrative",
            )
        ]
    else:
        assert good[0].recipient_region == code


@pytest.mark.parametrize(
    ("text", "neq", "code"),
    [
        ("1170000001", "1170000001", None),
        ("1170 000 001", "1170000001", None),
        ("1170-000-001", "1170000001", None),
        ("1170\u00a0000\u00a0001", "1170000001", None),
        ("1.17E+09", None, "neq_scientific"),
        ("117000000", None, "neq_nine"),
        ("NEQ1170000001", None, "neq_format"),
    ],
)
def test_neq_with_spaces_or_dashes(text: str, neq: str | None, code: str | None) -> None:
    good, bad = read(file_of(line(recipient_neq=text)))
    if code is None:
        assert bad == [] and good[0].recipient_neq == neq
    else:
        assert [(number, found) for number, found, _message in bad] == [(2, code)]


# -- through the page and the command -----------------------------------------------------------------
def french_excel_file() -> bytes:
    """What French Excel's « CSV UTF-8 » gives for a sheet typed in Quebec: BOM, semicolons, CRLF,
    amounts with spaces and a comma, a multi-line description, empty rows at the end."""
    lines = [
        ";".join(name.replace("_", " ").title() for name in COLUMNS),  # `Record Id`, `Amount Cad`…
        row(";", record_id="MSSS-1", amount_cad="175 000,00 $", recipient_region="Laval (13)"),
        row(";", record_id="MSSS-2", description="Accueil;\nsuivi", recipient_neq="1170-000-001"),
        row(";", record_id="MSSS-3", amount_cad="1 234.56,00"),
        row(";", record_id="MSSS-4", start_date="01/04/2026"),
        row(";", record_id="MSSS-5", amount_cad="-100"),
        row(";", record_id="MSSS-6", fiscal_year="2025-2026"),
        ";;;;;;;;;;;;;",
        ";;;;;;;;;;;;;",
    ]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def test_a_french_excel_file_loads_through_the_page_with_reasons_in_both_languages(client, cell):
    funding_import = upload_and_load(client, french_excel_file())
    assert funding_import.status == ImportStatus.DONE
    assert (funding_import.lines_loaded, funding_import.lines_refused) == (2, 4)
    stored = {f.record_id: f for f in db.session.scalars(db.select(ExternalFunding))}
    assert stored["MSSS-1"].amount == Decimal("175000.00") and stored["MSSS-1"].recipient_region == "13"
    assert (
        stored["MSSS-2"].description == "Accueil;\nsuivi" and stored["MSSS-2"].recipient_neq == "1170000001"
    )
    errors = {e.line: e.code for e in db.session.scalars(db.select(ImportLineError))}
    assert errors == {4: "amount_mixed", 5: "date_ambiguous", 6: "amount_negative", 7: "fiscal_year_period"}
    french = page_text(client, f"/cellule/importations/{funding_import.id}")
    assert "montant 1 234.56,00 : une virgule et un point" in french
    assert "start_date 01/04/2026 : jour et mois ambigus" in french
    assert "exercice 2025-2026 hors de la période du 2026-04-01 au 2027-03-31" in french
    english = page_text(client, f"/cellule/importations/{funding_import.id}?lang=en")
    assert "start_date 01/04/2026: day and month are ambiguous" in english
    assert "negative amount -100: to correct a line already sent" in english


@pytest.mark.parametrize(
    ("data", "french", "english"),
    [
        (
            file_of(line()).decode().encode("cp1252"),
            "il semble enregistré en Windows-1252",
            "it seems saved as Windows-1252",
        ),
        (
            (HEADER + "\r\n\r\n,,,\r\n").encode(),
            "le fichier n'a que l'en-tête",
            "the file has only its header",
        ),
    ],
    ids=["windows-1252", "header-only"],
)
def test_a_refused_file_loads_nothing_and_the_journal_says_why_in_the_reader_s_language(
    client, cell, data, french, english
):
    funding_import = upload_and_load(client, data)
    assert funding_import.status == ImportStatus.REFUSED
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalFunding)) == 0
    assert french in page_text(client, f"/cellule/importations/{funding_import.id}")
    assert english in page_text(client, f"/cellule/importations/{funding_import.id}?lang=en")
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "funding_import.refused")
    ).scalar_one()
    assert entry.changes["refusal_code"] == funding_import.refusal_code
    assert entry.changes["refusal_params"] == funding_import.refusal_params
    assert "reason" not in entry.changes  # no French text frozen in the trail
    problem = imports.refusal_of(funding_import)
    journal = page_text(client, "/journal/?per_page=100&lang=fr")
    assert "Motif : " + problem.message("fr") in journal
    journal_en = page_text(client, "/journal/?per_page=100&lang=en")
    assert "Reason: " + problem.message("en") in journal_en and french not in journal_en
    csv_en = client.get("/journal/?format=csv&lang=en").get_data(as_text=True)
    assert problem.message("en").replace('"', '""') in csv_en


def test_an_old_refusal_entry_with_french_text_stays_readable(client, cell):
    funding_import = FundingImport(file_name="ancien.csv", sha256="0" * 64, status=ImportStatus.REFUSED)
    db.session.add(funding_import)
    db.session.flush()
    record(
        "funding_import.refused",
        funding_import,
        actor=cell,
        changes={"status": "refused", "reason": "le fichier n'est pas en UTF-8 (octet 0xE9 à la ligne 2)"},
    )
    db.session.commit()
    journal = page_text(client, "/journal/?per_page=100&lang=en")
    assert "le fichier n'est pas en UTF-8 (octet 0xE9 à la ligne 2)" in journal


def test_a_workbook_or_utf16_file_renamed_csv_is_refused_at_upload_with_what_to_do(client, cell):
    response = upload(client, xlsx_bytes(), "financement.csv")
    assert response.status_code == 422
    text = text_of(response)
    assert "Le fichier est un classeur (.xlsx / .ods), pas un CSV" in text
    assert "« CSV UTF-8 (délimité par des virgules) »" in text
    response = client.post(
        "/cellule/importations/?lang=en",
        data={
            "csrf_token": csrf_token(client, "/cellule/importations/?lang=en"),
            "file": (io.BytesIO(file_of(line()).decode().encode("utf-16")), "financement.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "The file is UTF-16 (Excel's “Unicode Text”), not UTF-8" in text_of(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(FundingImport)) == 0


def test_the_command_refuses_what_is_not_a_funding_file_and_reads_a_french_excel_one(app, tmp_path):
    runner = app.test_cli_runner()
    cases = {
        "classeur.csv": (xlsx_bytes(), "le fichier est un classeur (.xlsx / .ods), pas un CSV"),
        "vide.csv": (b"", "le fichier est vide"),
        "entete.csv": ((HEADER + "\n").encode(), "le fichier n'a que l'en-tête"),
        "windows.csv": (file_of(line()).decode().encode("cp1252"), "Windows-1252"),
    }
    for name, (data, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = runner.invoke(args=["coordination", "import", str(path)])
        assert result.exit_code == 1, (name, result.output)
        assert "refusé, rien n'est chargé : " in result.output and reason in result.output, result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(ExternalFunding)) == 0
    path = tmp_path / "excel.csv"
    path.write_bytes(french_excel_file())
    result = runner.invoke(args=["coordination", "import", str(path), "--language", "en"])
    assert result.exit_code == 0, result.output
    assert "2 lines loaded, 0 unchanged, 4 refused" in result.output
    assert "line 4: amount 1 234.56,00: a comma and a period" in result.output
    assert "line 5: start_date 01/04/2026: day and month are ambiguous" in result.output


def test_a_value_too_long_for_the_csv_reader_is_named_in_words() -> None:
    runaway = line(record_id="L-1").replace("Lits d'urgence", '"Lits ' + "x" * 140_000, 1)
    good, bad = read(file_of(line(record_id="L-0"), runaway, line(record_id="L-2")))
    assert "L-0" in [record.record_id for record in good]
    assert bad[0][:2] == (3, "field_too_large")
    assert bad[0][2].startswith("ligne 3: une valeur dépasse 131072 caractères : un guillemet ouvert")


def test_no_file_a_user_may_send_makes_the_page_fail(client, cell):
    """Every odd file through the real page: refused at upload (422) or loaded/refused by the task,
    its page readable in both languages; never a 500."""
    files = {
        "vide.csv": b"",
        "bom.csv": "\ufeff".encode(),
        "classeur.csv": xlsx_bytes(),
        "unicode.csv": file_of(line()).decode().encode("utf-16"),
        "windows.csv": file_of(line()).decode().encode("cp1252"),
        "entete.csv": (HEADER + "\r\n").encode(),
        "titre.csv": ("Financement\r\n" + HEADER + "\r\n" + line()).encode(),
        "nul.csv": file_of(
            *(line(record_id=f"N-{n}") for n in range(60)), line(record_id="Z", description="\0")
        ),
        "guillemet.csv": file_of(line(record_id="G-1").replace("Lits", '"Lits', 1), line(record_id="G-2")),
        "excel.csv": french_excel_file(),
    }
    outcomes = {}
    for name, data in files.items():
        response = upload(client, data, name)
        assert response.status_code in (303, 422), (name, response.status_code)
        if response.status_code == 422:
            assert "Fichier refusé, rien n'a été importé." in text_of(response), name
            outcomes[name] = "upload"
            continue
        funding_import = _last_loaded()
        for language in ("en", "fr"):  # `lang` sticks to the session: French last
            page = client.get(f"/cellule/importations/{funding_import.id}?lang={language}")
            assert page.status_code == 200, (name, language)
        outcomes[name] = ImportStatus(funding_import.status).value
    assert outcomes == {
        "vide.csv": "upload",
        "bom.csv": "refused",
        "classeur.csv": "upload",
        "unicode.csv": "upload",
        "windows.csv": "refused",
        "entete.csv": "refused",
        "titre.csv": "refused",
        "nul.csv": "refused",
        "guillemet.csv": "done",
        "excel.csv": "done",
    }
    assert client.get("/cellule/importations/?lang=en").status_code == 200
    assert client.get("/journal/?per_page=100&lang=en").status_code == 200


def _last_loaded() -> FundingImport:
    """Run what the Celery task runs for the latest upload; a worker started by an earlier test may
    have taken it first: then wait for its load (as test_coordination_import.upload_and_load)."""
    funding_import = (
        db.session.execute(db.select(FundingImport).order_by(FundingImport.id.desc())).scalars().first()
    )
    imports.load_for_job(funding_import.job_id)
    wait_until(lambda: _job_status(funding_import.job_id) in (JobStatus.DONE, JobStatus.FAILED), timeout=60)
    return db.session.get(FundingImport, funding_import.id)


def test_the_upload_form_says_which_files_it_reads(client, cell):
    french = page_text(client, "/cellule/importations/?lang=fr")
    assert "séparé par des virgules ou des points-virgules" in french and "le « CSV UTF-8 » d'Excel" in french
    english = page_text(client, "/cellule/importations/?lang=en")
    assert "separated by commas or semicolons" in english and "Excel's “CSV UTF-8”" in english
