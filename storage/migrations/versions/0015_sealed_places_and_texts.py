"""Rooms, technicians' phones, typed text, shared locations and queued notices sealed at rest

Building, unit and room of a site are sealed and a keyed hash of the whole place finds it and
keeps it unique; technicians' phones, a ticket's typed text (description, notes, reasons,
comments) and the outbox's texts are sealed; so are event reasons (check-in locations, owners'
words), except hold reasons, which the figures search by word: those have every mobile masked.

Revision ID: 0015
Revises: 0014
"""
from collections.abc import Callable

from alembic import op
import sqlalchemy as sa

from domain.model import mask_phones
from storage import sealing

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# (table, column, its type before): PostgreSQL enforces lengths and a sealed value is long.
WIDENED = [('sites', 'building', 16), ('sites', 'unit', 16), ('sites', 'room', 16),
           ('technicians', 'phone', 20), ('tickets', 'hold_reason', 200), ('tickets', 'rating_comment', 500),
           ('tickets', 'callback_note', 300), ('ticket_events', 'reason', 500)]
SEALED = {'technicians': ['phone'], 'outbox': ['text'],
          'tickets': ['description', 'hold_reason', 'resolution_note', 'rating_comment', 'callback_note']}
BATCH = 1000


def upgrade() -> None:
    conn = op.get_bind()
    # No table rebuild on SQLite (foreign keys point at sites): its old UNIQUE over the four fields
    # stays beside the place hash, and never contradicts it (equal places have equal hashes).
    op.add_column('sites', sa.Column('place_hash', sa.String(length=64), nullable=True))
    if conn.dialect.name == 'postgresql':
        op.drop_constraint('sites_community_building_unit_room_key', 'sites', type_='unique')
        for table, column, _length in WIDENED:
            op.alter_column(table, column, type_=sa.Text(), existing_nullable=False)
    ring = sealing.current()   # the keys the composition root configured before upgrading
    for row_id, community, building, unit, room in _rows(conn, 'sites', ['community', 'building', 'unit', 'room']):
        clear = [ring.open(v or '') for v in (building, unit, room)]
        conn.execute(sa.text("UPDATE sites SET building = :b, unit = :u, room = :r, place_hash = :h WHERE id = :i"),
                     {"b": ring.seal(clear[0]), "u": ring.seal(clear[1]), "r": ring.seal(clear[2]),
                      "h": ring.lookup(sealing.joined(community, *clear)), "i": row_id})
    for table, columns in SEALED.items():
        _rewrite(conn, table, columns, lambda value, _row: ring.seal(ring.open(value)))
    _rewrite(conn, 'ticket_events', ['reason'], _event_reason(ring), extra=['action'])
    op.create_index('uq_sites_place_hash', 'sites', ['place_hash'], unique=True)


def downgrade() -> None:
    conn = op.get_bind()
    ring = sealing.current()
    for table, columns in [*SEALED.items(), ('sites', ['building', 'unit', 'room']), ('ticket_events', ['reason'])]:
        _rewrite(conn, table, columns, lambda value, _row: ring.open(value))
    op.drop_index('uq_sites_place_hash', 'sites')
    if conn.dialect.name == 'postgresql':
        for table, column, length in WIDENED:
            op.alter_column(table, column, type_=sa.String(length=length), existing_nullable=False)
        op.create_unique_constraint('sites_community_building_unit_room_key', 'sites',
                                    ['community', 'building', 'unit', 'room'])
    op.drop_column('sites', 'place_hash')


def _event_reason(ring: sealing.Keyring) -> Callable[[str, tuple[object, ...]], str]:
    def reason(value: str, row: tuple[object, ...]) -> str:
        clear = ring.open(value)
        return mask_phones(clear) if row[-1] == 'hold' else ring.seal(clear)
    return reason


def _rows(conn: sa.Connection, table: str, columns: list[str]) -> list[tuple[object, ...]]:
    return list(conn.execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table} ORDER BY id")).all())


def _rewrite(conn: sa.Connection, table: str, columns: list[str],
             change: Callable[[str, tuple[object, ...]], str], extra: list[str] | None = None) -> None:
    """Every row's `columns` passed through `change` (given the value and the row), in batches;
    a row left as it was is not written."""
    sets = ', '.join(f"{c} = :{c}" for c in columns)
    last: object = None   # ids are integers, or text (technicians)
    while True:
        after = "" if last is None else "WHERE id > :last "
        rows = conn.execute(sa.text(f"SELECT id, {', '.join(columns + (extra or []))} FROM {table} "
                                    f"{after}ORDER BY id LIMIT {BATCH}"), {"last": last}).all()
        if not rows:
            return
        for row in rows:
            old = {c: row[i + 1] for i, c in enumerate(columns)}
            new = {c: change(v, tuple(row)) if v else v for c, v in old.items()}
            if new != old:
                conn.execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"), {**new, "id": row[0]})
        last = rows[-1][0]
