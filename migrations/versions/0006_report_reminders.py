"""report reminders: steps per program, one row per (report, step) claimed by the daily scan

Revision ID: 0006_report_reminders
Revises: 0005_accountability
Create Date: 2026-11-29 08:10:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0006_report_reminders'
down_revision = '0005_accountability'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_days_before', sa.JSON(), nullable=True, server_default=sa.text("'[30, 14, 7, 1]'")))
        batch_op.add_column(sa.Column('overdue_days_after', sa.JSON(), nullable=True, server_default=sa.text("'[1, 14]'")))

    op.create_table('report_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('claimed_on', sa.Date(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('withdrawn_reason', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_reminders_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_reminders')),
    sa.UniqueConstraint('report_id', 'step', name=op.f('uq_report_reminders_report_id_step'))
    )
    op.create_table('report_reminder_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reminder_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('officer_copy', sa.Boolean(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['outbound_emails.id'], name=op.f('fk_report_reminder_emails_message_id_outbound_emails'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reminder_id'], ['report_reminders.id'], name=op.f('fk_report_reminder_emails_reminder_id_report_reminders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_reminder_emails')),
    sa.UniqueConstraint('message_id', name=op.f('uq_report_reminder_emails_message_id'))
    )
    with op.batch_alter_table('report_reminder_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_reminder_emails_reminder_id'), ['reminder_id'], unique=False)


def downgrade():
    with op.batch_alter_table('report_reminder_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_reminder_emails_reminder_id'))

    op.drop_table('report_reminder_emails')
    op.drop_table('report_reminders')
    with op.batch_alter_table('report_settings', schema=None) as batch_op:
        batch_op.drop_column('overdue_days_after')
        batch_op.drop_column('reminder_days_before')
