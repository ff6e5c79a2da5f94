"""`baoxiu wecom check` (the app, 微信客服, the AI bot) and `baoxiu dingtalk check`: do the configured credentials work."""
from __future__ import annotations

from collections.abc import Sequence

import click

from bot.bootstrap import Desk
from bot.channels.dingtalk.client import DingtalkClient
from bot.channels.wecom_bot import check as ai_bot
from bot.channels.wecom.client import ApiError, WecomApi, check_credentials
from bot.cli_context import DeskContext


@click.group()
def wecom() -> None:
    """WeCom (企业微信) channel."""


@wecom.command("check")
@click.pass_obj
def wecom_check(obj: DeskContext) -> None:
    """One screen: what is configured, what WeCom answered, what to fix (the app, 微信客服, the AI bot)."""
    desk = obj.desk()
    s, bot = desk.settings.wecom, desk.settings.wecom_bot
    if not (s.enabled or bot.enabled):
        raise click.ClickException(f"{desk.settings.source}: [wecom] and [wecom_bot] enabled = false")
    configured: list[tuple[str, str]] = []
    results: list[tuple[str, bool, str]] = []
    fixes: list[str] = []
    for enabled, part in ((s.enabled, _app_check), (bot.enabled, ai_bot.report)):
        if enabled:
            c, r, f = part(desk)
            configured, results, fixes = configured + c, results + r, fixes + f
    if not s.enabled:
        fixes.append("业主用微信找我们需开 [wecom] 与微信客服（要公网回调地址）；内网时见 README「内网部署」")
    _section("配置 configured")
    for what, value in configured:
        _line(what, value)
    _section("应答 answered")
    _report(results)
    _section("修复 to fix")
    _fixes(fixes, "WeCom credentials do not work" if not all(w for _, w, _ in results) else "")


def _app_check(desk: Desk) -> tuple[list[tuple[str, str]], list[tuple[str, bool, str]], list[str]]:
    s = desk.settings.wecom
    kf = bool(s.kf_secret or s.kf_open_kfid)
    configured = [
        ("corp_id", _mask(s.corp_id)),
        ("app", f"agent {s.agent_id}, secret {'set' if s.secret else 'NOT SET'}"),
        ("callback", "token and EncodingAESKey set; WeCom posts to https://<your host>/wecom/callback"),
        ("微信客服 kf", f"open_kfid {_mask(s.kf_open_kfid) or 'NOT SET'}, secret {'set' if s.kf_secret else 'NOT SET'}"),
        ("扫码报修 scene_key", "set" if s.scene_key else "not set"),
        ("转人工 servicers", ", ".join(s.kf_servicers) or "none")]
    api = WecomApi(s, desk.store, desk.clock)
    try:
        results = [(f"{'app ' + str(s.agent_id) if holder == 'app' else '微信客服 kf'}:", works, detail)
                   for holder, works, detail in check_credentials(api, kf=kf)]
        if kf and s.kf_open_kfid and all(works for _, works, _ in results):
            results.append(_servicers(api, s.kf_open_kfid, s.kf_servicers))
    finally:
        api.close()
    fixes = [_wecom_fix(what, detail) for what, works, detail in results if not works]
    if kf and not s.scene_key:
        fixes.append("设 [wecom] scene_key（一串长随机字符）才能印扫码报修码 (baoxiu qr create)")
    if kf and not s.kf_servicers:
        fixes.append("设 [wecom] kf_servicers（接待人员 UserID），否则「转人工」无人可转")
    if not kf:
        fixes.append("业主用微信找我们：设 kf_secret 与 kf_open_kfid（微信客服）")
    return configured, results, fixes


def _servicers(api: WecomApi, open_kfid: str, wanted: list[str]) -> tuple[str, bool, str]:
    try:
        listed = api.get("kf", "/cgi-bin/kf/servicer/list", {"open_kfid": open_kfid}).get("servicer_list") or []
    except ApiError as e:
        return "接待人员:", False, str(e)
    on = {str(x.get("userid")) for x in listed}
    missing = [u for u in wanted if u not in on]
    if missing:
        return "接待人员:", False, f"not 接待人员 of the account: {', '.join(missing)}"
    return "接待人员:", True, f"{len(on)} listed"


def _wecom_fix(what: str, detail: str) -> str:
    code = detail.split(" ")[0]
    hints = {"40013": "corp_id 不对：见 我的企业 → 企业信息 → 企业ID",
             "40001": f"{what.rstrip(':')} 的 secret 不对：应用管理 → 应用 → Secret（微信客服用它自己的 Secret）",
             "48002": "该应用没有权限：微信客服 → 可调用接口的应用 里加上它",
             "95000": "kf_open_kfid 不对：微信客服 → 账号 → 账号ID",
             "60020": "服务器 IP 不在应用的「企业可信IP」里"}
    if what == "接待人员:" and code not in hints:
        return f"在 微信客服 → 账号 → 接待人员 里加上：{detail.split(': ')[-1]}"
    return hints.get(code, f"{what.rstrip(':')}: {detail}")


def _mask(value: str) -> str:
    return value if len(value) <= 8 else f"{value[:4]}…{value[-4:]}"


def _section(title: str) -> None:
    click.echo(f"== {title} ==")


def _line(what: str, value: str) -> None:
    click.echo(f"  {what:<20} {value}")


def _fixes(fixes: list[str], failure: str) -> None:
    for fix in fixes or ["nothing: all good"]:
        click.echo(f"  - {fix}")
    if failure:
        raise click.ClickException(failure)


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
    _section("配置 configured")
    _line("app_key", _mask(settings.app_key))
    _line("robot_code", _mask(settings.robot_code))
    events = "configured" if settings.event_token and settings.event_aes_key else "not configured"
    _line("event subscription", events)
    _line("job cards", "interactive cards" if settings.card_template_id else "ActionCards (buttons open links)")
    _section("应答 answered")
    _report(results)
    _section("修复 to fix")
    hints = {"access token": "app_key / app_secret 不对：开发者后台 → 应用 → 凭证与基础信息",
             "robot code": "robot_code 应是本应用机器人的 RobotCode（应用 → 机器人）",
             "stream gateway": "机器人 → 消息接收模式 选「Stream 模式」，并确认服务器能访问 api.dingtalk.com"}
    fixes = [hints.get(what, what) + f"（{detail[:80]}）" for what, works, detail in results if not works]
    if settings.mode == "http":
        fixes.append("没有公网地址或备案域名？改用 mode = \"stream\"（见 README：内网部署）")
    _fixes(fixes, "DingTalk credentials do not work" if not all(w for _, w, _ in results) else "")


def _require_enabled(source: str, section: str, enabled: bool) -> None:
    if not enabled:
        raise click.ClickException(f"{source}: [{section}] enabled = false")


def _report(results: Sequence[tuple[str, bool, str]]) -> None:
    """One OK/FAILED line per check."""
    for what, works, detail in results:
        click.echo(f"{what} {'OK' if works else 'FAILED'} ({detail})")
