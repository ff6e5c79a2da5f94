"""DingTalk interactive cards kept in the database

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dingtalk_cards',
    sa.Column('out_track_id', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=128), nullable=False),
    sa.Column('ticket_number', sa.String(length=32), nullable=False),
    sa.Column('buttons', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('out_track_id')
    )
    op.create_index('ix_dingtalk_card_ticket', 'dingtalk_cards', ['ticket_number', 'address'])


def downgrade() -> None:
    op.drop_index('ix_dingtalk_card_ticket', table_name='dingtalk_cards')
    op.drop_table('dingtalk_cards')
