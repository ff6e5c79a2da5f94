"""what technicians call a part; API token scopes and last use

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('parts') as batch:
        batch.add_column(sa.Column('aliases', sa.JSON(), nullable=False, server_default='[]'))
    # Tokens made before scopes existed could call every endpoint; they keep that as "admin".
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(sa.Column('scopes', sa.String(length=64), nullable=False, server_default='admin'))
        batch.add_column(sa.Column('last_used_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_column('last_used_at')
        batch.drop_column('scopes')
    with op.batch_alter_table('parts') as batch:
        batch.drop_column('aliases')
