"""SLA pause spans and acceptance clock on tickets, low-rating follow-ups

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('pauses', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('accept_from', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('callback_state', sa.String(length=8), nullable=False, server_default=''))
        batch.add_column(sa.Column('callback_note', sa.String(length=300), nullable=False, server_default=''))
    op.create_index('ix_tickets_callback_state', 'tickets', ['callback_state'])
    with op.batch_alter_table('technicians') as batch:
        batch.add_column(sa.Column('open_jobs', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('record_first_fix', sa.Float(), nullable=True))
        batch.add_column(sa.Column('record_rating', sa.Float(), nullable=True))
    op.create_index('ix_ticket_events_action_at', 'ticket_events', ['action', 'at'])
    op.execute("UPDATE technicians SET open_jobs = (SELECT count(*) FROM tickets WHERE tickets.assignee_id ="
               " technicians.id AND tickets.state IN ('assigned', 'accepted', 'in_progress', 'waiting'))")


def downgrade() -> None:
    op.drop_index('ix_ticket_events_action_at', table_name='ticket_events')
    with op.batch_alter_table('technicians') as batch:
        batch.drop_column('record_rating')
        batch.drop_column('record_first_fix')
        batch.drop_column('open_jobs')
    op.drop_index('ix_tickets_callback_state', table_name='tickets')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('callback_note')
        batch.drop_column('callback_state')
        batch.drop_column('accept_from')
        batch.drop_column('pauses')
