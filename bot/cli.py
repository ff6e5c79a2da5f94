"""`baoxiu`: the command line. Every command reads --config or BAOXIU_CONFIG and migrates by itself."""
from __future__ import annotations

import gc
import json
import logging
import sys
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import select

from bot import __version__, logs
from bot.app import create_app
from bot.bootstrap import Desk
from bot.channels.console.channel import ConsoleSession, interactive, run_script
from bot.cli_context import DeskContext, pass_ctx
from bot.cli_customer import customer
from bot.cli_data import demo, import_, outbox
from bot.cli_security import security
from bot.cli_platforms import dingtalk, wecom
from bot.cli_qr import qr
from bot.settings import SettingsError
from bot.tokens import SCOPES, active_named, create_token, list_tokens, revoke
from bot.views import ticket_text, ticket_view
from bot.wiring import wire
from domain.ticket import State
from handlers import catalog_cache
from scheduler import runner
from scheduler.jobs import tick
from storage import mapping
from storage.db import current_revision
from storage.tables import TicketRow


@click.group()
@click.version_option(__version__, prog_name="baoxiu", message="%(prog)s %(version)s")
@click.option("--config", "config", envvar="BAOXIU_CONFIG", type=click.Path(dir_okay=False),
              help="配置文件 config file (default: BAOXIU_CONFIG or ./config.toml)")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """报修 Baoxiu — chat-first after-sales service desk."""
    # Quiet by default so `chat` reads cleanly; the long-running commands log at INFO.
    verbose = ctx.invoked_subcommand in ("serve", "worker")
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # httpx logs every platform API call at INFO: a line per outbound message nobody reads.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logs.install()
    ctx.obj = DeskContext(config)


# Commands kept in their own modules: master data and notices, and the platform checks.
for _command in (demo, import_, outbox, wecom, dingtalk, customer, security, qr):
    cli.add_command(_command)


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(obj: DeskContext) -> None:
    """Create or migrate the database to the newest schema."""
    click.echo(f"database at revision {current_revision(obj.desk().engine)}")


@cli.command()
@click.option("--no-scheduler", is_flag=True, help="web only; run `baoxiu worker` for the jobs")
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@pass_ctx
def serve(obj: DeskContext, no_scheduler: bool, host: str | None, port: int | None) -> None:
    """Start the HTTP service (and, unless --no-scheduler, the scheduler)."""
    import uvicorn  # the web server is loaded only by the command that serves

    desk = obj.desk()
    app = create_app(desk, scheduler=not no_scheduler, web_only=no_scheduler)
    _settle(desk)
    server = desk.settings.server
    uvicorn.run(app, host=host or server.host, port=port or server.port, log_level="info",
                access_log=server.access_log)


def _settle(desk: Desk) -> None:
    """What a server keeps for its whole life (modules, mappings, the catalog's index: some 150,000
    objects) is loaded now and kept out of the cyclic collector. Its full passes over them took
    50 ms and more every 10 to 20 s under load, with every thread stopped: the slowest answers the
    platforms waited for. A catalog loaded again later is freed as before (its objects hold no cycles)."""
    with desk.uow(readonly=True) as uow:
        catalog_cache.snapshot(uow)
    gc.collect()
    gc.freeze()


@cli.command()
@pass_ctx
def worker(obj: DeskContext) -> None:
    """Run the scheduled jobs only (several web processes, one or more workers)."""
    desk = obj.desk()
    edges = wire(desk)
    edges.start()   # long connections (the AI bot's, Stream) may be held by a worker as well
    try:
        runner.run_forever(desk, edges.outlets, desk.engine)
    finally:
        edges.stop()


@cli.command()
@click.option("--as", "who", default="owner:13800138000", help="owner:<phone> technician:<id> dispatcher:<id> manager:<id>")
@click.option("--script", type=click.File(encoding="utf-8"), default=None, help="run a file of `@role:id text` lines")
@pass_ctx
def chat(obj: DeskContext, who: str, script) -> None:  # type: ignore[no-untyped-def]
    """Talk to the bot in the terminal, as any role."""
    session = ConsoleSession(obj.desk(), click.echo)
    if script is None:
        interactive(session, who)
        return
    bad = run_script(session, script)
    if bad:
        raise click.ClickException(f"{script.name}: line {bad}: expected `@role:id message`")



@cli.group()
def ticket() -> None:
    """Tickets."""


@ticket.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--state", default=None, type=click.Choice([s.value for s in State]), help="new, assigned, accepted, …")
@pass_ctx
def ticket_list(obj: DeskContext, as_json: bool, state: str | None) -> None:
    desk = obj.desk()
    with desk.uow() as uow:
        stmt = select(TicketRow).order_by(TicketRow.id)
        if state:
            stmt = stmt.where(TicketRow.state == state)
        views = [ticket_view(uow, mapping.ticket(r), desk.rules) for r in uow.session.scalars(stmt)]
    if as_json:
        click.echo(json.dumps(views, ensure_ascii=False, indent=2))
        return
    for v in views:
        click.echo(f"{v['number']}  {v['state']:<11} {v['priority']:<7} {v['type_name']}  {v['description'][:30]}")


@ticket.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def ticket_show(obj: DeskContext, number: str, as_json: bool) -> None:
    desk = obj.desk()
    with desk.uow() as uow:
        found = uow.tickets.get(number.upper())
        if found is None:
            raise click.ClickException(f"no ticket {number}")
        view = ticket_view(uow, found, desk.rules, trail=True)
    click.echo(json.dumps(view, ensure_ascii=False, indent=2) if as_json else ticket_text(view))


