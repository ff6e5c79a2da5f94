"""`baoxiu customer export|erase PHONE`: a person's data on their request (PIPL)."""
from __future__ import annotations

import json

import click

from bot.cli_context import DeskContext, pass_ctx
from handlers.text import find_phone
from storage import privacy


@click.group()
def customer() -> None:
    """客户个人信息：导出 / 删除 a customer's personal data: export or erase."""


@customer.command("export")
@click.argument("phone")
@pass_ctx
def export(obj: DeskContext, phone: str) -> None:
    """Print, as JSON, everything held about the customer with this phone."""
    with obj.desk().uow() as uow:
        found = privacy.find(uow.session, _phone(phone))
        if found is None:
            raise click.ClickException("no customer with this phone")
        click.echo(json.dumps(privacy.export(uow.session, found), ensure_ascii=False, indent=2))


@customer.command("erase")
@click.argument("phone")
@click.option("--yes", is_flag=True, help="do it without asking")
@pass_ctx
def erase(obj: DeskContext, phone: str, yes: bool) -> None:
    """Remove what names or locates the customer; the tickets' figures stay."""
    if not yes:
        click.confirm("Erase this customer's personal data? It cannot be undone", abort=True)
    desk = obj.desk()
    with desk.uow() as uow:
        found = privacy.find(uow.session, _phone(phone))
        if found is None:
            raise click.ClickException("no customer with this phone")
        counts = privacy.erase(uow.session, found, desk.clock())
        uow.commit()
    click.echo("erased: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def _phone(text: str) -> str:
    phone = find_phone(text)
    if phone is None:
        raise click.BadParameter("not a mainland mobile number", param_hint="PHONE")
    return phone
