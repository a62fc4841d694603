"""stable ids of the matched organizations: a group keeps its id from run to run; a retired
group stays, with the party keys it held, so its old page can say where they went

Revision ID: 0010_entity_ids
Revises: 0009_pdflang
Create Date: 2026-11-29 13:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_entity_ids"
down_revision = "0009_pdflang"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("matched_entities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "retired_entity_parties",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("party_key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["matched_entities.id"],
            name=op.f("fk_retired_entity_parties_entity_id_matched_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entity_id", "party_key", name=op.f("pk_retired_entity_parties")),
    )

    # One member row per party (each run updates it in place). A run always wrote each party once;
    # should a database hold the same key twice, the later rows go (the next run rewrites them).
    members = sa.table("entity_members", sa.column("id", sa.Integer), sa.column("party_key", sa.String))
    keep = sa.select(sa.func.min(members.c.id)).group_by(members.c.party_key).scalar_subquery()
    op.execute(members.delete().where(members.c.id.not_in(keep)))
    with op.batch_alter_table("entity_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entity_members_party_key"))
        batch_op.create_index(batch_op.f("ix_entity_members_party_key"), ["party_key"], unique=True)


def downgrade():
    with op.batch_alter_table("entity_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entity_members_party_key"))
        batch_op.create_index(batch_op.f("ix_entity_members_party_key"), ["party_key"], unique=False)

    op.drop_table("retired_entity_parties")
    # retired groups have no members and no page without their column: they go with it
    entities = sa.table("matched_entities", sa.column("retired_at", sa.DateTime(timezone=True)))
    op.execute(entities.delete().where(entities.c.retired_at.is_not(None)))
    with op.batch_alter_table("matched_entities", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
