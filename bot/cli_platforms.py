"""`baoxiu wecom check` and `baoxiu dingtalk check`: do the configured credentials work."""
from __future__ import annotations

from collections.abc import Sequence

import click

from bot.channels.dingtalk.client import DingtalkClient
from bot.channels.wecom.client import WecomApi, check_credentials
from bot.cli_context import DeskContext


@click.group()
def wecom() -> None:
    """WeCom (企业微信) channel."""


@wecom.command("check")
@click.pass_obj
def wecom_check(obj: DeskContext) -> None:
    """Fetch fresh tokens with the configured credentials and say whether they work."""
    desk = obj.desk()
    settings = desk.settings.wecom
    _require_enabled(desk.settings.source, "wecom", settings.enabled)
    api = WecomApi(settings, desk.store, desk.clock)
    try:
        results = check_credentials(api, kf=bool(settings.kf_secret or settings.kf_open_kfid))
    finally:
        api.close()
    _report([(f"{'app ' + str(settings.agent_id) if holder == 'app' else '微信客服 kf'}:", works, detail)
             for holder, works, detail in results], "WeCom credentials do not work")


@click.group()
def dingtalk() -> None:
    """DingTalk (钉钉) channel."""


@dingtalk.command("check")
@click.pass_obj
def dingtalk_check(obj: DeskContext) -> None:
    """Check the access token, the robot code and (Stream) the gateway; one OK/FAILED line each."""
    desk = obj.desk()
    settings = desk.settings.dingtalk
    _require_enabled(desk.settings.source, "dingtalk", settings.enabled)
    client = DingtalkClient(desk)
    try:
        # Cards call back over a Stream connection in either mode.
        results = client.checks(stream=settings.mode == "stream" or bool(settings.card_template_id))
    finally:
        client.close()
    click.echo(f"mode {settings.mode}")
    _report(results, "DingTalk credentials do not work")
    events = "configured" if settings.event_token and settings.event_aes_key else "not configured"
    cards = "interactive cards" if settings.card_template_id else "ActionCards"
    click.echo(f"event subscription {events}; job cards as {cards}")


def _require_enabled(source: str, section: str, enabled: bool) -> None:
    if not enabled:
        raise click.ClickException(f"{source}: [{section}] enabled = false")


def _report(results: Sequence[tuple[str, bool, str]], failure: str) -> None:
    """One OK/FAILED line per check; the command fails when any check did."""
    for what, works, detail in results:
        click.echo(f"{what} {'OK' if works else 'FAILED'} ({detail})")
    if not all(works for _, works, _ in results):
        raise click.ClickException(failure)
