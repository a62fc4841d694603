"""the versions of funding lines a later import replaced, so withdrawing that import puts them
back; how many lines a withdrawal removed and restored

Revision ID: 0011_line_history
Revises: 0010_entity_ids
Create Date: 2026-11-29 14:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_line_history"
down_revision = "0010_entity_ids"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("funding_imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lines_removed", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("lines_restored", sa.Integer(), server_default="0", nullable=False))

    op.create_table(
        "external_funding_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("funding_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(length=255), nullable=False),
        sa.Column("recipient_name", sa.String(length=255), nullable=False),
        sa.Column("recipient_neq", sa.String(length=10), nullable=True),
        sa.Column("recipient_city", sa.String(length=120), nullable=False),
        sa.Column("recipient_region", sa.String(length=2), nullable=True),
        sa.Column("project_title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("measure_code", sa.String(length=20), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["funding_id"],
            ["external_funding.id"],
            name=op.f("fk_external_funding_versions_funding_id_external_funding"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["funding_imports.id"],
            name=op.f("fk_external_funding_versions_import_id_funding_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["measures.id"],
            name=op.f("fk_external_funding_versions_measure_id_measures"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_funding_versions")),
    )
    with op.batch_alter_table("external_funding_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_external_funding_versions_funding_id"), ["funding_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_external_funding_versions_import_id"), ["import_id"], unique=False)


def downgrade():
    # the kept versions go: a withdrawal then deletes the lines it holds, as before
    with op.batch_alter_table("external_funding_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_external_funding_versions_import_id"))
        batch_op.drop_index(batch_op.f("ix_external_funding_versions_funding_id"))
    op.drop_table("external_funding_versions")

    with op.batch_alter_table("funding_imports", schema=None) as batch_op:
        batch_op.drop_column("lines_restored")
        batch_op.drop_column("lines_removed")
