"""Platform user ids of staff and technicians move into the identities table

Revision ID: 0008
Revises: 0007
"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Seeded identities were never seen: any real sighting on any channel is newer (stored as naive UTC).
NEVER = datetime(2000, 1, 1)
COLUMNS = {"wecom_userid": "wecom", "dingtalk_userid": "dingtalk"}


def upgrade() -> None:
    conn = op.get_bind()
    identities = sa.table('identities', sa.column('channel', sa.String), sa.column('external_id', sa.String),
                          sa.column('role', sa.String), sa.column('person_id', sa.String),
                          sa.column('last_seen', sa.DateTime))
    people = [(f"'technician'", 'technicians'), ('role', 'staff')]
    for role, table in people:
        for column, channel in COLUMNS.items():
            rows = conn.execute(sa.text(f"SELECT id, {role}, {column} FROM {table} WHERE {column} <> ''")).all()
            for person_id, person_role, user_id in rows:
                known = conn.execute(sa.select(identities.c.person_id).where(
                    identities.c.channel == channel, identities.c.external_id == user_id)).first()
                if known is None:
                    conn.execute(identities.insert().values(channel=channel, external_id=user_id, role=person_role,
                                                            person_id=person_id, last_seen=NEVER))
                else:  # the roster's column was what recognised staff; it wins over an older sighting
                    conn.execute(identities.update().where(identities.c.channel == channel,
                                                           identities.c.external_id == user_id)
                                 .values(role=person_role, person_id=person_id))
    for _, table in people:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('wecom_userid')
            batch.drop_column('dingtalk_userid')


def downgrade() -> None:
    for table in ('technicians', 'staff'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('wecom_userid', sa.String(length=64), nullable=False, server_default=''))
            batch.add_column(sa.Column('dingtalk_userid', sa.String(length=64), nullable=False, server_default=''))
