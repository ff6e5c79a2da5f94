"""A token the platform revokes before its stated expiry: dropped, fetched again once, the send
made again at once; a second refusal waits for the outbox's backoff (issue 12, 5)."""
from __future__ import annotations

from fastapi.testclient import TestClient

from bot.bootstrap import Desk
from scheduler.jobs import tick
from tests.conftest import FakeClock
from tests.e2e.test_dingtalk_http import MANAGER, client, fake, post, say  # noqa: F401  (fixtures)
from tests.e2e.test_wecom_revoked_token import reply_row
from tests.fakes.dingtalk import FakeDingtalk


def test_a_dingtalk_401_without_a_body_is_a_refused_token_not_a_dead_letter(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    say(client, fake, "帮助", sender=MANAGER, group=None)
    clock.advance(hours=2)                                   # the sessionWebhook has expired
    post(client, fake, fake.message("帮助", sender=MANAGER, webhook_minutes=1))   # a token in use
    fake.revoke_tokens(bare=True)
    fetches = fake.token_fetches
    post(client, fake, fake.message("帮助", sender=MANAGER, webhook_minutes=1))
    assert fake.token_fetches == fetches + 1 and fake.to(MANAGER)[-1].via == "batch"
    row = reply_row(desk)
    assert row.status == "sent" and row.attempts == 1   # the first try


def test_a_dingtalk_token_refused_twice_waits_for_the_backoff_then_goes(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    say(client, fake, "帮助", sender=MANAGER, group=None)
    clock.advance(hours=2)
    post(client, fake, fake.message("帮助", sender=MANAGER, webhook_minutes=1))   # a token in use
    fake.revoke_tokens()
    fetches = fake.token_fetches
    refusals = {"left": 1}
    issue = fake._token

    def refused_twice(body):  # type: ignore[no-untyped-def]
        status, answer = issue(body)
        if refusals["left"]:
            refusals["left"] -= 1
            fake.tokens.clear()                               # revoked again as soon as it is issued
        return status, answer

    fake._token = refused_twice  # type: ignore[method-assign]
    post(client, fake, fake.message("帮助", sender=MANAGER, webhook_minutes=1))
    row = reply_row(desk)
    assert row.status == "pending" and row.attempts == 1 and "401" in row.last_error
    assert len(fake.to(MANAGER)) == 2 and fake.token_fetches == fetches + 1   # one refetch, no loop
    tick(desk, client.app.state.edges.outlets, clock())
    assert len(fake.to(MANAGER)) == 2                          # not before the backoff is over
    clock.advance(seconds=desk.settings.outbox.backoff_seconds + 1)
    tick(desk, client.app.state.edges.outlets, clock())
    assert fake.to(MANAGER)[-1].via == "batch" and reply_row(desk).status == "sent"
