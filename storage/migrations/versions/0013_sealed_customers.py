"""Customers' phone and name sealed at rest; a keyed hash of the phone finds them and keeps them unique

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

from storage import sealing

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    # No table rebuild: SQLite would have to drop `customers` under its foreign keys. SQLite keeps
    # its old UNIQUE(phone) (sealed values are random, so it never fires; nor does it in clear, where
    # equal phones have equal hashes) and has no lengths to widen.
    op.add_column('customers', sa.Column('phone_hash', sa.String(length=64), nullable=True))
    if conn.dialect.name == 'postgresql':
        op.drop_constraint('customers_phone_key', 'customers', type_='unique')
        op.alter_column('customers', 'phone', type_=sa.Text(), existing_nullable=False)
        op.alter_column('customers', 'name', type_=sa.Text(), existing_nullable=False)
    ring = sealing.current()   # the keys the composition root configured before upgrading
    for row_id, phone, name in conn.execute(sa.text("SELECT id, phone, name FROM customers")).all():
        clear = ring.open(phone)
        conn.execute(sa.text("UPDATE customers SET phone = :p, name = :n, phone_hash = :h WHERE id = :i"),
                     {"p": ring.seal(clear), "n": ring.seal(ring.open(name or "")), "h": ring.lookup(clear),
                      "i": row_id})
    op.create_index('uq_customers_phone_hash', 'customers', ['phone_hash'], unique=True)


def downgrade() -> None:
    conn = op.get_bind()
    ring = sealing.current()
    for row_id, phone, name in conn.execute(sa.text("SELECT id, phone, name FROM customers")).all():
        conn.execute(sa.text("UPDATE customers SET phone = :p, name = :n WHERE id = :i"),
                     {"p": ring.open(phone), "n": ring.open(name or ""), "i": row_id})
    op.drop_index('uq_customers_phone_hash', 'customers')
    if conn.dialect.name == 'postgresql':
        op.alter_column('customers', 'phone', type_=sa.String(length=20), existing_nullable=False)
        op.alter_column('customers', 'name', type_=sa.String(length=64), existing_nullable=False)
        op.create_unique_constraint('customers_phone_key', 'customers', ['phone'])
    op.drop_column('customers', 'phone_hash')
