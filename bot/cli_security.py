"""`baoxiu security new-key | rotate-key`: the keys personal data is sealed with."""
from __future__ import annotations

import click
from bot.bootstrap import Desk
from bot.cli_context import DeskContext, pass_ctx
from storage import sealing
from storage.resealing import reseal_all


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
    """Re-seal every personal field, and re-hash every lookup, under the newest key."""
    desk = obj.desk()   # configures the keys from the settings
    if sealing.current().in_clear:
        raise click.ClickException("no [security] data_key set: nothing to seal with")
    counts = reseal(desk)
    click.echo("re-sealed under the newest key: " + (", ".join(f"{n} {t}" for t, n in counts.items() if n) or "nothing"))


def reseal(desk: Desk) -> dict[str, int]:
    with desk.uow() as uow:
        counts = reseal_all(uow.session)
        uow.commit()
    return counts
