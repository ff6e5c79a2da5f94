"""SLA pause spans and acceptance clock on tickets, low-rating follow-ups

Revision ID: 0005s
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005s'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('pauses', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('accept_from', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('accept_from')
        batch.drop_column('pauses')
