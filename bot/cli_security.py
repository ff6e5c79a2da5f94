"""`baoxiu security new-key | rotate-key`: the keys personal data is sealed with."""
from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from bot.bootstrap import Desk
from bot.cli_context import DeskContext, pass_ctx
from storage import sealing
from storage.tables import CustomerRow


@click.group()
def security() -> None:
    """数据加密密钥 the keys personal data is sealed with."""


@security.command("new-key")
def new_key() -> None:
    """Print a new key: put it first in [security] data_key (keep the old ones after it)."""
    click.echo(sealing.new_key())


@security.command("rotate-key")
@pass_ctx
def rotate_key(obj: DeskContext) -> None:
    """Re-seal every personal field, and re-hash every phone, under the newest key."""
    desk = obj.desk()   # configures the keys from the settings
    if sealing.current().in_clear:
        raise click.ClickException("no [security] data_key set: nothing to seal with")
    click.echo(f"re-sealed {reseal(desk)} customers under the newest key")


def reseal(desk: Desk) -> int:
    ring, count = sealing.current(), 0
    with desk.uow() as uow:
        for row in uow.session.scalars(select(CustomerRow).order_by(CustomerRow.id)):
            # Written back as read (opened with whichever key): sealed again under the newest.
            row.phone_hash = ring.lookup(row.phone)
            flag_modified(row, "phone")
            flag_modified(row, "name")
            count += 1
        uow.commit()
    return count
