"""Interactive cards (互动卡片) for messages with buttons, when a card template is configured.

The template (built once in DingTalk's card designer) takes four string parameters:
`title`, `markdown`, `status` (empty while the buttons are live) and `buttons`, a JSON list of
`{"text": label, "command": command text}`; each button's callback should carry its `command`
in the action params. Clicks come back over the Stream connection (callbackType STREAM) and run
the same command as if the person had typed it. A card is closed (status set, buttons gone,
for everyone who sees it) once it has been answered or the job has gone elsewhere.

Each card is recorded in the database (`dingtalk_cards`) before it is created: its address,
ticket and buttons by outTrackId, so a click is only honoured for a button the card really had,
and a restart forgets neither the clicks nor which card to close.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot import safe_json
from bot.bootstrap import Desk
from bot.channels.dingtalk.client import ApiError, DingtalkClient
from bot.channels.dingtalk.send import Address
from domain.notices import button_label
from scheduler.outbound import Outgoing
from storage.tables import DingtalkCardRow

log = logging.getLogger("baoxiu.dingtalk")
# (unverified) how createAndDeliver refuses an outTrackId it has already delivered.
_DUPLICATE_MARKERS = ("duplicate", "exist", "repeat")


@dataclass(frozen=True)
class Click:
    user_id: str
    command: str
    reply_to: str        # the chat the card is in
    out_track_id: str
    ticket: str          # the ticket the card is about, "" for none


def track_id(key: str) -> str:
    """The card's outTrackId derives from the notice key, so a retry reuses it."""
    return "bx" + hashlib.sha256(key.encode()).hexdigest()[:40]


class CardBook:
    def __init__(self, desk: Desk, client: DingtalkClient, template_id: str) -> None:
        self.desk, self.client, self.template_id = desk, client, template_id

    def deliver(self, address: str, message: Outgoing) -> None:
        """Record the card, then create and deliver it.

        Recorded first: a card DingTalk shows is always one we know. If DingTalk took the card
        but its answer was lost, the retry's "duplicate" means it is there: delivered."""
        to = Address.parse(address)
        out_track_id = track_id(message.key)
        self._remember(out_track_id, address, message)
        params = {"title": message.text.splitlines()[0][:40] if message.text else "报修", "status": "",
                  "markdown": "  \n".join(message.text.splitlines()), "buttons": _buttons(message.buttons)}
        create_and_deliver(self.client, self._create_body(to, out_track_id, params))

    def click(self, data: dict[str, Any]) -> Click | None:
        """A card callback naming one of the card's own buttons, else None."""
        out_track_id, user_id = data.get("outTrackId"), data.get("userId")
        if not isinstance(out_track_id, str) or not isinstance(user_id, str) or not out_track_id or not user_id \
                or len(out_track_id) > 64:
            return None
        command = _command(data.get("content"))
        if command is None:
            return None
        with self.desk.uow() as uow:
            row = uow.session.get(DingtalkCardRow, out_track_id)
            if row is None or command not in row.buttons:
                return None
            return Click(user_id, command, row.address, out_track_id, row.ticket_number)

    def close(self, out_track_id: str, status: str) -> None:
        """Best effort: a card left open only offers buttons the handlers will refuse politely."""
        body = {"outTrackId": out_track_id, "cardUpdateOptions": {"updateCardDataByKey": True},
                "cardData": {"cardParamMap": {"status": status[:100], "buttons": "[]"}}}
        try:
            self.client.call("PUT", "/v1.0/card/instances", body)
        except ApiError as e:
            log.warning("card %s not updated: %s", out_track_id, e)

    def close_for(self, ticket_number: str, address: str, status: str) -> None:
        """Close every card this chat was sent about the ticket (an offer, a reminder)."""
        with self.desk.uow() as uow:
            ids = list(uow.session.scalars(select(DingtalkCardRow.out_track_id).where(
                DingtalkCardRow.ticket_number == ticket_number, DingtalkCardRow.address == address)))
        for out_track_id in ids:
            self.close(out_track_id, status)

    def _remember(self, out_track_id: str, address: str, message: Outgoing) -> None:
        with self.desk.uow() as uow:
            if uow.session.get(DingtalkCardRow, out_track_id) is None:
                uow.session.add(DingtalkCardRow(out_track_id=out_track_id, address=address[:128],
                                                ticket_number=message.ticket_number or "",
                                                buttons=list(message.buttons), created_at=self.desk.clock()))
                uow.commit()

    def _create_body(self, to: Address, out_track_id: str, params: dict[str, str]) -> dict[str, Any]:
        return card_body(self.template_id, self.client.robot_code, to, out_track_id, params)


def create_and_deliver(client: DingtalkClient, body: dict[str, Any]) -> None:
    """If DingTalk took the card but its answer was lost, the retry's "duplicate" means it is there."""
    try:
        answer = client.call("POST", "/v1.0/card/instances/createAndDeliver", body)
    except ApiError as e:
        if duplicate(e):
            log.info("card %s was already delivered", body["outTrackId"])
            return
        raise
    failed = [r for r in (answer.get("result") or {}).get("deliverResults") or [] if not r.get("success")]
    if failed:
        raise ApiError(f"card not delivered: {str(failed[0].get('errorMsg', ''))[:80]}", retry=False)


def card_body(template_id: str, robot_code: str, to: Address, out_track_id: str,
              params: dict[str, str]) -> dict[str, Any]:
    """createAndDeliver's body: the card into a group, or into the person's chat with the robot."""
    body: dict[str, Any] = {
        "cardTemplateId": template_id, "outTrackId": out_track_id, "callbackType": "STREAM",
        "cardData": {"cardParamMap": params},
        "imGroupOpenSpaceModel": {"supportForward": False}, "imRobotOpenSpaceModel": {"supportForward": False}}
    if to.group:
        body["openSpaceId"] = f"dtv1.card//IM_GROUP.{to.group}"
        body["imGroupOpenDeliverModel"] = {"robotCode": robot_code}
    else:
        body["openSpaceId"] = f"dtv1.card//IM_ROBOT.{to.user}"
        body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT", "robotCode": robot_code}
    return body


def duplicate(error: ApiError) -> bool:
    code = error.code.lower()
    return "outtrackid" in code and any(m in code for m in _DUPLICATE_MARKERS)


def _buttons(commands: tuple[str, ...]) -> str:
    return json.dumps([{"text": button_label(c), "command": c} for c in commands], ensure_ascii=False)


def _command(content: object) -> str | None:
    """content is a JSON string: {"cardPrivateData": {"actionIds": [...], "params": {"command": ...}}}."""
    if not isinstance(content, str):
        return None
    try:
        private = safe_json.loads(content).get("cardPrivateData") or {}
        command = (private.get("params") or {}).get("command")
    except (ValueError, AttributeError):
        return None
    return command if isinstance(command, str) and command.strip() else None
