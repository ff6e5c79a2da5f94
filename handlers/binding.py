"""绑定: an owner on a new channel proves who they are before seeing their records.

The owner names the address on file, then the last four digits of the phone number registered
there. The bot never shows those digits (a masked number with the last four visible would hand
the answer to anyone who knows the address); after MAX_TRIES wrong answers the sender, and the
customer asked about, are refused for LOCKOUT. A typed phone number alone never links a chat."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from domain.model import Role, mask_phone
from handlers.base import Ctx
from handlers.report import read
from storage import sealing
from storage.kv import Keys
from storage.uow import SqlUnitOfWork

MAX_TRIES = 3
LOCKOUT = timedelta(hours=1)
CUSTOMER_MAX_TRIES = 6   # across every chat asking about one customer: bounds guessing from many accounts


def _key(ctx: Ctx) -> str:
    return Keys.binding(ctx.inbound.channel, ctx.inbound.sender)


def pending(ctx: Ctx) -> dict[str, object] | None:
    state = sealing.opened_json(ctx.desk.store.get(_key(ctx)))
    return state if isinstance(state, dict) else None


def _save(ctx: Ctx, state: dict[str, object] | None) -> None:
    if state is None:
        ctx.desk.store.delete(_key(ctx))
    else:
        ctx.desk.store.set(_key(ctx), sealing.sealed_json(state), ttl=ctx.desk.dialog_ttl)   # the address named


def _fail_keys(ctx: Ctx, customer_id: object | None) -> list[tuple[str, int]]:
    keys = [(Keys.bind_failures("sender", f"{ctx.inbound.channel}:{ctx.inbound.sender}"), MAX_TRIES)]
    if customer_id is not None:
        keys.append((Keys.bind_failures("customer", str(customer_id)), CUSTOMER_MAX_TRIES))
    return keys


def _failures(ctx: Ctx, key: str) -> tuple[int, datetime]:
    """Wrong answers within the current lockout window (the store's TTL is only a bound)."""
    raw = ctx.desk.store.get(key)
    if raw:
        data = json.loads(raw)
        since = datetime.fromisoformat(data["since"])
        if ctx.now - since < LOCKOUT:
            return int(data["n"]), since
    return 0, ctx.now


def _locked(ctx: Ctx, customer_id: object | None = None) -> bool:
    return any(_failures(ctx, key)[0] >= limit for key, limit in _fail_keys(ctx, customer_id))


def _count_failure(ctx: Ctx, customer_id: object) -> int:
    """Records one wrong answer; returns how many this sender has left."""
    left = MAX_TRIES
    for key, limit in _fail_keys(ctx, customer_id):
        n, since = _failures(ctx, key)
        ctx.desk.store.set(key, json.dumps({"n": n + 1, "since": since.isoformat()}), ttl=LOCKOUT * 2)
        left = min(left, limit - n - 1)
    return left


def start(ctx: Ctx, uow: SqlUnitOfWork) -> None:
    bound = uow.identities.bound_owner(ctx.inbound.channel, ctx.inbound.sender)
    customer = uow.people.customer(bound) if bound is not None else None
    if customer is not None:
        ctx.say(f"这个账号已绑定手机号 {mask_phone(customer.phone)} 的客户资料。如需改绑其他号码，请联系客服处理。")
        return
    if _locked(ctx):
        ctx.say("验证失败次数过多，请 1 小时后再试，或联系客服核实身份。")
        return
    _save(ctx, {"step": "address"})
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
    if _locked(ctx, people[0].id):
        _save(ctx, None)
        ctx.say("验证失败次数过多，请 1 小时后再试，或联系客服核实身份。")
        return
    _save(ctx, {"step": "digits", "customer": people[0].id})
    ctx.say("找到了这个地址的购买登记。请回复登记手机号的后四位，确认是您本人。")


def _digits(ctx: Ctx, uow: SqlUnitOfWork, state: dict[str, object], digits: str) -> None:
    customer = uow.people.customer(int(state["customer"]))  # type: ignore[call-overload]
    if customer is None or _locked(ctx, customer.id):
        _save(ctx, None)
        ctx.say("验证失败次数过多，请 1 小时后再试，或联系客服核实身份。")
        return
    if digits == customer.phone[-4:]:
        _bind(ctx, uow, customer.id)
        return
    left = _count_failure(ctx, customer.id)
    if left <= 0:
        _save(ctx, None)
        ctx.say("后四位不正确，验证失败次数过多，请 1 小时后再试，或联系客服核实身份。")
        return
    ctx.say(f"后四位不正确，请再试一次（还可以试 {left} 次）。")


def _bind(ctx: Ctx, uow: SqlUnitOfWork, customer_id: int | None) -> None:
    _save(ctx, None)
    if not uow.identities.touch(ctx.inbound.channel, ctx.inbound.sender, Role.OWNER, str(customer_id), ctx.now):
        ctx.say("这个账号已绑定另一位客户的资料，不能再绑定这个号码。如需改绑，请联系客服处理。")
        return
    uow.commit()
    ctx.say("绑定成功！现在可以在这里查询进度、催单和评价了。")
