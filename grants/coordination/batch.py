"""The batch run behind `grants dedupe`: read, match, write — the same code the pages will call."""

from __future__ import annotations

import csv
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from grants.coordination.duplicates import analyse
from grants.coordination.records import FileRefused, FundingCsvReader, FundingRecord

PROGRESS_EVERY = 50_000
_FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass
class BatchOutcome:
    records: int = 0
    entities: int = 0
    pairs: int = 0
    errors: list[str] = field(default_factory=list)
    refused: str | None = None


def run_batch(
    input_path: str,
    output_path: str,
    entities_path: str | None = None,
    *,
    progress: Callable[[str], None] = lambda message: None,
    language: str = "fr",
) -> BatchOutcome:
    """Match one file; a file-level problem writes nothing and says why in `refused`."""
    from grants.core.listing import csv_cell

    outcome = BatchOutcome()
    progress("lecture / reading…")
    try:
        reader = FundingCsvReader(input_path)
    except FileRefused as refused:
        outcome.refused = refused.message(language)
        return outcome
    except OSError as error:
        outcome.refused = f"{input_path}: {error.strerror}"
        return outcome

    def counted(records: Iterator[FundingRecord]) -> Iterator[FundingRecord]:
        for number, record in enumerate(records, start=1):
            if number % PROGRESS_EVERY == 0:
                progress(f"lecture / reading: {number:,} lignes / lines")
            yield record

    records = counted(iter(reader))
    # A million records and their columns are millions of objects, none in a reference cycle: the
    # cyclic garbage collector would walk them again and again for nothing (a tenth of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        analysis = analyse(records, progress=progress)
    finally:
        if collecting:
            gc.enable()
    outcome.records = len(analysis.table)
    outcome.entities = analysis.resolution.entity_count
    outcome.pairs = len(analysis.pairs)
    outcome.errors = [error.message(language) for error in reader.errors]
    progress("écriture / writing…")
    # Each id is neutralized once (a formula-looking id gets its quote), then written as is.
    ids = [csv_cell(text) if text[:1] in _FORMULA_STARTS else text for text in analysis.table.record_ids]
    with open(output_path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("record_id_a", "record_id_b", "score"))
        writer.writerows((ids[pair.a], ids[pair.b], f"{pair.score:.3f}") for pair in analysis.pairs)
    if entities_path:
        with open(entities_path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(("record_id", "entity_id"))
            writer.writerows(zip(ids, (analysis.resolution.entity_of_record + 1).tolist(), strict=True))
    return outcome
