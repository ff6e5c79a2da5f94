"""sla timers, media, plans, dispatch log, direct replies

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=256), nullable=False),
    sa.Column('ticket_number', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_status'), ['status'], unique=False)

    op.create_table('plan_runs',
    sa.Column('plan', sa.String(length=64), nullable=False),
    sa.Column('fire_at', sa.DateTime(), nullable=False),
    sa.Column('ticket_number', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('plan', 'fire_at')
    )
    op.create_table('dispatch_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('chosen', sa.JSON(), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dispatch_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispatch_decisions_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('address', sa.String(length=128), nullable=False, server_default=''))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('offered', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('next_due_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_fired', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('breaches', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('followup_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('followup_stage', sa.String(length=16), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_tickets_followup_at'), ['followup_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_next_due_at'), ['next_due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_next_due_at'))
        batch_op.drop_index(batch_op.f('ix_tickets_followup_at'))
        batch_op.drop_column('followup_stage')
        batch_op.drop_column('followup_at')
        batch_op.drop_column('breaches')
        batch_op.drop_column('sla_fired')
        batch_op.drop_column('next_due_at')
        batch_op.drop_column('offered')
        batch_op.drop_column('hold_count')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('address')
        batch_op.drop_column('channel')

    with op.batch_alter_table('dispatch_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispatch_decisions_ticket_id'))

    op.drop_table('dispatch_decisions')
    op.drop_table('plan_runs')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_status'))

    op.drop_table('media')
