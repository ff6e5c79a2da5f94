"""绑定: knowing an address is not enough to take over a customer's records."""
from __future__ import annotations

from handlers.base import Inbound
from handlers.router import handle
from tests.conftest import Chat, FakeClock
from tests.handlers.test_customer_parts import seed

ADDRESS = "翠湖花园3栋2单元501"


def speaker(chat: Chat, sender: str):  # type: ignore[no-untyped-def]
    def say(text: str) -> str:
        return "\n".join(r.text for r in handle(chat.desk, Inbound("wecom_kf", sender, text)))
    return say


def test_three_wrong_answers_lock_the_sender_out_for_an_hour(chat: Chat, clock: FakeClock) -> None:
    seed(chat.desk)
    say = speaker(chat, "wx-guesser")
    say("绑定")
    for text in (ADDRESS, "0000", "1111"):
        assert "8000" not in say(text)
    assert "次数过多" in say("2222")
    say("绑定")  # starting again does not give three fresh guesses
    assert "次数过多" in say("绑定") and "次数过多" in say("绑定")
    with chat.desk.uow() as uow:
        assert uow.identities.bound_owner("wecom_kf", "wx-guesser") is None
    clock.advance(hours=1, minutes=1)
    assert "登记的安装地址" in say("绑定")
    say(ADDRESS)
    assert "绑定成功" in say("8000")


def test_many_accounts_guessing_one_customer_are_stopped_too(chat: Chat) -> None:
    seed(chat.desk)
    for n in range(3):
        say = speaker(chat, f"wx-bot-{n}")
        say("绑定")
        say(ADDRESS)
        say("0000")
        say("1111")
    say = speaker(chat, "wx-bot-9")
    say("绑定")
    assert "次数过多" in say(ADDRESS)


def test_a_chat_bound_to_one_customer_is_not_silently_bound_to_another(chat: Chat) -> None:
    seed(chat.desk)
    say = speaker(chat, "wx-ext-2")
    say("绑定")
    say(ADDRESS)
    assert "绑定成功" in say("8000")
    answer = say("绑定")
    assert "已绑定" in answer and "138****8000" in answer and "联系客服" in answer
    # a report with someone else's typed number does not move this chat to that customer
    say("马桶漏水了，滨江壹号2栋1单元1203，电话13700137000")
    say("确认")
    with chat.desk.uow() as uow:
        assert uow.identities.bound_owner("wecom_kf", "wx-ext-2") == 50


def test_an_owner_identity_moves_to_another_customer_only_on_a_vouched_phone(chat: Chat) -> None:
    seed(chat.desk)
    with chat.desk.uow() as uow:
        ids = uow.identities
        assert ids.touch("wecom_kf", "wx-9", "owner", "50", chat.desk.clock())
        assert not ids.touch("wecom_kf", "wx-9", "owner", "51", chat.desk.clock())
        assert ids.bound_owner("wecom_kf", "wx-9") == 50
        assert ids.touch("wecom_kf", "wx-9", "owner", "51", chat.desk.clock(), rebind=True)
        assert ids.bound_owner("wecom_kf", "wx-9") == 51
