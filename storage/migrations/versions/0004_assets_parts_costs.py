"""assets with purchases, spare parts and stock, reservations, ticket warranty and costs

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first assets table was never written to; it is rebuilt with a surrogate key
    # because sales often arrive without a serial number.
    op.drop_table('assets')
    op.create_table('assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('sku', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('purchase_date', sa.Date(), nullable=True),
    sa.Column('install_date', sa.Date(), nullable=True),
    sa.Column('warranty_end', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.ForeignKeyConstraint(['sku'], ['products.sku'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('serial')
    )
    op.create_index('ix_assets_customer_id', 'assets', ['customer_id'])
    op.create_table('parts',
    sa.Column('sku', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('fits', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('sku')
    )
    op.create_table('stock',
    sa.Column('part_sku', sa.String(length=40), nullable=False),
    sa.Column('location', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('low_at', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity >= 0 AND reserved >= 0 AND reserved <= quantity', name='ck_stock_never_negative'),
    sa.ForeignKeyConstraint(['part_sku'], ['parts.sku'], ),
    sa.PrimaryKeyConstraint('part_sku', 'location')
    )
    op.create_table('reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('part_sku', sa.String(length=40), nullable=False),
    sa.Column('location', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['part_sku'], ['parts.sku'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_reservations_ticket_id', 'reservations', ['ticket_id'])
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asset_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('warranty', sa.String(length=10), nullable=False, server_default='unknown'))
        batch_op.add_column(sa.Column('labour_cents', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('parts_cents', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('charge_cents', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_tickets_asset_id', ['asset_id'], unique=False)
        batch_op.create_foreign_key('fk_tickets_asset_id', 'assets', ['asset_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint('fk_tickets_asset_id', type_='foreignkey')
        batch_op.drop_index('ix_tickets_asset_id')
        for column in ('charge_cents', 'parts_cents', 'labour_cents', 'warranty', 'asset_id'):
            batch_op.drop_column(column)
    op.drop_table('reservations')
    op.drop_table('stock')
    op.drop_table('parts')
    op.drop_index('ix_assets_customer_id', 'assets')
    op.drop_table('assets')
    op.create_table('assets',
    sa.Column('serial', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('install_date', sa.Date(), nullable=True),
    sa.Column('warranty_end', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['sku'], ['products.sku'], ),
    sa.PrimaryKeyConstraint('serial')
    )
    op.create_index('ix_assets_customer_id', 'assets', ['customer_id'])
