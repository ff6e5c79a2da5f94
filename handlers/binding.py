"""绑定: an owner on a new channel proves who they are before seeing their records.

The owner names the address on file; the bot shows the masked number registered there and asks
for its last four digits. A typed phone number alone never links a chat to a customer."""
from __future__ import annotations

import json

from domain.model import Role, mask_phone
from handlers.base import Ctx
from handlers.report import read
from storage.kv import Keys
from storage.uow import SqlUnitOfWork

MAX_TRIES = 3


def _key(ctx: Ctx) -> str:
    return Keys.dialog(ctx.inbound.channel, ctx.inbound.sender) + ":bind"


def pending(ctx: Ctx) -> dict[str, object] | None:
    raw = ctx.desk.store.get(_key(ctx))
    return json.loads(raw) if raw else None


def _save(ctx: Ctx, state: dict[str, object] | None) -> None:
    if state is None:
        ctx.desk.store.delete(_key(ctx))
    else:
        ctx.desk.store.set(_key(ctx), json.dumps(state), ttl=ctx.desk.dialog_ttl)


def start(ctx: Ctx) -> None:
    _save(ctx, {"step": "address", "tries": 0})
    ctx.say("好的，我们来确认您的身份。请告诉我购买产品时登记的安装地址（小区、楼栋、房号），例如：翠湖花园 3栋2单元501")


def proceed(ctx: Ctx, uow: SqlUnitOfWork, state: dict[str, object], text: str) -> None:
    if text.strip() in ("取消", "算了"):
        _save(ctx, None)
        ctx.say("已取消绑定。")
    elif state["step"] == "address":
        _address(ctx, uow, text)
    else:
        _digits(ctx, uow, state, text.strip())


def _address(ctx: Ctx, uow: SqlUnitOfWork, text: str) -> None:
    found = read(uow, text)
    people = (uow.people.customers_at(found.community, found.building or "", found.room)
              if found.community and found.room else [])
    if len(people) != 1:
        _save(ctx, None)
        ctx.say("没有找到这个地址的购买登记，无法自动绑定。请直接描述问题报修，或联系客服核实。")
        return
    customer = people[0]
    _save(ctx, {"step": "digits", "customer": customer.id, "tries": 0})
    ctx.say(f"我们登记的手机号是 {mask_phone(customer.phone)}，请回复这个号码的后四位确认是您本人。")


def _digits(ctx: Ctx, uow: SqlUnitOfWork, state: dict[str, object], digits: str) -> None:
    customer = uow.people.customer(int(state["customer"]))  # type: ignore[arg-type]
    if customer is not None and digits == customer.phone[-4:]:
        uow.identities.touch(ctx.inbound.channel, ctx.inbound.sender, Role.OWNER, str(customer.id), ctx.now)
        uow.commit()
        _save(ctx, None)
        ctx.say("绑定成功！现在可以在这里查询进度、催单和评价了。")
        return
    tries = int(state["tries"]) + 1  # type: ignore[call-overload]
    if tries >= MAX_TRIES:
        _save(ctx, None)
        ctx.say("后四位不正确，已停止绑定。如需帮助请联系客服。")
        return
    _save(ctx, {**state, "tries": tries})
    ctx.say(f"后四位不正确，请再试一次（还可以试 {MAX_TRIES - tries} 次）。")
