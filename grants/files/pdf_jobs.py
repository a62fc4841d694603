"""A background job that produces one PDF: claim the job, build the document with progress, store
it and mark the job done (the file and the job commit together); on any error the job says it
failed and the error goes on to the worker's log. The program report and the cell's budget
dashboard are built this way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grants.core import jobs
from grants.core.db import db
from grants.files.storage import store

# What a document needs to say about itself: its bytes and the file name people download.
Build = Callable[[jobs.BackgroundJob, Callable[[int], None]], tuple[bytes, str]]


def run_pdf_job(job_id: int, build: Build, *, steps: int, kind: str | None = None) -> int | None:
    """Run the job's `build` (given the job and a progress callback), store the PDF, finish the job;
    answers the stored file's id, or None when the job is gone, of another kind, ended or held by
    another runner (a task delivered twice)."""
    job = jobs.job_for(job_id)
    if job is None or (kind is not None and job.kind != kind) or not jobs.claim(job):
        return None
    try:
        jobs.advance(job, 0, steps)
        progress: Callable[[int], Any] = lambda done: jobs.advance(job, done)  # noqa: E731
        data, name = build(job, progress)
        stored = store(data, original_name=name, media_type="application/pdf", organization_id=None)
        jobs.finish(job, result_file_id=stored.id)
        db.session.commit()
        return stored.id
    except Exception as error:
        jobs.fail_with(job_id, error)
        raise
