"""Issue 10: the program report's table per organization as CSV (amounts, reports, indicators,
people reached by gender), read back: small ADS+ counts are `< 5` or `x` as in the PDF (the one
suppression function), a formula typed into a name is neutralized, other people get a 404."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from grants.accountability.program_report import gather
from grants.core import clock
from grants.core.roles import MemberRole, StaffRole
from grants.core.suppression import Status
from tests.factories import OrganizationFactory, agreement_in_force, member, staff
from tests.test_program_report import YEAR, _at, program_year  # noqa: F401  (the fixture)

URL = "/redditions/analyse/programmes/TNCES/rapport"


def _read(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff"), "Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_table_per_organization_reads_back_with_small_counts_hidden(program_year, client, sign_in):  # noqa: F811
    program, organizations, _agreements, _authors, paid = program_year
    formula = OrganizationFactory(legal_name='=HYPERLINK("http://x.example")')
    agreement_in_force("TNCES", formula, years=1, amount="175000.00")
    officer = staff(StaffRole.PROGRAM_OFFICER, "TNCES")
    sign_in(officer)
    page = client.get(URL).get_data(as_text=True)
    link = f"{URL}/2026/organismes.csv"
    assert f'href="{link}"' in page and "Tableau par organisme (CSV)" in page
    with clock.frozen(_at(date(2026, 12, 1))):
        response = client.get(link)
        report = gather(program, YEAR)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "rapport-programme-TNCES-2026-2027-organismes.csv" in response.headers["Content-Disposition"]
    rows = _read(response.data)
    by_name = {row["Organisme"]: row for row in rows}
    assert len(rows) == 5 + 1, "five organizations and the totals line"
    alpha, beta, gamma, delta = (by_name[o.legal_name] for o in organizations)
    assert alpha["Engagé ($)"] == "175000.00" and alpha["Indexé ($)"] == "175000.00"
    assert delta["Versé ($)"] == f"{paid:.2f}" and by_name["Total"]["Versé ($)"] == f"{paid:.2f}"
    assert by_name["Total"]["Engagé ($)"] == "875000.00"
    assert alpha["Rapports : À temps"] == "1" and beta["Rapports : En retard"] == "1"
    assert gamma["Rapports : Manquant"] == "1"
    # The formula typed as a name is text in a spreadsheet.
    assert '\'=HYPERLINK("http://x.example")' in by_name
    # People by gender: the published cells of the suppressed table, never a count from 1 to 4.
    table = report.by_organization
    people_columns = [c for c in rows[0] if c.startswith("Personnes rejointes")]
    assert len(people_columns) == len(table.columns) + 1
    for row in rows:
        for column in people_columns:
            assert not re.fullmatch(r"[1-4]", row[column]), (row["Organisme"], column, row[column])
    non_binary = next(c for c in people_columns if str(table.columns[2].label) in c)
    assert alpha[non_binary] == "< 5"
    assert table.cell(organizations[0].id, table.columns[2]).status is Status.PRIMARY
    hidden = [alpha[c] for c in people_columns if alpha[c] in ("< 5", "x")]
    assert len(hidden) >= 2, "a second figure of the row is hidden too (secondary suppression)"
    assert beta[people_columns[0]] == "5" or beta[people_columns[0]] == "x"
    assert gamma[people_columns[-1]] == "", "no report, no people: blank, not zero"
    # Indicators: a target and an achievement column each.
    for line in report.indicators:
        assert f"{line.indicator.label} : cible" in rows[0] and f"{line.indicator.label} : atteint" in rows[0]


def test_only_the_programs_officers_get_the_csv(program_year, client, sign_in):  # noqa: F811
    _program, organizations, *_ = program_year
    sign_in(member(MemberRole.ACCOUNT_ADMIN, organization=organizations[0]))
    assert client.get(f"{URL}/2026/organismes.csv").status_code == 404
    other = client.application.test_client()
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"), target=other)
    assert other.get(f"{URL}/1999/organismes.csv").status_code == 404, "a year without agreements"
    assert other.get(f"{URL}/2026/organismes.csv").status_code == 200


def test_the_csv_speaks_the_officers_language(program_year, client, sign_in):  # noqa: F811
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"))
    with clock.frozen(_at(date(2026, 12, 1))):
        rows = _read(client.get(f"{URL}/2026/organismes.csv?lang=en").data)
    assert {"Organization", "Committed ($)", "Paid ($)", "Reports: On time"} <= set(rows[0])
    assert rows[-1]["Organization"] == "Total" and rows[-1]["Committed ($)"] == "700000.00"
