"""organizations' language for their documents; CPI rate inputs stored language-neutral;
program sources cite documents by title

Revision ID: 0009_pdflang
Revises: 0008_coordination
Create Date: 2026-11-29 10:50:00

"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_pdflang"
down_revision = "0008_coordination"
branch_labels = None
depends_on = None

# A rate input stored as a sentence in its creator's language, read back as its kind and period.
ANNUAL = re.compile(r"^(?:Moyenne|Average) (\d{4})$")
AVERAGE = re.compile(r"^(?:Moyenne|Average) (\d{4}-\d{2}) (?:à|to) (\d{4}-\d{2})$")
MONTH = re.compile(r"^(\d{4}-\d{2})$")
FIXED_FR = re.compile(r"^Taux fixé le (\d{1,2})(?:er)? (\w+) (\d{4})$")
FIXED_EN = re.compile(r"^Rate set on (\w+) (\d{1,2}), (\d{4})$")
MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# The seeds' file names in program and plan sources, replaced by the documents' titles.
TITLES = {
    "001_3b1152a0d5e5e594.txt": "Plan d'action gouvernemental 2026-2029 en réponse aux recommandations "
    "de la Commission spéciale sur l'exploitation sexuelle des mineurs",
    "000_a592ac76b12244bd.txt": "Mémoire de la Coalition québécoise contre la traite des personnes "
    "(CQCTP) sur le prochain plan d'action gouvernemental (2025)",
}


def cited(source):
    """A stored source with the seeds' file names replaced by the documents' titles."""
    for name, title in TITLES.items():
        source = source.replace(name, title)
    return source


def neutral_input(item):
    """The stored input as its kind and period, or unchanged when it is not a known sentence."""
    if not isinstance(item, dict) or "kind" in item or "label" not in item:
        return item
    label, value = str(item["label"]).strip(), item.get("value")
    found = ANNUAL.match(label)
    if found:
        return {"kind": "annual-average", "first": found.group(1), "value": value}
    found = AVERAGE.match(label)
    if found:
        return {"kind": "average", "first": found.group(1), "last": found.group(2), "value": value}
    found = MONTH.match(label)
    if found:
        return {"kind": "month", "first": found.group(1), "value": value}
    found = FIXED_FR.match(label)
    if found and found.group(2) in MONTHS_FR:
        day, month, year = int(found.group(1)), MONTHS_FR.index(found.group(2)) + 1, found.group(3)
        return {"kind": "fixed", "first": f"{year}-{month:02d}-{day:02d}", "value": value}
    found = FIXED_EN.match(label)
    if found and found.group(1) in MONTHS_EN:
        month, day, year = MONTHS_EN.index(found.group(1)) + 1, int(found.group(2)), found.group(3)
        return {"kind": "fixed", "first": f"{year}-{month:02d}-{day:02d}", "value": value}
    return item


def upgrade():
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("preferred_language", sa.String(length=2), server_default="fr", nullable=False)
        )

    bind = op.get_bind()
    runs = sa.table("indexation_runs", sa.column("id", sa.Integer), sa.column("rate", sa.JSON))
    for run_id, rate in bind.execute(sa.select(runs.c.id, runs.c.rate)).all():
        if not isinstance(rate, dict) or not rate.get("inputs"):
            continue
        inputs = [neutral_input(item) for item in rate["inputs"]]
        if inputs != rate["inputs"]:
            bind.execute(runs.update().where(runs.c.id == run_id).values(rate={**rate, "inputs": inputs}))

    for table in ("programs", "action_plans"):
        sources = sa.table(table, sa.column("id", sa.Integer), sa.column("source", sa.Text))
        for row_id, source in bind.execute(sa.select(sources.c.id, sources.c.source)).all():
            if source and cited(source) != source:
                bind.execute(sources.update().where(sources.c.id == row_id).values(source=cited(source)))


def downgrade():
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("preferred_language")
