"""Console owners known by a keyed hash of their phone, 微信客服 pull tokens sealed

The console's sender id for an owner was `owner:<phone>`, kept in clear in identities; it is now
`owner:<keyed hash>` (storage.identities.console_owner), made from the customer's phone. A row
whose customer is gone names a phone and no one we know: it goes. The event token a pending
微信客服 pull keeps (it lets anyone pull that account's messages for ten minutes) is sealed.

Revision ID: 0019
Revises: 0018
"""
from collections.abc import Callable

from alembic import op
import sqlalchemy as sa

from storage import sealing
from storage.identities import console_owner

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

OWNERS = sa.text("SELECT i.external_id, i.person_id, i.last_seen, c.phone FROM identities i "
                 "LEFT JOIN customers c ON CAST(c.id AS VARCHAR) = i.person_id "
                 "WHERE i.channel = 'console' AND i.role = 'owner' ORDER BY i.last_seen DESC")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == 'postgresql':   # PostgreSQL enforces lengths and a sealed value is long
        op.alter_column('kf_pulls', 'token', type_=sa.Text(), existing_nullable=False)
    ring = sealing.current()   # the keys the composition root configured before upgrading
    _rewrite_tokens(conn, lambda token: ring.seal(ring.open(token)))
    _rewrite_console_owners(conn, lambda phone: console_owner(ring.open(phone)))


def downgrade() -> None:
    conn = op.get_bind()
    ring = sealing.current()
    _rewrite_tokens(conn, ring.open)
    _rewrite_console_owners(conn, lambda phone: f"owner:{ring.open(phone)}")
    if conn.dialect.name == 'postgresql':
        op.alter_column('kf_pulls', 'token', type_=sa.String(length=256), existing_nullable=False)


def _rewrite_tokens(conn: sa.Connection, change: Callable[[str], str]) -> None:
    for open_kfid, token in conn.execute(sa.text("SELECT open_kfid, token FROM kf_pulls")).all():
        if token:
            conn.execute(sa.text("UPDATE kf_pulls SET token = :t WHERE open_kfid = :k"),
                         {"t": change(token), "k": open_kfid})


def _rewrite_console_owners(conn: sa.Connection, new_id: Callable[[str], str]) -> None:
    """Each owner's newest console row under its new id; older rows of the same owner go."""
    rows = conn.execute(OWNERS).all()
    conn.execute(sa.text("DELETE FROM identities WHERE channel = 'console' AND role = 'owner'"))
    done: set[str] = set()
    for _old, person_id, last_seen, phone in rows:
        if not phone:
            continue
        external_id = new_id(phone)
        if external_id in done:
            continue
        done.add(external_id)
        conn.execute(sa.text("INSERT INTO identities (channel, external_id, role, person_id, last_seen) "
                             "VALUES ('console', :e, 'owner', :p, :s)"),
                     {"e": external_id, "p": person_id, "s": last_seen})
