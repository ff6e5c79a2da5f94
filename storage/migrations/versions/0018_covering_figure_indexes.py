"""Figures from the indexes alone: on PostgreSQL the timestamp indexes the figures count by carry the columns
those figures read (an index-only scan reads the period's index entries, not heap pages spread over years of
tickets, so a period costs what it holds however large the table grows); the asset index carries the ticket
id a repeat repair is told apart by; a partial index holds each ticket's holds with their reasons (both
backends)

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

READ = ['state', 'id', 'created_at', 'asset_id', 'reopen_count', 'product_sku', 'site_id', 'parts_cents', 'rating',
        'assignee_id']
COVERING = (
    ('ix_tickets_created_at', ['created_at'], ['site_id', 'product_sku']),
    ('ix_tickets_accepted_at', ['accepted_at'], ['created_at']),
    ('ix_tickets_resolved_at', ['resolved_at'], [*READ, 'breaches']),
    ('ix_tickets_closed_at', ['closed_at'], READ),
    ('ix_tickets_asset_closed', ['asset_id', 'closed_at'], ['id']),
)
HOLD = sa.text("action = 'hold'")


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        # the same keys as before (SQLite keeps its indexes: they hold no other columns there)
        for name, columns, include in COVERING:
            op.drop_index(name, table_name='tickets')
            op.create_index(name, 'tickets', columns, unique=False, postgresql_include=include)
    op.create_index('ix_ticket_events_holds', 'ticket_events', ['ticket_id'], unique=False,
                    postgresql_include=['reason'], postgresql_where=HOLD, sqlite_where=HOLD)


def downgrade() -> None:
    op.drop_index('ix_ticket_events_holds', table_name='ticket_events')
    if op.get_bind().dialect.name == 'postgresql':
        for name, columns, _ in COVERING:
            op.drop_index(name, table_name='tickets')
            op.create_index(name, 'tickets', columns, unique=False)
