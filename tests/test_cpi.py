"""CPI series: rates from the shipped Quebec series against Statistics Canada's published figures,
the missing-month refusal, the StatCan CSV importer (three layouts, refusals, all or nothing), the
`grants cpi` commands and the administrator's hand entry."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from grants.core.audit import AuditEntry
from grants.core.db import db
from grants.core.roles import StaffRole
from grants.core.seeding import read_csv
from grants.cpi import rates
from grants.cpi.models import CpiValue
from grants.cpi.months import parse_month
from grants.cpi.operations import DEFAULT_SERIES, import_csv, series_named, values_of
from grants.cpi.seed import DATA as SHIPPED
from grants.cpi.statcan import CsvRefused, parse
from tests.factories import staff
from tests.helpers import csrf_token, normalize_spaces

DATA = Path(__file__).parent / "data" / "cpi"

# Quebec, All-items, change of the annual average CPI, in percent, as Statistics Canada publishes it
# (table 18-10-0005-01, CPI annual average, Quebec, v41694081; also Institut de la statistique du
# Québec, "Indice des prix à la consommation, Québec, moyennes annuelles"). Annual averages
# 2016-2025: 125.6, 126.9, 129.0, 131.7, 132.8, 137.8, 147.0, 153.6, 157.2, 161.0.
PUBLISHED_ANNUAL_CHANGES = {
    2017: "1.0",
    2018: "1.7",
    2019: "2.1",
    2020: "0.8",
    2021: "3.8",
    2022: "6.7",
    2023: "4.5",
    2024: "2.3",
    2025: "2.4",
}


def _values() -> dict[date, Decimal]:
    return values_of(series_named(DEFAULT_SERIES))


def _shipped() -> dict[date, Decimal]:
    """The shipped series as the seed reads it (the rates need no database)."""
    return {parse_month(row["month"]): Decimal(row["value"]) for row in read_csv(SHIPPED)}


def test_the_shipped_series_is_loaded_by_seed_reference():
    values = _values()
    assert values == _shipped()  # what the pure rate tests below compute on
    assert len(values) == 128
    assert min(values) == date(2016, 1, 1) and max(values) == date(2026, 8, 1)
    assert values[date(2025, 12, 1)] == Decimal("162.6") and values[date(2026, 8, 1)] == Decimal("166.9")
    assert series_named(DEFAULT_SERIES).vector == "v41691783"


@pytest.mark.pure
@pytest.mark.parametrize(("year", "published"), PUBLISHED_ANNUAL_CHANGES.items())
def test_annual_average_changes_match_what_statcan_published(year, published):
    rate = rates.annual_average(_shipped(), year, series=DEFAULT_SERIES)
    assert rate.percent == Decimal(published)
    assert [i.value for i in rate.inputs][1] == {
        2017: Decimal("126.9"),
        2018: Decimal("129.0"),
        2019: Decimal("131.7"),
        2020: Decimal("132.8"),
        2021: Decimal("137.8"),
        2022: Decimal("147.0"),
        2023: Decimal("153.6"),
        2024: Decimal("157.2"),
        2025: Decimal("161.0"),
    }[year]


@pytest.mark.pure
def test_twelve_month_change_matches_the_daily():
    # The Daily, 19 May 2026, table 2: Quebec, April 2025 160.4, April 2026 165.2, 3.0 % over 12 months.
    rate = rates.twelve_month(_shipped(), date(2026, 4, 1), series=DEFAULT_SERIES)
    assert rate.percent == Decimal("3.0")
    assert [(i.label, i.value) for i in rate.inputs] == [
        ("avril 2025", Decimal("160.4")),
        ("avril 2026", Decimal("165.2")),
    ]
    assert [i.first for i in rate.inputs] == ["2025-04", "2026-04"]  # stored neutral


@pytest.mark.pure
def test_more_decimals_and_the_moving_average():
    assert rates.annual_average(_shipped(), 2025, decimals=2).percent == Decimal("2.42")
    moving = rates.moving_average(_shipped(), date(2025, 12, 1))
    # The 12-month moving average to December is the annual average: the same change.
    assert moving.percent == Decimal("2.4")


@pytest.mark.pure
def test_a_rate_needing_missing_months_is_refused_with_them_named():
    with pytest.raises(rates.MissingMonths) as missing:
        rates.annual_average(_shipped(), 2026, series=DEFAULT_SERIES)
    assert missing.value.months == [date(2026, m, 1) for m in (9, 10, 11, 12)]
    assert "septembre 2026, octobre 2026, novembre 2026, décembre 2026" in missing.value.message
    with pytest.raises(rates.MissingMonths):
        rates.twelve_month(_shipped(), date(2026, 9, 1))


@pytest.mark.pure
def test_floor_at_zero_keeps_the_inputs():
    negative = rates.Rate(rates.RateMethod.TWELVE_MONTH, Decimal("-0.4"), (), "2020-05")
    floored = rates.floor_at_zero(negative)
    assert floored.percent == 0 and floored.floored


def test_cli_rate(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["cpi", "rate", "--series", DEFAULT_SERIES, "--method", "annual-average", "--year", "2025"]
    )
    assert result.exit_code == 0 and result.output.strip() == "2.4"
    result = runner.invoke(
        args=["cpi", "rate", "--method", "annual-average", "--year", "2025", "--decimals", "2"]
    )
    assert result.output.strip() == "2.42"
    result = runner.invoke(args=["cpi", "rate", "--method", "twelve-month", "--month", "2025-09"])
    assert result.exit_code == 0 and result.output.strip() == "3.3"
    result = runner.invoke(args=["cpi", "rate", "--method", "twelve-month", "--month", "2026-09"])
    assert result.exit_code == 1 and "septembre 2026" in result.output


# -- the importer ---------------------------------------------------------------------------------
@pytest.mark.pure
@pytest.mark.parametrize(
    ("name", "first", "last", "count"),
    [
        ("18100004-eng-database.csv", date(2024, 1, 1), date(2026, 8, 1), 32),
        ("IPC_1810000401-fra.csv", date(2016, 1, 1), date(2026, 8, 1), 128),
        ("1810000401-eng-displayed.csv", date(2025, 1, 1), date(2026, 8, 1), 20),
    ],
)
def test_each_statcan_layout_keeps_only_quebec_all_items(name, first, last, count):
    parsed = parse((DATA / name).read_bytes(), geography="Quebec", product="All-items")
    assert (min(parsed.values), max(parsed.values), len(parsed.values)) == (first, last, count)
    assert parsed.values[date(2025, 4, 1)] == Decimal("160.4")
    assert parsed.base == "2002=100"


@pytest.mark.pure
def test_french_decimal_comma_is_read():
    text = (DATA / "IPC_1810000401-fra.csv").read_text(encoding="utf-8-sig").replace('"124.6"', '"124,6"')
    assert parse(text.encode(), geography="Québec", product="Ensemble").values[date(2016, 1, 1)] == Decimal(
        "124.6"
    )


def _refusal(data: bytes) -> CsvRefused:
    with pytest.raises(CsvRefused) as refused:
        parse(data)
    return refused.value


@pytest.mark.pure
def test_a_truncated_file_is_refused_with_its_line():
    data = (DATA / "18100004-eng-database.csv").read_bytes()
    cut = data[: data.index(b'"2025-03","Quebec"') + 40]
    refused = _refusal(cut)
    assert refused.line == 1 + 32 + 15 and "tronqué" in refused.message


@pytest.mark.pure
def test_a_missing_month_is_refused():
    lines = (DATA / "IPC_1810000401-fra.csv").read_text(encoding="utf-8-sig").splitlines()
    kept = [line for line in lines if not line.startswith('"2020-06";"Québec";"2016A000224";"Ensemble"')]
    refused = _refusal("\n".join(kept).encode())
    assert "juin 2020" in refused.message and "manque" in refused.message


@pytest.mark.pure
def test_the_wrong_table_is_refused():
    annual = (
        '"REF_DATE","GEO","DGUID","Products and product groups","UOM","UOM_ID","SCALAR_FACTOR","SCALAR_ID",'
        '"VECTOR","COORDINATE","VALUE","STATUS","SYMBOL","TERMINATED","DECIMALS"\n'
        '"2019","Canada","2016A000011124","All-items","2002=100","17","units","0","v41693271","2.2","136.0","","","","1"\n'
    )
    refused = _refusal(annual.encode())
    assert refused.line == 2 and "18-10-0004-01" in refused.message
    displayed = (
        (DATA / "1810000401-eng-displayed.csv")
        .read_text()
        .replace("18-10-0004-01 (formerly", "18-10-0005-01 (formerly")
    )
    refused = _refusal(displayed.encode())
    assert "18-10-0005-01" in refused.message
    refused = _refusal(b"name,amount\nfoo,12\n")
    assert "18-10-0004-01" in refused.message


def test_nothing_is_half_imported(cpi_sandbox):
    before = db.session.scalar(db.select(db.func.count(CpiValue.id)))
    lines = (DATA / "18100004-eng-database.csv").read_text().splitlines()
    lines.insert(
        70,
        '"2026-09","Quebec","2016A000224","All-items","2002=100","17","units","0","v41691783","11.2","abc","","","","1"',
    )
    with pytest.raises(CsvRefused) as refused:
        import_csv("\n".join(lines).encode(), file_name="bad.csv")
    assert refused.value.line == 71
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(CpiValue.id))) == before


def test_import_adds_new_months_and_audits_revisions(app, cpi_sandbox, tmp_path):
    text = (DATA / "IPC_1810000401-fra.csv").read_text(encoding="utf-8-sig")
    text = text.replace(
        '"2026-08";"Québec";"2016A000224";"Ensemble";"2002=100";"17";"unités";"0";"v41691783";"11.2";"166.9"',
        '"2026-08";"Québec";"2016A000224";"Ensemble";"2002=100";"17";"unités";"0";"v41691783";"11.2";"167.0"',
    )
    text += (
        '"2026-09";"Québec";"2016A000224";"Ensemble";"2002=100";"17";"unités";"0";"v41691783";"11.2";"167.3";'
        '"";"";"";"1"\n'
    )
    path = tmp_path / "ipc.csv"
    path.write_text(text, encoding="utf-8-sig")
    result = app.test_cli_runner().invoke(
        args=[
            "cpi",
            "import",
            str(path),
            "--geo",
            "Québec",
            "--product",
            "Ensemble",
            "--series",
            DEFAULT_SERIES,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "1 added, 1 revised, 127 unchanged" in result.output
    values = _values()
    assert values[date(2026, 9, 1)] == Decimal("167.3") and values[date(2026, 8, 1)] == Decimal("167.0")
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="cpi.imported")).one()
    assert entry.changes["revised"] == {"2026-08": ["166.900", "167.0"]}
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"not,a,statcan,file\n")
    result = app.test_cli_runner().invoke(args=["cpi", "import", str(bad)])
    assert result.exit_code == 1 and "nothing imported" in result.output


# -- pages --------------------------------------------------------------------------------------------
def test_an_administrator_enters_a_month_and_the_change_is_audited(client, sign_in, cpi_sandbox):
    sign_in(staff(StaffRole.SYSTEM_ADMIN))
    url = f"/ipc/{DEFAULT_SERIES}"
    page = client.get(url).get_data(as_text=True)
    assert "166,9" in page and "2,4" in page  # August 2026, and the 2025 annual change
    bad = client.post(
        f"{url}/mois",
        data={
            "csrf_token": csrf_token(client, url),
            "month-month": "2026-13",
            "month-value": "abc",
            "month-reason": "",
        },
    )
    assert bad.status_code == 422 and "2026-09" in bad.get_data(as_text=True)
    response = client.post(
        f"{url}/mois",
        data={
            "csrf_token": csrf_token(client, url),
            "month-month": "2026-09",
            "month-value": "167,1",
            "month-reason": "Le Quotidien",
        },
    )
    assert response.status_code == 302
    assert "Le mois septembre 2026 est enregistré." in client.get(url).get_data(as_text=True)
    assert _values()[date(2026, 9, 1)] == Decimal("167.1")
    client.post(
        f"{url}/mois",
        data={
            "csrf_token": csrf_token(client, url),
            "month-month": "2026-09",
            "month-value": "167.2",
            "month-reason": "Correction",
        },
    )
    changes = [
        e.changes
        for e in db.session.scalars(
            db.select(AuditEntry).filter_by(action="cpi.month_set").order_by(AuditEntry.id)
        )
    ]
    assert changes[0]["value"] == [None, "167.1"] and changes[1]["value"] == ["167.100", "167.2"]


def test_an_officer_reads_the_series_but_cannot_change_it(client, sign_in):
    sign_in(staff(StaffRole.PROGRAM_OFFICER, "TNCES"))
    url = f"/ipc/{DEFAULT_SERIES}"
    assert client.get(url).status_code == 200
    response = client.post(
        f"{url}/mois",
        data={
            "csrf_token": csrf_token(client, url),
            "month-month": "2026-09",
            "month-value": "167.1",
            "month-reason": "x",
        },
    )
    assert response.status_code == 403


def test_a_refused_upload_says_the_line_and_imports_nothing(client, sign_in, cpi_sandbox):
    import html
    import io

    sign_in(staff(StaffRole.SYSTEM_ADMIN))
    url = f"/ipc/{DEFAULT_SERIES}"
    data = (DATA / "18100004-eng-database.csv").read_bytes()
    response = client.post(
        f"{url}/import",
        data={
            "csrf_token": csrf_token(client, url),
            "import-geography": "Quebec",
            "import-product": "All-items",
            "import-file": (io.BytesIO(data[:1500]), "18100004.csv"),
        },
        content_type="multipart/form-data",
    )
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and "rien n'a été importé" in text and "Ligne" in text
    response = client.post(
        f"{url}/import",
        data={
            "csrf_token": csrf_token(client, url),
            "import-geography": "Quebec",
            "import-product": "All-items",
            "import-file": (io.BytesIO(data), "18100004.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    # The months imported are said in words, like every CPI month (`formatting.month_name`).
    flashed = normalize_spaces(html.unescape(client.get(response.headers["Location"]).get_data(as_text=True)))
    assert re.search(
        r"Import terminé : .*\((janvier|février|mars|avril|mai|juin|juillet|août|septembre|"
        r"octobre|novembre|décembre) \d{4} à \w+ \d{4}\)",
        flashed,
    ), flashed[:3000]
