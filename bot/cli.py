"""`baoxiu`: the command line. Every command reads --config or BAOXIU_CONFIG and migrates by itself."""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from pathlib import Path

import click

from bot.bootstrap import Desk, bootstrap
from bot.settings import SettingsError, load_settings
from domain.ticket import State

DEMO = Path(__file__).parent / "demo"
# in this order: parts fit products, stock is of parts, purchases are of products at communities
DEMO_KINDS = ("sites", "products", "technicians", "staff", "parts", "stock", "purchases")


class DeskContext:
    def __init__(self, config: str | None) -> None:
        self.config = config
        self._desk: Desk | None = None

    def desk(self) -> Desk:
        if self._desk is None:
            try:
                self._desk = bootstrap(load_settings(self.config))
            except SettingsError as e:
                raise click.ClickException(str(e)) from None
        return self._desk


pass_ctx = click.make_pass_decorator(DeskContext)


@click.group()
@click.option("--config", "config", envvar="BAOXIU_CONFIG", type=click.Path(dir_okay=False),
              help="配置文件 config file (default: BAOXIU_CONFIG or ./config.toml)")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """报修 Baoxiu — chat-first after-sales service desk."""
    # Quiet by default so `chat` reads cleanly; the long-running commands log at INFO.
    verbose = ctx.invoked_subcommand in ("serve", "worker")
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    ctx.obj = DeskContext(config)


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(obj: DeskContext) -> None:
    """Create or migrate the database to the newest schema."""
    from storage.db import current_revision

    click.echo(f"database at revision {current_revision(obj.desk().engine)}")


@cli.command()
@click.option("--no-scheduler", is_flag=True, help="web only; run `baoxiu worker` for the jobs")
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@pass_ctx
def serve(obj: DeskContext, no_scheduler: bool, host: str | None, port: int | None) -> None:
    """Start the HTTP service (and, unless --no-scheduler, the scheduler)."""
    import uvicorn

    from bot.app import create_app

    desk = obj.desk()
    app = create_app(desk, scheduler=not no_scheduler)
    uvicorn.run(app, host=host or desk.settings.server.host, port=port or desk.settings.server.port,
                log_level="info")


@cli.command()
@pass_ctx
def worker(obj: DeskContext) -> None:
    """Run the scheduled jobs only (several web processes, one or more workers)."""
    from scheduler.runner import run_forever

    run_forever(obj.desk())


@cli.command()
@click.option("--as", "who", default="owner:13800138000", help="owner:<phone> technician:<id> dispatcher:<id> manager:<id>")
@click.option("--script", type=click.File(encoding="utf-8"), default=None, help="run a file of `@role:id text` lines")
@pass_ctx
def chat(obj: DeskContext, who: str, script) -> None:  # type: ignore[no-untyped-def]
    """Talk to the bot in the terminal, as any role."""
    from bot.console import ConsoleSession, interactive, run_script

    session = ConsoleSession(obj.desk(), click.echo)
    if script is None:
        interactive(session, who)
        return
    bad = run_script(session, script)
    if bad:
        raise click.ClickException(f"{script.name}: line {bad}: expected `@role:id message`")


@cli.command()
@pass_ctx
def demo(obj: DeskContext) -> None:
    """Load demo products, technicians, staff, communities, spare parts, stock and a few purchases."""
    _import_files(obj.desk(), [(kind, DEMO / f"{kind}.csv") for kind in DEMO_KINDS])


