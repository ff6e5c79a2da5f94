"""微信客服 sessions: the welcome on `enter_session` (with what a scanned code tells us), the
hand-over to a person (转人工) and the one message allowed when a person ends the session.

The welcome_code is good once and for 20 seconds, so the welcome is sent during the pull that
found the event, not through the outbox. A scanned code's facts go into the owner's report
draft, so the owner is asked only for what is still missing.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.bootstrap import Desk
from bot.channels.wecom.client import ApiError, WecomApi
from bot.channels.wecom.inbound import KF
from bot.channels.wecom.scene import Scene, verify
from bot.channels.wecom.settings import WecomSettings
from bot.channels.wecom.state import WecomKeys
from domain.model import Role
from domain.notices import Notice
from domain.ticket import State
from handlers import report
from handlers.base import Inbound, Reply
from handlers.owner import MISREAD

log = logging.getLogger("baoxiu.wecom")

EVENT_SEEN = timedelta(days=3)        # sync_msg keeps 3 days: a page pulled again is within that
HUMAN_LIFE = timedelta(hours=48)      # a session WeCom never reports as ended does not silence us forever
MENU = (("报修", "我要报修"), ("进度", "查进度"), ("转人工", "转人工"))
WELCOME = "您好，我是报修助手，请问需要什么帮助？可直接描述问题，例如「厨房水龙头漏水了」。"
HANDOVER = "好的，正在为您转接人工客服，请稍候。"
NOBODY = "抱歉，现在没有人工客服在线。您可以继续在这里描述问题，我们会尽快处理。"
ASK_FOR_PERSON = re.compile(r"转人工|人工客服|找客服|真人|找人工|转客服|接人工")
MISREADS = 2                          # a second 没看懂 in a row hands the owner to a person
DRAFT_NAMES = {"community": "小区", "building": "楼栋", "unit": "单元", "room": "房号", "product": "产品",
               "product_text": "产品", "description": "描述", "phone": "电话"}
HUMAN = 3                             # kf service_state: 人工接待
SESSION_ENDED = 4                     # session_status_change change_type: 结束会话


@dataclass(frozen=True)
class Welcome:
    text: str
    menu: tuple[tuple[str, str], ...]


def welcome_for(desk: Desk, user: str, scene: Scene | None) -> Welcome:
    """The generic menu, or the unit's own entrance when a genuine code was scanned."""
    if scene is None or not scene.facts():
        return Welcome(WELCOME, MENU)
    question = report.prefill(desk, KF, user, scene.facts())
    product = _product_name(desk, scene.sku)
    where = scene.place() or "本"
    head = f"您好，这里是{where}的报修入口" + (f"（{product}）" if product else "") + "。"
    return Welcome(f"{head}{question or ''}", MENU[1:])


