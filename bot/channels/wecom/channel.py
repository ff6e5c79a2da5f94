"""WeCom: the self-built app for staff ("wecom", by UserID) and 微信客服 for owners ("wecom_kf").

A callback does only database work on the request path (dedup, the handler, the outbox);
sending, card sweeps, kf pulls and media downloads run after the answer: on the worker loop when
the scheduler runs in this process (`later`), else as the request's background tasks, and ticks.
"""
from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import Response

from bot.bootstrap import Desk
from bot.channels.wecom.cards import BUTTON_CHARS, TEXT_BYTES, cut_bytes, cut_chars
from bot.channels.wecom.client import WecomApi
from bot.channels.wecom.crypto import CallbackCrypto, cdata
from bot.channels.wecom.inbound import APP, KF, KF_MEDIA, Parsed, parse_app
from bot.channels.wecom.kf import KfSync
from bot.channels.wecom.routes import LogGate, make_router
from bot.channels.wecom.send import AppSender, KfSender
from bot.channels.wecom.session import KfSessions
from bot.channels.wecom.settings import WecomSettings
from bot.channels.wecom.state import CardBook, KfWindow, Pacer
from domain.model import Role
from domain.notices import Notice, button_label
from domain.ticket import State
from handlers import commands
from handlers.base import Reply
from handlers.router import handle_and_queue, handle_answering, handle_into_outbox
from scheduler.outbound import Hooks, Sender
from scheduler.wake import Job


EMPTY = 200
DIGEST_HEAD = "您好，这段时间您的工单有以下进展："
DIGEST_BYTES = 1900   # under send_msg's 2048 bytes with room for a menu
OFFER_LABELS = frozenset({"已接单", "已拒单", "已失效"})


def build(desk: Desk, hooks: Hooks, settings: WecomSettings) -> WecomChannel:
    return WecomChannel(desk, hooks, settings)


