"""Reads shared by the lists of things a program funds (requests, installments, reports): each row
belongs to one organization under one program."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from grants.core.db import db
from grants.organizations.models import Organization
from grants.programs.models import Program


def with_organization_and_program(statement: Select, model: Any) -> Select:
    """`statement` (on `model`, which has `organization_id` and `program_id`) joined to its
    organization and program, with the columns `organization` (legal name) and `program` (code)."""
    return (
        statement.add_columns(Organization.legal_name.label("organization"), Program.code.label("program"))
        .join(Organization, Organization.id == model.organization_id)
        .join(Program, Program.id == model.program_id)
    )


def program_by_code(code: str) -> Program | None:
    return db.session.execute(db.select(Program).filter_by(code=code)).scalar_one_or_none()
