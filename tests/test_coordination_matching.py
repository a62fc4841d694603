"""The duplicated-funding engine (issue 11): which lines are the same organization, which pairs pay
twice for the same thing, how a bad import file is answered, and `grants dedupe` end to end.

Pure: no database, no application; every case is built by hand here.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from grants.coordination.duplicates import PURPOSE_THRESHOLD, analyse, purpose_similarity
from grants.coordination.entities import Decision, PartyKey, Reason, resolve
from grants.coordination.names import normalize_name
from grants.coordination.records import FileRefused, FundingCsvReader, parse_region

HEADER = (
    "record_id,source_ministry,program,recipient_name,recipient_neq,recipient_city,recipient_region,"
    "project_title,description,amount_cad,start_date,end_date,fiscal_year"
)
SCHOOL_FR = (
    "Ateliers de prévention dans les écoles",
    "Ateliers de sensibilisation à l'exploitation sexuelle pour les élèves du secondaire",
)
SCHOOL_EN = (
    "School prevention workshops",
    "Sexual exploitation awareness workshops for high school students",
)
SHELTER_FR = ("Hébergement d'urgence", "Places d'hébergement d'urgence pour les femmes victimes")


def line(
    record_id: str,
    name: str,
    *,
    neq: str = "",
    city: str = "Laval",
    region: str = "13",
    ministry: str = "MSI",
    program: str = "Prévention jeunesse",
    purpose: tuple[str, str] = SCHOOL_FR,
    amount: str = "25000.00",
    start: str = "2026-04-01",
    end: str = "2027-03-31",
    fiscal: str = "2026-2027",
) -> list[str]:
    return [record_id, ministry, program, name, neq, city, region, *purpose, amount, start, end, fiscal]


def csv_bytes(*rows: list[str], header: str = HEADER) -> bytes:
    out = io.StringIO()
    out.write(header + "\n")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def entities_of(*parties: tuple[str, str, str, str], decisions=()) -> list[int]:
    names, neqs, cities, regions = zip(*parties, strict=True)
    return resolve(
        names, [n or None for n in neqs], cities, [r or None for r in regions], decisions
    ).entity_of_record.tolist()


# -- which records are the same organization ----------------------------------------------------
def test_the_same_neq_links_whatever_the_spelling() -> None:
    groups = entities_of(
        ("Passerelle (La)", "1145678901", "Laval", "13"),
        ("Organisme communautaire de soutien aux familles", "1145678901", "Laval", "13"),
    )
    assert groups[0] == groups[1]


def test_two_different_neqs_are_never_merged_even_with_the_same_name_and_town() -> None:
    groups = entities_of(
        ("Centre de femmes La Passerelle", "1145678901", "Laval", "13"),
        ("Centre de femmes La Passerelle", "1145678910", "Laval", "13"),
        ("Centre de femmes La Passerelle", "", "Laval", "13"),  # could join either, not both
    )
    assert groups[0] != groups[1]
    assert groups[2] in (groups[0], groups[1])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Centre des femmes de Laval inc.", "CENTRE DE FEMMES DE LAVAL"),  # case, articles, suffix
        ("Maison d'hébergement L'Écluse", "maison d hebergement l ecluse enr."),  # accents, punctuation
        ("Association des familles du Nord", "Assn des familles du Nord (OBNL)"),  # abbreviation
        ("Centre de femmes de Laval", "Laval Women's Center"),  # English form
        ("Maison des jeunes de Sainte-Rose", "Maison des jeunes de Ste-Rose ltée"),  # Saint/Ste
        ("Centre d'aide et de lutte contre les agressions à caractère sexuel de Laval", "CALACS Laval"),
        ("Table régionale de concertation en exploitation sexuelle de Laval", "TRCES Laval"),
        ("Regroupement des organismes en hébergement de Laval (ROHL)", "ROHL"),  # an acronym of its own
        ("Conseil de la Nation Cris de Laval", "Cree Nation Council of Laval"),
        ("Carrefour jeunesse-emploi de Laval", "Carrefour jeunese-emploi de Lavl"),  # typos
    ],
)
def test_spellings_of_one_organization_in_one_town_are_linked(first: str, second: str) -> None:
    groups = entities_of((first, "", "Laval", "13"), (second, "", "Laval", "13"))
    assert groups[0] == groups[1], (normalize_name(first).key, normalize_name(second).key)


def test_look_alike_names_in_different_towns_are_not_merged_on_the_name_alone() -> None:
    groups = entities_of(
        ("Maison des jeunes L'Escale", "", "Laval", "13"),
        ("Maison des jeunes L'Escale", "", "Sherbrooke", "05"),
        ("Maison des jeunes L'Escale", "", "Magog", "05"),
    )
    assert len(set(groups)) == 3


def test_close_names_that_differ_in_what_identifies_them_are_not_merged() -> None:
    groups = entities_of(
        ("Ressource d'aide aux personnes La Ronde", "", "Drummondville", "17"),
        ("Ressource d'aide aux personnes du Sud", "", "Drummondville", "17"),
        ("Maison de la famille de l'Ouest", "", "Drummondville", "17"),
        ("Maison de la famille de l'Est", "", "Drummondville", "17"),
    )
    assert len(set(groups)) == 4


def test_town_and_region_help_a_line_without_its_town() -> None:
    # No town on the line: the region finds the one organization of that name there.
    alone = entities_of(
        ("Centre de femmes L'Éclaircie", "", "Laval", "13"), ("Centre de femmes L'Éclaircie", "", "", "13")
    )
    assert alone[0] == alone[1]
    # Two towns of the region have one: the line without a town joins neither.
    both = entities_of(
        ("Centre de femmes L'Éclaircie", "", "Sherbrooke", "05"),
        ("Centre de femmes L'Éclaircie", "", "Magog", "05"),
        ("Centre de femmes L'Éclaircie", "", "", "05"),
    )
    assert len(set(both)) == 3
    # Another region's is not a candidate at all.
    elsewhere = entities_of(
        ("Centre de femmes L'Éclaircie", "", "Laval", "13"), ("Centre de femmes L'Éclaircie", "", "", "05")
    )
    assert elsewhere[0] != elsewhere[1]


def test_a_misspelt_town_is_the_same_town() -> None:
    groups = entities_of(
        ("Centre des femmes Marie-Vincent", "", "Mascouche", "14"),
        ("Centre des femmes Marie-Vincent", "", "Mascouche", "14"),
        ("Centre des femmes Marie-Vincent", "", "Mscouche", "14"),
    )
    assert len(set(groups)) == 1


def test_a_short_misspelt_town_is_the_town_of_its_region_named_far_more_often() -> None:
    others = [
        (f"Maison des jeunes {word}", "", "Laval", "13") for word in ("Le Nid", "L'Ancrage", "La Vigie")
    ]
    others += [(f"Centre communautaire {word}", "", "Laval", "13") for word in ("Le Nid", "L'Ancrage")]
    groups = entities_of(
        *others,
        ("Centre des femmes Marie-Vincent", "", "Laval", "13"),
        ("Centre des femmes Marie-Vincent", "", "Lavl", "13"),  # a letter missing
        ("Centre des femmes Marie-Vincent", "", "Laeal", "13"),  # a letter changed
        ("Centre des femmes Marie-Vincent", "", "Lavel", "06"),  # another region: not Laval
    )
    assert groups[5] == groups[6] == groups[7]
    assert groups[8] != groups[5]


def test_two_short_towns_named_as_often_stay_two_towns() -> None:
    # `Amos` and `Amas` both named often in one region: two towns, not a typo of the other
    amos = [(f"Maison des jeunes {word}", "", "Amos", "08") for word in ("Le Nid", "L'Ancrage", "La Vigie")]
    amas = [(f"Centre communautaire {word}", "", "Amas", "08") for word in ("Le Nid", "L'Ancrage")]
    groups = entities_of(
        *amos,
        *amas,
        ("Centre des femmes Marie-Vincent", "", "Amos", "08"),
        ("Centre des femmes Marie-Vincent", "", "Amas", "08"),
    )
    assert groups[5] != groups[6]


def test_each_link_has_a_score_and_its_reasons() -> None:
    resolution = resolve(
        ["Centre de femmes de Laval", "CENTRE DE FEMMES DE LAVAL INC", "Centre de femmes de Lavall"],
        ["1145678901", "1145678901", None],
        ["Laval", "Laval", "Laval"],
        ["13", "13", "13"],
    )
    links = list(resolution.links())
    assert len(links) == 1  # the first two are one mention (same normalized name, NEQ, town)
    link = links[0]
    assert 0.88 <= link.score < 1
    assert link.reasons & Reason.SIMILAR_NAME and link.reasons & Reason.SAME_CITY
    assert link.explanation("fr").startswith("noms semblables à 0,9")
    assert "same town" in link.explanation("en")
    score, reasons = resolution.record_link(0, 1)
    assert score == 1.0 and reasons & Reason.SAME_NEQ


def test_the_cells_decisions_split_and_confirm_and_are_reused() -> None:
    parties = (
        ("Maison de la famille Le Nid", "", "Laval", "13"),
        ("Maison de la famille Le Nidd inc.", "", "Laval", "13"),
        ("Le Nid", "", "Sherbrooke", "05"),
    )
    assert len(set(entities_of(*parties))) == 2
    split = Decision(PartyKey.of(*parties[0][:3]), PartyKey.of(*parties[1][:3]), same=False)
    confirm = Decision(PartyKey.of(*parties[0][:3]), PartyKey.of(*parties[2][:3]), same=True)
    groups = entities_of(*parties, decisions=[split, confirm])
    assert groups[0] != groups[1]
    assert groups[0] == groups[2]
    # A later import spells the first one again: the decisions hold for it too.
    groups = entities_of(
        *parties, ("MAISON DE LA FAMILLE LE NID", "", "Laval", "13"), decisions=[split, confirm]
    )
    assert groups[3] == groups[0] != groups[1]


def test_a_space_typed_one_letter_off_is_a_typo_but_one_slip_in_a_short_name_is_not() -> None:
    groups = entities_of(
        ("Corporation de développement communautaire Le Radeau", "", "Laval", "13"),
        ("Corporatio nde développement communautaire Le Radeau", "", "Laval", "13"),
        ("Travail de rue L'Oasis inc.", "", "Laval", "13"),
        ("Travai lde ru eL'Oasis", "", "Laval", "13"),
        ("Le Nid", "", "Laval", "13"),
        ("Le Nod", "", "Laval", "13"),
    )
    assert groups[0] == groups[1]
    assert groups[2] == groups[3]
    assert groups[4] != groups[5]
    assert len(set(groups)) == 4


def test_a_mistyped_neq_keeps_its_line_alone_without_taking_the_other_lines() -> None:
    groups = entities_of(
        ("Centre de prévention Le Verger", "1140673770", "Laval", "13"),  # two digits swapped
        ("Centre de prévention Le Verger", "", "Laval", "13"),
        ("Centre de prévention Le Verger", "1140673707", "Laval", "13"),
        ("Centre de prévention Le Verger inc.", "1140673707", "Laval", "13"),
    )
    assert groups[1] == groups[2] == groups[3]
    assert groups[0] != groups[1]  # two different NEQs are never merged


def test_a_line_with_its_town_but_not_its_region_is_in_its_towns_region() -> None:
    groups = entities_of(
        ("Centre de femmes L'Éclaircie", "1145678901", "Laval", ""),
        ("Centre de femmes L'Éclaircie", "1145678901", "Laval", ""),
        ("Centre de femmes L'Éclaircie", "", "Laval", "13"),
        ("Centre de femmes L'Éclaircie", "", "", "13"),
    )
    assert len(set(groups)) == 1


def test_a_line_without_a_town_joins_the_clearly_best_organization_of_its_region() -> None:
    parties = (
        ("Maison des jeunes La Passerelle", "", "Sherbrooke", "05"),
        ("Maison des jeunes La Passerel", "", "Magog", "05"),  # another one, two letters away
        ("Maison des jeunes La Passerelle", "", "", "05"),
    )
    groups = entities_of(*parties)
    assert groups[2] == groups[0] != groups[1]
    # Just as close to both (the same name in two towns): it joins neither.
    groups = entities_of(*parties[:1], ("Maison des jeunes La Passerelle", "", "Magog", "05"), parties[2])
    assert len(set(groups)) == 3


# -- duplicated funding ---------------------------------------------------------------------------
def analysed(*rows: list[str]):  # type: ignore[no-untyped-def]
    return analyse(FundingCsvReader(csv_bytes(*rows)))


def pair_ids(analysis) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(a, b) for a, b, _ in analysis.pair_rows()}


def test_same_purpose_at_the_same_time_from_two_ministries_is_flagged_with_an_explanation() -> None:
    analysis = analysed(
        line("MSI-1", "Centre de femmes de Laval", neq="1145678901"),
        line(
            "MSSS-1",
            "CENTRE DES FEMMES DE LAVAL INC.",
            neq="1145678901",
            ministry="MSSS",
            program="PSOC",
            purpose=SCHOOL_EN,
            start="2026-07-01",
            end="2027-06-30",
        ),
    )
    assert pair_ids(analysis) == {("MSI-1", "MSSS-1")}
    pair = analysis.pairs[0]
    assert pair.explanation("fr").startswith("même NEQ ; ")
    assert "périodes qui se chevauchent sur 9 mois" in pair.explanation("fr")
    assert "descriptions semblables à " in pair.explanation("fr")
    assert "overlapping periods for 9 months" in pair.explanation("en")
    assert 0 < pair.score <= 1


def test_french_and_english_descriptions_of_one_purpose_are_similar_and_different_purposes_are_not() -> None:
    assert purpose_similarity(" ".join(SCHOOL_FR), " ".join(SCHOOL_EN)) > 0.5
    assert purpose_similarity(" ".join(SCHOOL_FR), " ".join(SHELTER_FR)) < 0.2


def test_a_renewal_by_the_same_funder_the_next_year_is_not_a_duplicate() -> None:
    analysis = analysed(
        line("MSI-2026", "Centre de femmes de Laval", start="2026-04-01", end="2027-03-31"),
        # renewed under another program of the same ministry, starting before the first year ends
        line(
            "MSI-2027",
            "Centre de femmes de Laval",
            program="PQLC",
            start="2027-02-01",
            end="2028-03-31",
            fiscal="2027-2028",
        ),
    )
    assert pair_ids(analysis) == set()
    assert analysis.resolution.entity_count == 1


def test_one_organization_funded_for_two_purposes_at_once_is_not_a_duplicate() -> None:
    analysis = analysed(
        line("MSI-1", "Centre de femmes de Laval"),
        line("SCF-1", "Centre de femmes de Laval", ministry="SCF", program="Hébergement", purpose=SHELTER_FR),
    )
    assert pair_ids(analysis) == set()


def test_same_purpose_paid_one_after_the_other_or_by_the_same_program_is_not_a_duplicate() -> None:
    analysis = analysed(
        line("MSI-1", "Centre de femmes de Laval"),
        line(
            "MSSS-1",
            "Centre de femmes de Laval",
            ministry="MSSS",
            program="PSOC",
            start="2027-04-01",
            end="2028-03-31",
            fiscal="2027-2028",
        ),
        line("MSI-2", "Centre de femmes de Laval", start="2026-09-01"),  # same ministry and program
    )
    assert pair_ids(analysis) == set()


def test_the_same_purpose_in_two_towns_is_two_organizations_and_no_pair() -> None:
    analysis = analysed(
        line("MSI-1", "Maison des jeunes L'Escale", city="Laval", region="13"),
        line(
            "MSSS-1",
            "Maison des jeunes L'Escale",
            city="Sherbrooke",
            region="Estrie",
            ministry="MSSS",
            program="PSOC",
        ),
    )
    assert pair_ids(analysis) == set()
    assert analysis.resolution.entity_count == 2


def test_lines_of_one_project_meet_through_their_other_lines() -> None:
    # The main funder's text, a second ministry's (close to both) and a third's own summary, which
    # shares little with the first alone: one project, three pairs. A fourth line pays for another
    # purpose at the same time: no pair with it.
    workshops = ("Ateliers de prévention dans les écoles secondaires", "")
    workshops_and_play = ("Ateliers de prévention et pièce de théâtre dans les écoles", "")
    play = ("Pièce de théâtre et discussion avec les élèves des écoles", "")
    assert purpose_similarity(workshops[0], play[0]) < PURPOSE_THRESHOLD
    assert purpose_similarity(workshops[0], workshops_and_play[0]) >= PURPOSE_THRESHOLD
    analysis = analysed(
        line("MSI-1", "Centre de femmes de Laval", purpose=workshops),
        line(
            "MEQ-1", "Centre de femmes de Laval", ministry="MEQ", program="Écoles", purpose=workshops_and_play
        ),
        line("MSSS-1", "Centre de femmes de Laval", ministry="MSSS", program="PSOC", purpose=play),
        line("SCF-1", "Centre de femmes de Laval", ministry="SCF", program="Hébergement", purpose=SHELTER_FR),
    )
    assert {frozenset(pair) for pair in pair_ids(analysis)} == {
        frozenset(("MSI-1", "MEQ-1")),
        frozenset(("MSI-1", "MSSS-1")),
        frozenset(("MEQ-1", "MSSS-1")),
    }
    through_project = next(p for p in analysis.pairs if {p.a, p.b} == {0, 2})
    # the groups' average similarity, not the lines' own
    assert through_project.purpose >= PURPOSE_THRESHOLD > purpose_similarity(workshops[0], play[0])


# -- the import file ------------------------------------------------------------------------------
def test_a_file_in_another_encoding_is_refused_naming_the_line() -> None:
    plain = ("Ateliers", "Prevention en classe")
    data = csv_bytes(
        line("A", "Centre", purpose=plain, program="P"), line("B", "Maison d'hébergement", purpose=plain)
    )
    data = data.decode("utf-8").encode("cp1252")
    with pytest.raises(FileRefused) as refused:
        FundingCsvReader(data)
    assert "UTF-8" in refused.value.message("fr") and "ligne 3" in refused.value.message("fr")
    assert "line 3" in refused.value.message("en")


def test_a_missing_column_refuses_the_file_and_names_the_column() -> None:
    header = HEADER.replace(",fiscal_year", "")
    with pytest.raises(FileRefused) as refused:
        FundingCsvReader(csv_bytes(line("A", "Centre")[:-1], header=header))
    assert refused.value.message("fr") == "colonnes obligatoires absentes de l'en-tête : fiscal_year"


def test_a_file_over_the_size_limit_is_refused_with_both_sizes() -> None:
    data = csv_bytes(*(line(f"R{i}", "Centre de femmes de Laval") for i in range(2000)))
    with pytest.raises(FileRefused) as refused:
        FundingCsvReader(data, max_bytes=100 * 1024)
    assert "limit" in refused.value.message("en") and refused.value.problem.code == "too_large"


def test_bad_lines_are_reported_with_their_number_and_reason_and_good_lines_kept() -> None:
    reader = FundingCsvReader(
        csv_bytes(
            line("OK-1", "Centre de femmes de Laval"),
            line("BAD-DATE", "Centre", start="2026-13-01"),
            line("BAD-AMOUNT", "Centre", amount="douze mille"),
            line("BAD-YEAR", "Centre", fiscal="2026-27"),
            line("BAD-REGION", "Centre", region="Nunavik"),
            line("BAD-NEQ", "Centre", neq="123456789"),
            line("BAD-PERIOD", "Centre", start="2027-04-01", end="2026-04-01"),
            line("OK-2", "Centre de femmes de Laval", region="Laval", amount="12 500,00"),
            line("OK-1", "Centre"),
            ["SHORT", "MSI"],
        )
    )
    good = list(reader)
    assert [record.record_id for record in good] == ["OK-1", "OK-2"]
    assert str(good[1].amount_cad) == "12500.00" and good[1].recipient_region == "13"
    messages = [error.message("fr") for error in reader.errors]
    assert messages == [
        "ligne 3: start_date 2026-13-01 : une date AAAA-MM-JJ est attendue",
        "ligne 4: montant douze mille illisible : un nombre comme 12500.00",
        "ligne 5: exercice 2026-27 : il faut AAAA-AAAA+1, par exemple 2026-2027",
        "ligne 6: région Nunavik inconnue : le nom ou le numéro (01 à 17) d'une région administrative",
        "ligne 7: NEQ 123456789 : 9 chiffres ; un NEQ en a 10 (un numéro de 9 chiffres est le numéro "
        "d'entreprise fédéral)",
        "ligne 8: end_date 2026-04-01 est avant start_date 2027-04-01",
        "ligne 10: record_id OK-1 déjà vu à la ligne 2",
        "ligne 11: la ligne a 2 champs, l'en-tête en annonce 13",
    ]
    assert reader.errors[3].message("en").startswith("line 6: unknown region Nunavik")


def test_extra_columns_are_ignored_and_the_measure_is_kept() -> None:
    header = HEADER + ",measure,note"
    reader = FundingCsvReader(
        csv_bytes([*line("A", "Centre de femmes de Laval"), "13", "interne"], header=header)
    )
    (record,) = list(reader)
    assert record.measure == "13" and reader.errors == []


@pytest.mark.parametrize("text", ["06", "6", "Montréal", "MONTREAL", "06 - Montréal"])
def test_a_region_is_its_name_or_its_number(text: str) -> None:
    assert parse_region(text) == "06"


# -- the command ----------------------------------------------------------------------------------
def grants_command() -> str:
    return str(Path(sys.executable).parent / "grants")


def test_grants_dedupe_end_to_end_writes_pairs_and_entities(tmp_path: Path) -> None:
    source = tmp_path / "funding.csv"
    source.write_bytes(
        csv_bytes(
            line("MSI-1", "Centre de femmes de Laval", neq="1145678901"),
            line(
                "MSSS-1",
                "Laval Women's Center",
                ministry="MSSS",
                program="PSOC",
                purpose=SCHOOL_EN,
                start="2026-07-01",
                end="2027-06-30",
            ),
            line(
                "SCF-1",
                "CENTRE DE FEMMES DE LAVAL",
                neq="1145678901",
                ministry="SCF",
                program="Hébergement",
                purpose=SHELTER_FR,
            ),
            line("MSI-9", "Maison des jeunes L'Escale", city="Sherbrooke", region="05"),
            line("BAD", "Centre", fiscal="2026"),
        )
    )
    pairs, entities = tmp_path / "pairs.csv", tmp_path / "entities.csv"
    result = subprocess.run(
        [
            grants_command(),
            "dedupe",
            "--input",
            str(source),
            "--output",
            str(pairs),
            "--entities",
            str(entities),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ligne 6: exercice 2026" in result.stderr
    assert result.stdout.startswith("4 lignes (1 refusées), 2 organismes, 1 paires, ")
    rows = list(csv.reader(pairs.open(encoding="utf-8")))
    assert rows[0] == ["record_id_a", "record_id_b", "score"]
    assert [row[:2] for row in rows[1:]] == [["MSI-1", "MSSS-1"]]
    assert 0 < float(rows[1][2]) <= 1
    entity_rows = dict(list(csv.reader(entities.open(encoding="utf-8")))[1:])
    assert entity_rows["MSI-1"] == entity_rows["MSSS-1"] == entity_rows["SCF-1"] != entity_rows["MSI-9"]
    assert "BAD" not in entity_rows


def test_grants_dedupe_refuses_a_file_in_another_encoding_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "funding.csv"
    source.write_bytes(csv_bytes(line("A", "Maison d'hébergement")).decode("utf-8").encode("latin-1"))
    pairs = tmp_path / "pairs.csv"
    result = subprocess.run(
        [grants_command(), "dedupe", "--input", str(source), "--output", str(pairs)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "refusé, rien n'est chargé : le fichier n'est pas en UTF-8" in result.stderr
    assert not pairs.exists()


def test_formula_looking_cells_are_neutralized_in_the_files_written(tmp_path: Path) -> None:
    source = tmp_path / "funding.csv"
    source.write_bytes(
        csv_bytes(
            line('=HYPERLINK("http://x")', "Centre de femmes de Laval"),
            line("@SUM(1)", "Centre de femmes de Laval", ministry="MSSS", program="PSOC"),
        )
    )
    pairs, entities = tmp_path / "pairs.csv", tmp_path / "entities.csv"
    result = subprocess.run(
        [
            grants_command(),
            "dedupe",
            "--input",
            str(source),
            "--output",
            str(pairs),
            "--entities",
            str(entities),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    cells = [cell for row in csv.reader(pairs.open(encoding="utf-8")) for cell in row[:2]][2:]
    cells += [row[0] for row in list(csv.reader(entities.open(encoding="utf-8")))[1:]]
    assert sorted(cells) == sorted(['\'=HYPERLINK("http://x")', "'@SUM(1)"] * 2)


def test_a_one_word_capitalized_name_is_an_acronym_even_with_vowels() -> None:
    assert normalize_name("AFE").acronyms == ("afe",)
    assert normalize_name("OJAL").initials == "ojal"
    assert normalize_name("L'ÉLAN").acronyms == ()  # a short form with its article: a word
    groups = entities_of(
        ("AFE", "1181422698", "Shawville", "07"),
        ("Association des familles L'Escale", "", "Shawville", "07"),
        ("OJAL", "", "Chibougamau", "10"),
        ("Organisme de justice alternative La Luciole", "1162785945", "Chibougamau", "10"),
    )
    assert groups[0] == groups[1]
    assert groups[2] == groups[3]
    assert groups[0] != groups[2]


def test_a_word_of_the_kind_typed_with_two_slips_is_still_that_word() -> None:
    groups = entities_of(
        ("Maison d'hébergement pour femmes d'Aylmer", "", "Candiac", "16"),
        ("Maison d'hébergement pour nemnes d'Aylmer", "", "Candiac", "16"),  # femmes, two slips
        ("Maison des jeunes La Vigie", "", "Candiac", "16"),
        ("Maison des femmes La Vigie", "", "Candiac", "16"),  # two words of the kind: two bodies
    )
    assert groups[0] == groups[1]
    assert groups[2] != groups[3]


def test_two_spellings_without_a_town_are_not_rivals_of_the_group_they_both_fit() -> None:
    groups = entities_of(
        ("Regroupement des organismes communautaires de Pont-Viau", "3374187291", "Fermont", "09"),
        ("Regroupement des organismes communautaires de Pont-Viau", "", "Fermont", "09"),
        ("Regroupement des organismes communautaires de Pont-Visu", "", "", "09"),
        ("Regoupement des organismes communautaires de Pont-Viau", "", "", "09"),
        ("Travail de rue de Pont-Viau", "1175422888", "Havre-Saint-Pierre", "09"),
    )
    assert groups[0] == groups[1] == groups[2] == groups[3]
    assert groups[4] != groups[0]


def test_a_line_without_a_town_stays_alone_between_two_towns_of_its_region() -> None:
    groups = entities_of(
        ("Centre de femmes La Petite Maison", "3361835972", "Blainville", "15"),
        ("Centre de femmes La Petite Maison", "1146892412", "Rosemère", "15"),
        ("Centre des femmes La Petite Maison", "", "", "15"),
        ("Centre de femmes La Petite Maisonn", "", "", "15"),
    )
    assert groups[0] != groups[1]
    assert groups[2] not in (groups[0], groups[1])
    assert groups[3] not in (groups[0], groups[1])


def test_a_town_misspelt_twice_is_the_town_of_its_region_named_far_more_often() -> None:
    others = [
        (f"Maison des jeunes {word}", "", "Granby", "16") for word in ("Le Nid", "L'Ancrage", "La Vigie")
    ]
    others += [(f"Centre communautaire {word}", "", "Granby", "16") for word in ("Le Nid", "L'Ancrage")]
    groups = entities_of(
        *others,
        ("Service d'entraide de Sainte-Foy", "1178754908", "Granby", "16"),
        ("Service d'entraide de Sainte-Foy", "", "Grasyb", "16"),  # two slips
        ("Service d'entraide de Sainte-Foy", "", "Grnaby", "03"),  # another region: not Granby
    )
    assert groups[5] == groups[6]
    assert groups[7] != groups[5]


# -- a name that fits several organizations, placed by its project --------------------------------
def test_a_line_without_a_town_between_two_towns_joins_the_one_funded_for_its_project_then() -> None:
    sherbrooke = line("MSI-1", "Maison des jeunes La Passerelle", city="Sherbrooke", region="05")
    magog = line("MSI-2", "Maison des jeunes La Passerelle", city="Magog", region="05", purpose=SHELTER_FR)
    # Another ministry, no town: the same name fits both towns; its project is Sherbrooke's.
    townless = line(
        "MSSS-1",
        "MAISON DES JEUNES LA PASSERELLE",
        city="",
        region="05",
        ministry="MSSS",
        program="PSOC",
        purpose=SCHOOL_EN,
        start="2026-07-01",
        end="2027-06-30",
    )
    analysis = analysed(sherbrooke, magog, townless)
    entity = dict(analysis.entity_rows())
    assert entity["MSSS-1"] == entity["MSI-1"] != entity["MSI-2"]
    assert pair_ids(analysis) == {("MSI-1", "MSSS-1")}
    pair = analysis.pairs[0]
    assert "même projet financé au même moment" in pair.explanation("fr")
    assert "same project funded at the same time" in pair.explanation("en")


def test_a_line_its_project_does_not_place_stays_alone() -> None:
    def townless(
        record_id: str, start: str, end: str, purpose: tuple[str, str] = SCHOOL_FR, fiscal: str = "2026-2027"
    ) -> list[str]:
        return line(
            record_id,
            "Maison des jeunes La Passerelle",
            city="",
            region="05",
            ministry="MSSS",
            program="PSOC",
            purpose=purpose,
            start=start,
            end=end,
            fiscal=fiscal,
        )

    both = (
        line("MSI-1", "Maison des jeunes La Passerelle", city="Sherbrooke", region="05"),
        line("MSI-2", "Maison des jeunes La Passerelle", city="Magog", region="05"),
    )
    for lonely in (
        townless("MSSS-1", "2026-07-01", "2027-06-30"),  # both towns run that project then
        townless("MSSS-1", "2030-04-01", "2031-03-31", fiscal="2030-2031"),  # years later: no project then
        townless("MSSS-1", "2026-07-01", "2027-06-30", purpose=SHELTER_FR),  # another purpose
    ):
        analysis = analysed(*both, lonely)
        entity = dict(analysis.entity_rows())
        assert entity["MSSS-1"] not in (entity["MSI-1"], entity["MSI-2"])
        assert entity["MSI-1"] != entity["MSI-2"]
        assert not analysis.pairs


def test_lines_of_one_townless_name_go_each_to_their_own_project() -> None:
    rows = [
        line("MSI-1", "Centre de femmes L'Escale", city="Rimouski", region="01"),
        line("MSI-2", "Centre de femmes L'Escale", city="Matane", region="01", purpose=SHELTER_FR),
    ]
    for number, purpose in ((1, SCHOOL_EN), (2, SHELTER_FR)):
        rows.append(
            line(
                f"SCF-{number}",
                "Centre de femmes L'Escale",
                city="",
                region="01",
                ministry="SCF",
                program="Égalité",
                purpose=purpose,
                start="2026-10-01",
                end="2027-09-30",
            )
        )
    analysis = analysed(*rows)
    entity = dict(analysis.entity_rows())
    assert entity["SCF-1"] == entity["MSI-1"]
    assert entity["SCF-2"] == entity["MSI-2"]
    assert entity["MSI-1"] != entity["MSI-2"]
    assert pair_ids(analysis) == {("MSI-1", "SCF-1"), ("MSI-2", "SCF-2")}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Intervention en toxicomanie", "Traitement des dépendances"),
        ("Substance use treatment", "Services en dépendance"),
        ("Accompagnement juridique des victimes", "Soutien aux victimes au tribunal"),
        ("Formation du personnel hôtelier", "Repérage dans l'industrie touristique"),
        ("Campagne de sensibilisation en ligne", "Campagne numérique sur internet"),
        ("Portrait régional", "Étude et collecte de données régionales"),
    ],
)
def test_words_of_one_concept_meet_in_either_language(first: str, second: str) -> None:
    assert purpose_similarity(first, second) >= PURPOSE_THRESHOLD


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Hébergement d'urgence pour les femmes", "Accompagnement à la cour"),
        ("Ligne d'écoute pour les familles", "Campagne de sensibilisation en ligne"),
        ("Un parcours de sortie avec recherche d'emploi", "Recherche sur la demande et les clients"),
    ],
)
def test_purposes_of_different_concepts_stay_apart(first: str, second: str) -> None:
    assert purpose_similarity(first, second) < PURPOSE_THRESHOLD


def test_a_word_belongs_to_one_concept_only() -> None:
    from collections import Counter

    from grants.coordination.thesaurus import CONCEPT_ROWS, LEXICON, LEXICON_PHRASES

    counts = Counter(word for row in CONCEPT_ROWS for word in row)
    assert [word for word, count in counts.items() if count > 1] == []
    # keys are folded words (lower case, no accents, no punctuation): anything else never matches
    assert all(key.isalnum() and key.isascii() and key == key.lower() for key in LEXICON)
    assert all(phrase == " ".join(phrase.split()) and phrase.isascii() for phrase, _ in LEXICON_PHRASES)


# -- big towns: names that sort far from their own organization ----------------------------------
FILLERS = ["La Boussole", "Le Cocon", "L'Escale", "Le Havre", "Le Jardin", "La Ruche", "Le Phare", "Le Pont"]


def _crowd(kind: str, town: str, region: str) -> list[tuple[str, str, str, str]]:
    """Organizations of one kind in one town, each written twice (so each is already a group)."""
    crowd = []
    for word in FILLERS:
        crowd += [
            (f"{kind} {word}", "", town, region),
            (f"{kind.upper()} {word.upper()} INC.", "", town, region),
        ]
    return crowd


def test_a_name_mistyped_early_in_a_crowded_town_still_joins_its_organization() -> None:
    crowd = _crowd("Centre d'aide aux victimes d'actes criminels", "Saguenay", "02")
    groups = entities_of(
        *crowd,
        ("Centre d'aide aux victimes d'actes criminels Le Colibri", "1141517360", "Saguenay", "02"),
        ("Centre d'aide aux victimes d'actes criminels Le Colibri", "", "Saguenay", "02"),
        ("Centre d'aid eaux victimes d'actes criminess Le Colibri", "", "Saguenay", "02"),
        # a close name whose distinctive word differs stays another organization
        ("Centre d'aide aux victimes d'actes criminels Le Colombier", "", "Saguenay", "02"),
    )
    colibri = len(crowd)
    assert groups[colibri] == groups[colibri + 1] == groups[colibri + 2]
    assert groups[colibri + 3] != groups[colibri]
    assert len(set(groups[:colibri])) == len(FILLERS)


def test_a_line_without_a_town_meets_every_organization_of_its_name_in_its_region() -> None:
    crowd = _crowd("Maison des jeunes", "Sherbrooke", "05") + _crowd("Maison des jeunes", "Magog", "05")
    groups = entities_of(
        *crowd,
        ("Maison des jeunes L'Envol", "", "Sherbrooke", "05"),
        ("MAISON DES JEUNES L'ENVOL", "", "Sherbrooke", "05"),
        ("Maison des jeunes L'Envol", "", "", "05"),
    )
    envol = len(crowd)
    assert groups[envol + 2] == groups[envol] == groups[envol + 1]


def test_two_short_distinctive_words_a_letter_shift_apart_are_two_organizations() -> None:
    groups = entities_of(
        ("Centre d'aide aux victimes d'actes criminels Le Havre", "", "Saguenay", "02"),
        ("Centre d'aide aux victimes d'actes criminels Le Phare", "", "Saguenay", "02"),
        ("Maison des jeunes du Nor", "", "Saguenay", "02"),  # one slip: the same word
        ("Maison des jeunes du Nord", "", "Saguenay", "02"),
    )
    assert groups[0] != groups[1]
    assert groups[2] == groups[3]


def test_a_short_form_and_an_acronym_in_a_crowded_town_find_their_organization() -> None:
    # many names of the town share `Fanal` or the initials S E E: the short forms fit them all
    kinds = ["Centre de femmes", "Maison des jeunes", "Coalition jeunesse", "Centre communautaire"]
    kinds += ["Maison de la famille", "Carrefour jeunesse-emploi", "Centre de prévention"]
    kinds += ["Groupe d'entraide", "Halte-accueil", "Maison d'hébergement pour femmes", "Regroupement"]
    kinds += ["Organisme de justice alternative", "Ressource d'aide aux personnes", "Table de concertation"]
    words = ["L'Escale", "L'Envol", "L'Étoile", "L'Éveil", "L'Écluse", "L'Éclaircie", "L'Équipage"]
    words += ["L'Entracte", "L'Élan", "L'Embellie", "L'Éclat", "L'Épi", "L'Estuaire", "L'Esquif"]
    crowd = [(f"{kind} Le Fanal", "", "Montréal", "06") for kind in kinds]
    crowd += [(f"Service d'entraide {word}", "", "Montréal", "06") for word in words]
    crowd += [(name.upper(), *rest) for name, *rest in crowd]
    analysis = analysed(
        *[
            line(f"C-{n}", name, city=town, region=region, purpose=SHELTER_FR)
            for n, (name, _, town, region) in enumerate(crowd)
        ],
        line("MSI-1", "Service d'entraide de l'Est", city="Montréal", region="06"),
        line("MSI-2", "Travail de rue Le Fanal", city="Montréal", region="06"),
        # another ministry writes them short, for the same projects at the same time
        line(
            "MSSS-1", "SEE", city="Montréal", region="06", ministry="MSSS", program="PSOC", purpose=SCHOOL_EN
        ),
        line(
            "MSSS-2",
            "Le Fanal",
            city="Montréal",
            region="06",
            ministry="MSSS",
            program="PSOC",
            purpose=SCHOOL_EN,
        ),
    )
    entity = dict(analysis.entity_rows())
    assert entity["MSSS-2"] == entity["MSI-2"]
    assert entity["MSSS-1"] == entity["MSI-1"]
    assert {("MSI-1", "MSSS-1"), ("MSI-2", "MSSS-2")} <= pair_ids(analysis)


def test_the_cells_split_holds_against_a_project_that_would_place_the_line() -> None:
    rows = (
        line("MSI-1", "Maison des jeunes La Passerelle", city="Sherbrooke", region="05"),
        line("MSI-2", "Maison des jeunes La Passerelle", city="Magog", region="05", purpose=SHELTER_FR),
        line(
            "MSSS-1",
            "Maison des jeunes La Passerelle",
            city="",
            region="05",
            ministry="MSSS",
            program="PSOC",
            purpose=SCHOOL_EN,
        ),
    )
    townless = PartyKey.of("Maison des jeunes La Passerelle", None, "")
    sherbrooke = PartyKey.of("Maison des jeunes La Passerelle", None, "Sherbrooke")
    analysis = analyse(FundingCsvReader(csv_bytes(*rows)), [Decision(townless, sherbrooke, same=False)])
    entity = dict(analysis.entity_rows())
    assert entity["MSSS-1"] != entity["MSI-1"]
    assert not analysis.pairs
