"""`baoxiu demo`, `baoxiu import` and `baoxiu outbox`: master data in, notices out."""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func, select

from bot.bootstrap import Desk
from bot.cli_context import DeskContext
from storage.importer import ImportFailed, import_csv
from storage.tables import AssetRow, PartRow, ProductRow, SiteRow, StaffRow, StockRow, TechnicianRow, TicketRow

DEMO = Path(__file__).parent / "demo"
# in this order: parts fit products, stock is of parts, purchases are of products at communities
DEMO_KINDS = ("sites", "products", "technicians", "staff", "parts", "stock", "purchases")


@click.command()
@click.pass_obj
def demo(obj: DeskContext) -> None:
    """Load demo products, technicians, staff, communities, spare parts, stock and a few purchases.

    Only into an empty database: `make run` calls this on every start, and a second start must
    keep what people changed since (stock used, technicians removed, prices edited)."""
    desk = obj.desk()
    held = _what_is_there(desk)
    if held:
        click.echo(f"demo data not loaded: the database already holds {held}; "
                   "the demo only goes into an empty database (README: starting again)")
        return
    _import_files(desk, [(kind, DEMO / f"{kind}.csv") for kind in DEMO_KINDS])


def _what_is_there(desk: Desk) -> str:
    """"41 products, 12 technicians" for the tables that already have rows, or ""."""
    tables = {"sites": SiteRow, "products": ProductRow, "technicians": TechnicianRow, "staff": StaffRow,
              "parts": PartRow, "stock rows": StockRow, "purchases": AssetRow, "tickets": TicketRow}
    with desk.uow() as uow:
        counts = {name: uow.session.scalar(select(func.count()).select_from(table)) or 0
                  for name, table in tables.items()}
    return ", ".join(f"{n} {name}" for name, n in counts.items() if n)


@click.command("import")
@click.argument("kind", type=click.Choice(["technicians", "staff", "products", "sites", "parts", "stock",
                                           "purchases"]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def import_(obj: DeskContext, kind: str, path: str) -> None:
    """Import a CSV (UTF-8) or Excel .xlsx file; a broken row is named by line and nothing is written."""
    _import_files(obj.desk(), [(kind, Path(path))])


def _import_files(desk: Desk, files: list[tuple[str, Path]]) -> None:
    today = desk.clock().astimezone(desk.rules.tz).date()
    with desk.uow() as uow:
        try:
            counts = [(kind, import_csv(uow.session, kind, path, today)) for kind, path in files]
        except ImportFailed as e:
            raise click.ClickException(f"{e}\nnothing was imported") from None
        uow.commit()
    for kind, n in counts:
        click.echo(f"{kind}: {n} rows")



@click.group()
def outbox() -> None:
    """Notices waiting, sent, held or given up (dead letters)."""


@outbox.command("list")
@click.option("--status", type=click.Choice(["pending", "sending", "held", "dead", "sent", "answered", "dropped", "merged", "all"]),
              default="dead")
@click.option("--limit", type=int, default=50)
@click.pass_obj
def outbox_list(obj: DeskContext, status: str, limit: int) -> None:
    desk = obj.desk()
    with desk.uow() as uow:
        for row in uow.outbox.listing(status, limit):
            to = f"{row.channel}:{row.address}" if row.channel else f"{row.role}:{row.person_id}"
            click.echo(f"{row.id:>6} {row.status:<7} tries={row.attempts} {row.kind:<14} {to:<22} "
                       f"{row.ticket_number or '':<16} {row.text[:30].replace(chr(10), ' ')}  {row.last_error}")


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-dead", is_flag=True, help="every dead letter")
@click.pass_obj
def outbox_retry(obj: DeskContext, ids: tuple[int, ...], all_dead: bool) -> None:
    """Send dead or held notices again (same key: a notice already delivered is not duplicated)."""
    if not ids and not all_dead:
        raise click.ClickException("give notice ids or --all-dead")
    desk = obj.desk()
    with desk.uow() as uow:
        count = uow.outbox.retry(ids, desk.clock())
        uow.commit()
    click.echo(f"{count} notices queued again")
    if ids and count < len(set(ids)):
        # An id that is unknown, already sent or still pending is not an error to hide from a script.
        raise click.ClickException(f"{len(set(ids)) - count} of the given ids are not dead or held notices")