@ticket.command("pdf")
@click.argument("number")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="file to write (default: <number>-confirmation.pdf here)")
@pass_ctx
def ticket_pdf(obj: DeskContext, number: str, output: str | None) -> None:
    """Write the 服务确认单 (service confirmation) of a finished ticket as a PDF."""
    from bot.documents import Unavailable, confirmation_pdf  # fpdf2 and the font: loaded for this command only

    try:
        file = confirmation_pdf(obj.desk(), number)
    except Unavailable:
        raise click.ClickException(f"no finished ticket {number}: a confirmation needs the work done") from None
    path = Path(output or file.filename)
    path.write_bytes(file.data)
    click.echo(f"{path} ({len(file.data) // 1024} KB)")


@cli.group()
def export() -> None:
    """Spreadsheets for operators (Excel .xlsx)."""


@export.command("tickets")
@click.option("--from", "first", required=True, type=click.DateTime(["%Y-%m-%d"]), help="first day, e.g. 2026-12-01")
@click.option("--to", "last", required=True, type=click.DateTime(["%Y-%m-%d"]), help="last day, included")
@click.option("--state", default=None, type=click.Choice([s.value for s in State]))
@click.option("--region", default=None, help="only sites in this region, e.g. 西湖区")
@click.option("--full-phones", is_flag=True, help="write phone numbers whole (default: 138****8000)")
@click.argument("output", type=click.Path(dir_okay=False, writable=True))
@pass_ctx
def export_tickets(obj: DeskContext, first: datetime, last: datetime, state: str | None, region: str | None,
                   full_phones: bool, output: str) -> None:
    """Tickets opened between two days, one row each, with Chinese column headers."""
    from bot.documents import Filter, tickets_xlsx  # openpyxl: loaded for this command only

    if last < first:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    data, count = tickets_xlsx(obj.desk(), Filter(first.date(), last.date(), State(state) if state else None,
                                                  region), full_phones)
    Path(output).write_bytes(data)
    click.echo(f"{output}: {count} tickets")


@cli.command()
@click.option("--month", required=True, type=click.DateTime(["%Y-%m"]), help="e.g. 2026-11")
@click.option("--by", type=click.Choice(["technician", "region"]), default="technician", show_default=True)
@click.argument("output", type=click.Path(dir_okay=False, writable=True))
@pass_ctx
def statement(obj: DeskContext, month: datetime, by: str, output: str) -> None:
    """结算单: a month's closed jobs per technician or region (labour, parts, paid, in-warranty cost).

    OUTPUT ending in .xlsx is a workbook; anything else is a PDF."""
    from bot.documents import statement_file  # fpdf2 / openpyxl: loaded for this command only

    data = statement_file(obj.desk(), month.date(), by, excel=output.lower().endswith(".xlsx"))
    Path(output).write_bytes(data)
    click.echo(f"{output} ({len(data) // 1024} KB)")


@cli.group()
def token() -> None:
    """API tokens for /api/v1."""


@token.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(list(SCOPES)),
              help="what the token may do (repeat for several): " + "; ".join(f"{k}: {v}" for k, v in SCOPES.items()))
@pass_ctx
def token_create(obj: DeskContext, name: str, scopes: tuple[str, ...]) -> None:
    """Create a token; it is shown once and stored only as a hash."""
    if not name.strip():
        raise click.BadParameter("a token needs a name saying who uses it, e.g. crm", param_hint="NAME")
    desk = obj.desk()
    with desk.uow() as uow:
        if active_named(uow.session, name):
            raise click.ClickException(f"a token named {name} exists; revoke it first or choose another name")
        secret = create_token(uow.session, name, desk.clock(), scopes)
        uow.commit()
    click.echo(secret)


@token.command("list")
@pass_ctx
def token_list(obj: DeskContext) -> None:
    """Every token: name, scopes, created, last used, revoked. Never the secret."""
    desk = obj.desk()
    with desk.uow() as uow:
        tokens = list_tokens(uow.session)
    tz = desk.rules.tz
    for t in tokens:
        used = t.last_used_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if t.last_used_at else "never used"
        click.echo(f"{t.name:<20} {' '.join(t.scopes):<28} created {t.created_at.astimezone(tz):%Y-%m-%d %H:%M}  "
                   f"last used {used}" + ("  REVOKED" if t.revoked else ""))


@token.command("revoke")
@click.argument("name")
@pass_ctx
def token_revoke(obj: DeskContext, name: str) -> None:
    """Revoke the token of that name; every web process refuses it from the next request."""
    desk = obj.desk()
    with desk.uow() as uow:
        count = revoke(uow.session, name)
        uow.commit()
    if not count:
        raise click.ClickException(f"no live token named {name} (see `baoxiu token list`)")
    click.echo(f"revoked {name}")


@cli.group()
def sla() -> None:
    """SLA and scheduled jobs."""


@sla.command("tick")
@click.option("--now", "now_text", default=None, help="ISO time, e.g. 2026-11-23T18:30:00+08:00")
@pass_ctx
def sla_tick(obj: DeskContext, now_text: str | None) -> None:
    """Run every due job once at the given time."""
    desk = obj.desk()
    try:
        now = datetime.fromisoformat(now_text) if now_text else desk.clock()
    except ValueError:
        raise click.ClickException(f"--now: not an ISO time: {now_text}") from None
    if now.tzinfo is None:
        raise click.ClickException("--now needs a time zone, e.g. +08:00")
    click.echo(json.dumps(tick(desk, wire(desk).outlets, now)))


def main() -> None:
    try:
        cli(prog_name="baoxiu")
    except SettingsError as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(1)
