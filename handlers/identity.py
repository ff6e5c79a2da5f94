"""Who is speaking: a platform sender becomes an Actor with a role."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from domain.model import Role
from domain.actors import Actor
from handlers.base import Inbound
from handlers.text import find_phone, normalize
from storage.identities import console_owner
from storage.uow import SqlUnitOfWork

ROLE_NAMES = {Role.OWNER: "业主", Role.TECHNICIAN: "师傅", Role.DISPATCHER: "派单员", Role.MANAGER: "主管",
              Role.ADMIN: "管理员"}
# The whole console id must be a mobile number (+86 allowed): `owner:abc` would otherwise become a customer.
CONSOLE_PHONE = re.compile(r"(?:(?:\+|00)?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}")


@dataclass(frozen=True)
class Who:
    actor: Actor
    phone: str | None = None


class Unknown(Exception):
    """A sender who claims a staff role we have no record of."""


def as_stored(inbound: Inbound) -> Inbound:
    """The console's `owner:<phone>` as every store keeps it: a keyed id (storage.identities), with
    the phone, which the console vouches for, beside it. Other senders are kept as they are."""
    role, _, ref = inbound.sender.partition(":")
    if inbound.channel != "console" or role != Role.OWNER or not CONSOLE_PHONE.fullmatch(normalize(ref)):
        return inbound
    phone = find_phone(ref)
    return replace(inbound, sender=console_owner(phone), phone=phone) if phone else inbound


def identify(uow: SqlUnitOfWork, inbound: Inbound, now: datetime) -> Who:
    if inbound.channel == "console":
        who = _console(uow, inbound.sender, inbound.phone)
    else:
        who = _platform(uow, inbound)
    if who.actor.id:
        # a phone the platform vouches for may move a chat to another customer; nothing else may
        uow.identities.touch(inbound.channel, inbound.sender, who.actor.role, who.actor.id, now,
                             rebind=inbound.channel == "console" or bool(inbound.phone))
    return who


def console_problem(uow: SqlUnitOfWork, sender: str) -> str | None:
    """Why the console cannot speak as `sender` (`owner:abc`, an unknown T99); None when it can."""
    try:
        _console(uow, sender)
    except Unknown as e:
        return str(e)
    return None


def _console(uow: SqlUnitOfWork, sender: str, phone: str | None = None) -> Who:
    role_name, _, ref = sender.partition(":")
    try:
        role = Role(role_name)
    except ValueError:
        raise Unknown(f"未知的身份 {role_name[:20]}，可用：owner / technician / dispatcher / manager") from None
    if role is Role.OWNER:
        phone = phone or (find_phone(ref) if CONSOLE_PHONE.fullmatch(normalize(ref)) else None)
        if phone is None:
            raise Unknown(f"业主身份需是 11 位手机号，例如 owner:13800138000（收到的是 {ref[:20]}）。")
        return _owner(uow, phone)
    if role is Role.TECHNICIAN:
        tech = uow.people.technician(ref)
        if tech is None:
            raise Unknown(f"没有编号为 {ref[:20]} 的师傅。")
        return Who(Actor(role, tech.id, tech.name))
    staff = uow.people.staff(ref)
    if staff is None or staff.role is not role:
        raise Unknown(f"没有编号为 {ref[:20]} 的{ROLE_NAMES[role]}。")
    return Who(Actor(role, staff.id, staff.name))


def _owner(uow: SqlUnitOfWork, phone: str) -> Who:
    customer = uow.people.customer_by_phone(phone)
    if customer is None:
        return Who(Actor(Role.OWNER, "", ""), phone)
    return Who(Actor(Role.OWNER, str(customer.id), customer.name), phone)


def _platform(uow: SqlUnitOfWork, inbound: Inbound) -> Who:
    staff = uow.identities.staff_by_platform(inbound.channel, inbound.sender)
    if staff is not None:
        role, person_id = staff
        name = _staff_name(uow, Role(role), person_id)
        return Who(Actor(Role(role), person_id, name))
    known = uow.identities.find(inbound.channel, inbound.sender)
    if known is not None and known.role == Role.OWNER:
        customer = uow.people.customer(int(known.person_id))
        if customer is not None:
            return Who(Actor(Role.OWNER, str(customer.id), customer.name), customer.phone)
    if inbound.phone:
        return _owner(uow, inbound.phone)
    return Who(Actor(Role.OWNER, "", ""))


def _staff_name(uow: SqlUnitOfWork, role: Role, person_id: str) -> str:
    if role is Role.TECHNICIAN:
        tech = uow.people.technician(person_id)
        return tech.name if tech else ""
    staff = uow.people.staff(person_id)
    return staff.name if staff else ""
