"""Indexes for the service-quality figures: tickets by asset and closing time, so a repeat repair (the same
asset's job closed within 30 days before this one opened) is one short index range per ticket counted, not
every job the asset ever had; audit entries by ticket and action, so whether a ticket was held for parts
reads its holds only, however long its trail

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
    # replaces the index on ticket_id alone, which it starts with
    op.create_index('ix_ticket_events_ticket_action', 'ticket_events', ['ticket_id', 'action'], unique=False)
    op.drop_index('ix_ticket_events_ticket_id', table_name='ticket_events')


def downgrade() -> None:
    op.create_index('ix_ticket_events_ticket_id', 'ticket_events', ['ticket_id'], unique=False)
    op.drop_index('ix_ticket_events_ticket_action', table_name='ticket_events')
    op.drop_index('ix_tickets_asset_closed', table_name='tickets')
