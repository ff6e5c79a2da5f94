"""Tickets by asset and closing time, so a repeat repair (the same asset's job closed within 30 days before
this one opened) is one short index range per ticket counted, not every job the asset ever had

Revision ID: 0014
Revises: 0013
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_tickets_asset_closed', 'tickets', ['asset_id', 'closed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_tickets_asset_closed', table_name='tickets')
