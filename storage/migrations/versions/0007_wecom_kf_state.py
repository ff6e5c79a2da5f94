"""微信客服 state kept in the database: pending pulls, the 48 h / 5-message window; media backoff

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kf_pulls',
    sa.Column('open_kfid', sa.String(length=64), nullable=False),
    sa.Column('token', sa.String(length=256), nullable=False),
    sa.Column('token_until', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('open_kfid')
    )
    op.create_table('kf_sessions',
    sa.Column('external_userid', sa.String(length=128), nullable=False),
    sa.Column('open_kfid', sa.String(length=64), nullable=False),
    sa.Column('last_message_at', sa.DateTime(), nullable=False),
    sa.Column('opened_by', sa.String(length=64), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('external_userid')
    )
    with op.batch_alter_table('media') as batch:
        batch.add_column(sa.Column('due_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('media') as batch:
        batch.drop_column('due_at')
    op.drop_table('kf_sessions')
    op.drop_table('kf_pulls')