class KfSessions:
    def __init__(self, desk: Desk, api: WecomApi, settings: WecomSettings) -> None:
        self.desk, self.api, self.settings = desk, api, settings

    def on_event(self, event: dict[str, Any], msg_id: str) -> None:
        """A system event pulled from sync_msg; each acted on once."""
        if not self.desk.store.set_if_absent(WecomKeys.kf_event(msg_id), "1", ttl=EVENT_SEEN):
            return
        kind, user = event.get("event_type"), str(event.get("external_userid", ""))
        if kind == "enter_session" and event.get("welcome_code") and user:
            scene = verify(str(event.get("scene_param") or ""), self.settings.scene_key)
            if event.get("scene_param") and scene is None:
                log.warning("wecom kf: a scene_param that is not ours was ignored (scene %s)",
                            str(event.get("scene", ""))[:32])
            self._send_on_event(str(event["welcome_code"]), welcome_for(self.desk, user, scene), msg_id)
        elif kind == "session_status_change" and event.get("change_type") == SESSION_ENDED and user:
            self.desk.store.delete(WecomKeys.kf_human(user))
            ask = self._rating_question(user)
            if ask and event.get("msg_code"):
                self._send_on_event(str(event["msg_code"]), Welcome(ask, ()), msg_id)

    def quiet(self, user: str) -> bool:
        """A person has this session: the bot neither answers nor asks."""
        return self.desk.store.get(WecomKeys.kf_human(user)) is not None

    def steer(self, open_kfid: str, inbound: Inbound) -> bool:
        """True when the message is not the bot's to answer: a person has the session, or the
        owner asks for one (then they are handed over, or told nobody is on duty)."""
        if self.quiet(inbound.sender):
            return True
        if not ASK_FOR_PERSON.search(inbound.text):
            return False
        if not self.hand_over(open_kfid, inbound.sender):
            self._reply(inbound, NOBODY)
        return True

    def after_reply(self, open_kfid: str, inbound: Inbound, replies: list[Reply]) -> None:
        """Count 没看懂 in a row; the third hands the owner to a person."""
        key = WecomKeys.kf_misread(inbound.sender)
        if not any(r.text.startswith(MISREAD) for r in replies):
            self.desk.store.delete(key)
            return
        if self.desk.store.incr(key, ttl=HUMAN_LIFE) >= MISREADS:
            self.desk.store.delete(key)
            if self.hand_over(open_kfid, inbound.sender):
                # WeCom refuses send_msg once a person has the session: the hand-over message
                # replaces this 没看懂, which would otherwise end in the dead letters.
                with self.desk.uow() as uow:
                    for i in range(len(replies)):
                        uow.outbox.withdraw(f"reply:{KF}:{inbound.msg_id}:{i}")
                    uow.commit()

    def hand_over(self, open_kfid: str, user: str) -> bool:
        """Move the session to the first servicer on duty who WeCom accepts; tell the desk."""
        for servicer in self.settings.kf_servicers:
            try:
                    answer = self.api.post("kf", "/cgi-bin/kf/service_state/trans",
                                       {"open_kfid": open_kfid, "external_userid": user, "service_state": HUMAN,
                                        "servicer_userid": servicer})
            except ApiError as e:
                log.warning("wecom kf: hand-over to %s refused (%s)", servicer, e)
                continue
            self.desk.store.set(WecomKeys.kf_human(user), servicer, ttl=HUMAN_LIFE)
            if answer.get("msg_code"):  # send_msg is closed now; the hand-over's own code says so
                self._send_on_event(str(answer["msg_code"]), Welcome(HANDOVER, ()), f"ho{user[-12:]}")
            self._tell_desk(user, servicer)
            return True
        return False

    def _tell_desk(self, user: str, servicer: str) -> None:
        """Every dispatcher, in their own channel: who asked, to whom it went, the draft so far."""
        facts = report.draft_facts(self.desk, KF, user)
        text = (f"微信客服用户（…{user[-6:]}）要求人工服务，已转给接待人员 {servicer}。\n报修草稿："
                + ("；".join(f"{DRAFT_NAMES.get(k, k)}：{v}" for k, v in facts.items()) if facts else "无"))
        now = self.desk.clock()
        with self.desk.uow() as uow:
            for person in uow.people.staff_with_role(Role.DISPATCHER):
                uow.outbox.add(Notice(Role.DISPATCHER, person.id, "handover", text,
                                      f"kf-handover:{user}:{int(now.timestamp())}:{person.id}"), now)
            uow.commit()

    def _rating_question(self, user: str) -> str | None:
        """The owner's latest finished ticket that has no rating yet, asked about once."""
        with self.desk.uow() as uow:
            customer = uow.identities.bound_owner(KF, user)
            if customer is None:
                return None
            done = [t for t in uow.tickets.for_customer(customer, open_only=False)
                    if t.state in (State.RESOLVED, State.CLOSED) and t.rating is None]
        if not done:
            return None
        return f"感谢您的耐心。请为工单 {done[-1].number} 的服务打分：回复 1-5 分（5 分最满意）。"

    def _reply(self, inbound: Inbound, text: str) -> None:
        now = self.desk.clock()
        with self.desk.uow() as uow:
            uow.outbox.add(Notice("reply", "", "reply", text, f"reply:{KF}:{inbound.msg_id}:person",
                                  channel=KF, address=inbound.sender), now)
            uow.commit()

    def _send_on_event(self, code: str, welcome: Welcome, msg_id: str) -> None:
        body: dict[str, Any] = {"code": code, "msgid": ("ev" + re.sub(r"[^0-9a-zA-Z_-]", "", msg_id))[:32]}
        if welcome.menu:
            body.update(msgtype="msgmenu", msgmenu={
                "head_content": welcome.text,
                "list": [{"type": "click", "click": {"id": cmd, "content": label}} for cmd, label in welcome.menu]})
        else:
            body.update(msgtype="text", text={"content": welcome.text})
        try:
            self.api.post("kf", "/cgi-bin/kf/send_msg_on_event", body)
        except ApiError as e:  # the code is spent or stale: nothing else may be sent on it
            log.warning("wecom kf: event message not sent (%s)", e)


def _product_name(desk: Desk, sku: str) -> str:
    if not sku:
        return ""
    with desk.uow() as uow:
        product = uow.catalog.product(sku)
    return product.name if product else ""
