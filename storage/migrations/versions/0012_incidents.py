"""Incidents: tickets linked to one cause

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('kind_name', sa.String(length=32), nullable=False),
    sa.Column('community', sa.String(length=64), nullable=False),
    sa.Column('building', sa.String(length=16), nullable=False),
    sa.Column('lead_number', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_incidents_status'), 'incidents', ['status'], unique=False)
    op.create_table('incident_tickets',
    sa.Column('ticket_number', sa.String(length=32), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('ticket_number')
    )
    op.create_index(op.f('ix_incident_tickets_incident_id'), 'incident_tickets', ['incident_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_incident_tickets_incident_id'), table_name='incident_tickets')
    op.drop_table('incident_tickets')
    op.drop_index(op.f('ix_incidents_status'), table_name='incidents')
    op.drop_table('incidents')
