"""Indexes on the timestamps the figures count by (accepted, resolved), so a day reads that day's rows

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f('ix_tickets_accepted_at'), 'tickets', ['accepted_at'], unique=False)
    op.create_index(op.f('ix_tickets_resolved_at'), 'tickets', ['resolved_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_tickets_resolved_at'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_accepted_at'), table_name='tickets')