class WecomChannel:
    name = "wecom"

    def __init__(self, desk: Desk, hooks: Hooks, settings: WecomSettings) -> None:
        s = settings
        self.desk, self.settings = desk, s
        self.deliver_now, self.later = hooks.deliver_now, hooks.later
        self.api = WecomApi(s, desk.store, desk.clock)
        self.crypto = CallbackCrypto(s.token, s.encoding_aes_key, s.corp_id, s.timestamp_window)
        self.book = CardBook(desk.store)
        self.window = KfWindow(desk.uow, desk.clock)
        self.app = AppSender(self.api, s, self.book, Pacer(desk.store, desk.clock))
        self.kf = KfSender(self.api, s, self.window)
        self.sessions = KfSessions(desk, self.api, s)
        self.kf_sync = KfSync(desk, self.api, self.window, self.queue)
        self.senders: dict[str, Sender] = {"wecom": self.app, "wecom_kf": self.kf}
        self.router: APIRouter | None = make_router(self, desk.clock)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.api.close()

    # --- on the request path: database only ------------------------------------------

    def on_callback(self, msg: dict[str, str], gate: LogGate) -> tuple[Response, list[Callable[[], None]]]:
        parsed = parse_app(msg)
        if parsed.kind == "kf_event":
            account = parsed.open_kfid or self.settings.kf_open_kfid
            if not account:
                gate.note("ignored: kf event without an account")
                return Response(status_code=EMPTY), []
            self.kf_sync.pending.note(account, parsed.token)  # durable before the answer: retried if it fails
            return Response(status_code=EMPTY), self._after_answer(lambda: self.pull_kf(account))
        if parsed.kind == "ignored" or parsed.inbound is None:
            gate.note(f"ignored: {parsed.detail}")
            return Response(status_code=EMPTY), []
        inbound = parsed.inbound
        if parsed.kind == "card_click":
            reply = self.crypto.seal(self._button_reply(inbound.sender, self.click(parsed)), self._now())
            return (Response(reply, media_type="application/xml"),
                    self._after_answer(lambda: self.sweep(inbound.sender), deliver=True))
        answer = self.queue(parsed)
        response = Response(status_code=EMPTY) if answer is None else \
            Response(self.crypto.seal(self._text_reply(inbound.sender, answer), self._now()), media_type="application/xml")
        # Answered in the callback, the handling queued nothing: no delivery pass, unless a photo came.
        return response, self._after_answer(lambda: self.sweep(inbound.sender), deliver=answer is None or bool(inbound.media),
                                            media=bool(inbound.media))

    def _after_answer(self, job: Job, deliver: bool = False, media: bool = False) -> list[Job]:
        """On the worker loop if there is one here (then woken at once); else as background tasks."""
        if self.later(job):
            if deliver:
                self.deliver_now(fetch_media=media)
            return []
        return [self.deliver, job] if deliver else [job]

    def queue(self, parsed: Parsed) -> Reply | None:
        """The handler's replies go to the outbox, keyed by the platform's message id; an app
        member's only reply comes back instead, for the callback's answer (a passive reply)."""
        if parsed.kind == "kf_system":
            self.sessions.on_event(parsed.event or {}, parsed.msg_id)
            return None
        inbound = parsed.inbound
        assert inbound is not None
        account = ""
        if inbound.channel == KF:
            account = self.window.account(inbound.sender) or self.settings.kf_open_kfid
            if self.sessions.steer(account, inbound):
                return None
            self._digest(inbound.sender)
        if parsed.kind == "voice":
            self._reply_only(inbound.channel, inbound.sender, inbound.text, inbound.msg_id or "")
            return None
        if inbound.channel != KF:
            return handle_answering(self.desk, inbound)
        self.sessions.after_reply(account, inbound, handle_into_outbox(self.desk, inbound))
        return None

    def click(self, parsed: Parsed) -> str:
        """Run the pressed button's command; the label the clicked button turns into."""
        inbound = parsed.inbound
        assert inbound is not None
        handle_and_queue(self.desk, inbound)
        number = _number(inbound.text, self.desk.rules.number_prefix)
        if number is None:
            return cut_chars("已选" + button_label(inbound.text), BUTTON_CHARS)
        self.book.clicked(number, inbound.sender, parsed.response_code)
        label = self._outcome(inbound.sender, inbound.text, number)
        if label in OFFER_LABELS:
            self.book.close(number, inbound.sender)
        return label

    # --- after the answer --------------------------------------------------------------

    def deliver(self) -> None:
        """Send what is due now instead of at the next tick; fetch photos that came in."""
        self.deliver_now(fetch_media=True)

    def pull_kf(self, open_kfid: str) -> None:
        if self.kf_sync.retry(open_kfid):
            self.deliver()

    def on_tick(self) -> int:
        """The scheduler's share: 微信客服 pulls that failed earlier, once their backoff is over."""
        return self.kf_sync.retry_due()

    def sweep(self, user: str) -> None:
        """Offer cards whose job moved on (accepted by text, expired, …) stop showing live buttons."""
        numbers = self.book.open_tickets(user)
        if not numbers:  # owners never have cards: no second identity lookup for them
            return
        tech = self._technician(APP, user)
        if tech is None:
            return
        for number in numbers:
            with self.desk.uow() as uow:
                ticket = uow.tickets.get(number)
            if ticket is not None and ticket.state is State.ASSIGNED and ticket.assignee_id == tech:
                continue
            mine = ticket is not None and ticket.assignee_id == tech
            self.app.update_card(number, user, "已接单" if mine else "已失效")

    def fetch_media(self, ref: str) -> bytes:
        if ref.startswith(KF_MEDIA):
            return self.api.media("kf", ref[len(KF_MEDIA):])
        return self.api.media("app", ref)

    # --- helpers -------------------------------------------------------------------------

    def _outcome(self, user: str, text: str, number: str) -> str:
        cmd = commands.parse(text, self.desk.rules.number_prefix)
        if cmd is None or cmd.verb not in ("accept", "reject"):
            return cut_chars("已选" + button_label(text), BUTTON_CHARS)
        tech = self._technician(APP, user)
        with self.desk.uow() as uow:
            ticket = uow.tickets.get(number)
        if ticket is None or tech is None:
            return "已失效"
        if cmd.verb == "accept" and ticket.assignee_id == tech and ticket.state is not State.ASSIGNED:
            return "已接单"
        if cmd.verb == "reject" and tech in ticket.declined:
            return "已拒单"
        return "已失效"

    def _technician(self, channel: str, user: str) -> str | None:
        if channel != APP:
            return None
        with self.desk.uow() as uow:
            who = uow.identities.staff_by_platform(APP, user)
        return who[1] if who and who[0] == Role.TECHNICIAN else None

    def _digest(self, user: str) -> None:
        """The owner wrote again: what waited for the window goes as one message, not one each."""
        with self.desk.uow() as uow:
            owner = uow.identities.bound_owner(KF, user)
            if owner is not None and uow.outbox.merge_held(Role.OWNER, str(owner), self.desk.clock(),
                                                           DIGEST_HEAD, DIGEST_BYTES):
                uow.commit()

    def _reply_only(self, channel: str, user: str, text: str, msg_id: str) -> None:
        """A reply that needs no handler (voice); the key makes a retried callback queue nothing."""
        with self.desk.uow() as uow:
            uow.outbox.add(Notice("reply", "", "reply", text, f"reply:{channel}:{msg_id}:voice",
                                  channel=channel, address=user), self.desk.clock())
            uow.commit()

    def _button_reply(self, user: str, label: str) -> str:
        return self._passive(user, "update_button", f"<Button><ReplaceName>{cdata(label)}</ReplaceName></Button>")

    def _text_reply(self, user: str, reply: Reply) -> str:
        """A passive text reply: what the send API would have carried (the same cut to 2,048 bytes)."""
        return self._passive(user, "text", f"<Content>{cdata(cut_bytes(reply.text, TEXT_BYTES))}</Content>")

    def _passive(self, user: str, msg_type: str, body: str) -> str:
        return (f"<xml><ToUserName>{cdata(user)}</ToUserName><FromUserName>{cdata(self.settings.corp_id)}"
                f"</FromUserName><CreateTime>{self._now()}</CreateTime><MsgType>{cdata(msg_type)}</MsgType>"
                f"{body}</xml>")

    def _now(self) -> str:
        return str(int(self.desk.clock().timestamp()))


def _number(text: str, prefix: str) -> str | None:
    match = commands.number_pattern(prefix).search(text)
    return match.group(0).upper() if match else None