@cli.command("import")
@click.argument("kind", type=click.Choice(["technicians", "staff", "products", "sites", "parts", "stock",
                                           "purchases"]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@pass_ctx
def import_(obj: DeskContext, kind: str, path: str) -> None:
    """Import a CSV file; a broken row is named by line and nothing is written."""
    _import_files(obj.desk(), [(kind, Path(path))])


def _import_files(desk: Desk, files: list[tuple[str, Path]]) -> None:
    from storage.importer import ImportFailed, import_csv

    today = desk.clock().astimezone(desk.rules.tz).date()
    with desk.uow() as uow:
        try:
            counts = [(kind, import_csv(uow.session, kind, path, today)) for kind, path in files]
        except ImportFailed as e:
            raise click.ClickException(f"{e}\nnothing was imported") from None
        uow.commit()
    for kind, n in counts:
        click.echo(f"{kind}: {n} rows")


@cli.group()
def ticket() -> None:
    """Tickets."""


@ticket.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--state", default=None, type=click.Choice([s.value for s in State]), help="new, assigned, accepted, …")
@pass_ctx
def ticket_list(obj: DeskContext, as_json: bool, state: str | None) -> None:
    from sqlalchemy import select

    from bot.views import ticket_view
    from storage import mapping
    from storage.tables import TicketRow

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
    from bot.views import ticket_text, ticket_view

    desk = obj.desk()
    with desk.uow() as uow:
        found = uow.tickets.get(number.upper())
        if found is None:
            raise click.ClickException(f"no ticket {number}")
        view = ticket_view(uow, found, desk.rules, trail=True)
    click.echo(json.dumps(view, ensure_ascii=False, indent=2) if as_json else ticket_text(view))


@cli.group()
def token() -> None:
    """API tokens for /api/v1."""


@token.command("create")
@click.argument("name")
@pass_ctx
def token_create(obj: DeskContext, name: str) -> None:
    """Create a token; it is shown once and stored only as a hash."""
    from bot.tokens import create_token

    if not name.strip():
        raise click.BadParameter("a token needs a name saying who uses it, e.g. crm", param_hint="NAME")
    desk = obj.desk()
    with desk.uow() as uow:
        secret = create_token(uow.session, name, desk.clock())
        uow.commit()
    click.echo(secret)


@cli.group()
def sla() -> None:
    """SLA and scheduled jobs."""


@sla.command("tick")
@click.option("--now", "now_text", default=None, help="ISO time, e.g. 2026-11-23T18:30:00+08:00")
@pass_ctx
def sla_tick(obj: DeskContext, now_text: str | None) -> None:
    """Run every due job once at the given time."""
    from scheduler.runner import platform_senders
    from scheduler.jobs import tick

    desk = obj.desk()
    try:
        now = datetime.fromisoformat(now_text) if now_text else desk.clock()
    except ValueError:
        raise click.ClickException(f"--now: not an ISO time: {now_text}") from None
    if now.tzinfo is None:
        raise click.ClickException("--now needs a time zone, e.g. +08:00")
    click.echo(json.dumps(tick(desk, platform_senders(desk), now)))


@cli.group()
def outbox() -> None:
    """Notices waiting, sent, held or given up (dead letters)."""


@outbox.command("list")
@click.option("--status", type=click.Choice(["pending", "sending", "held", "dead", "sent", "dropped", "all"]),
              default="dead")
@click.option("--limit", type=int, default=50)
@pass_ctx
def outbox_list(obj: DeskContext, status: str, limit: int) -> None:
    from sqlalchemy import select

    from storage.tables import OutboxRow

    desk = obj.desk()
    with desk.uow() as uow:
        stmt = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
        if status != "all":
            stmt = stmt.where(OutboxRow.status == status)
        for row in uow.session.scalars(stmt):
            to = f"{row.channel}:{row.address}" if row.channel else f"{row.role}:{row.person_id}"
            click.echo(f"{row.id:>6} {row.status:<7} tries={row.attempts} {row.kind:<14} {to:<22} "
                       f"{row.ticket_number or '':<16} {row.text[:30].replace(chr(10), ' ')}  {row.last_error}")


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-dead", is_flag=True, help="every dead letter")
@pass_ctx
def outbox_retry(obj: DeskContext, ids: tuple[int, ...], all_dead: bool) -> None:
    """Send dead or held notices again (same key: a notice already delivered is not duplicated)."""
    from sqlalchemy import update

    from storage.tables import OutboxRow

    if not ids and not all_dead:
        raise click.ClickException("give notice ids or --all-dead")
    desk = obj.desk()
    stmt = update(OutboxRow).where(OutboxRow.status.in_(["dead", "held"]))
    stmt = stmt.where(OutboxRow.id.in_(ids)) if ids else stmt.where(OutboxRow.status == "dead")
    with desk.uow() as uow:
        count = uow.session.execute(stmt.values(status="pending", attempts=0, due_at=desk.clock())).rowcount
        uow.commit()
    click.echo(f"{count} notices queued again")


def main() -> None:
    try:
        cli(prog_name="baoxiu")
    except SettingsError as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(1)


@cli.group()
def wecom() -> None:
    """WeCom (企业微信) channel."""


@wecom.command("check")
@pass_ctx
def wecom_check(obj: DeskContext) -> None:
    """Fetch fresh tokens with the configured credentials and say whether they work."""
    from bot.channels.wecom_client import WecomApi, check_credentials

    desk = obj.desk()
    settings = desk.settings.wecom
    if not settings.enabled:
        raise click.ClickException(f"{desk.settings.source}: [wecom] enabled = false")
    api = WecomApi(settings, desk.store, desk.clock)
    try:
        results = check_credentials(api, kf=bool(settings.kf_secret or settings.kf_open_kfid))
    finally:
        api.close()
    for holder, works, detail in results:
        click.echo(f"{'app ' + str(settings.agent_id) if holder == 'app' else '微信客服 kf'}: "
                   f"{'OK' if works else 'FAILED'} ({detail})")
    if not all(works for _, works, _ in results):
        raise click.ClickException("WeCom credentials do not work")


@cli.group()
def dingtalk() -> None:
    """DingTalk (钉钉) channel."""


@dingtalk.command("check")
@pass_ctx
def dingtalk_check(obj: DeskContext) -> None:
    """Check the access token, the robot code and (Stream) the gateway; one OK/FAILED line each."""
    from bot.channels.dingtalk_client import DingtalkClient

    desk = obj.desk()
    settings = desk.settings.dingtalk
    if not settings.enabled:
        raise click.ClickException(f"{desk.settings.source}: [dingtalk] enabled = false")
    client = DingtalkClient(desk)
    try:
        # Cards call back over a Stream connection in either mode.
        results = client.checks(stream=settings.mode == "stream" or bool(settings.card_template_id))
    finally:
        client.close()
    click.echo(f"mode {settings.mode}")
    for what, works, detail in results:
        click.echo(f"{what} {'OK' if works else 'FAILED'} ({detail})")
    if not all(works for _, works, _ in results):
        raise click.ClickException("DingTalk credentials do not work")
    events = "configured" if settings.event_token and settings.event_aes_key else "not configured"
    cards = "interactive cards" if settings.card_template_id else "ActionCards"
    click.echo(f"event subscription {events}; job cards as {cards}")
