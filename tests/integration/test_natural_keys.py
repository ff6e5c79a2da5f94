"""Rows keyed by a natural key (a customer's phone, a site, a sender, the day's counter) created by
several requests at once: every request succeeds and they all get the one row."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from bot.bootstrap import Desk
from domain.model import Customer, Site
from storage.tables import CustomerRow, IdentityRow, SiteRow
from storage.uow import SqlUnitOfWork
from tests.conftest import FakeClock

RACERS = 4


def race(desk: Desk, work: Callable[[SqlUnitOfWork], Any]) -> list[Any]:
    """`work` in RACERS sessions at once, each committing; what each returned, or what it raised."""
    barrier, results = threading.Barrier(RACERS), [None] * RACERS

    def run(i: int) -> None:
        try:
            with desk.uow() as uow:
                barrier.wait(timeout=30)
                results[i] = work(uow)
                uow.commit()
        except Exception as e:  # the assertion below names it
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def count(desk: Desk, table: Any, *where: Any) -> int:
    with desk.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def test_four_sessions_adding_the_same_new_phone_all_get_the_one_customer(desk: Desk) -> None:
    results = race(desk, lambda uow: uow.people.add_customer(Customer("13712345678", "钱女士")).id)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1 and count(desk, CustomerRow.__table__) == 1


def test_four_sessions_naming_the_same_new_room_share_one_site(desk: Desk) -> None:
    results = race(desk, lambda uow: uow.places.site_for(Site("翠湖花园", "9", "1", "1901", "西湖区")).id)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1 and count(desk, SiteRow.__table__, SiteRow.place_is("翠湖花园", "9", "1", "1901")) == 1


def test_the_first_messages_of_a_new_sender_record_one_identity(desk: Desk, clock: FakeClock) -> None:
    results = race(desk, lambda uow: uow.identities.touch("wecom", "zhangsan", "technician", "T03", clock()))
    assert results == [True] * RACERS
    assert count(desk, IdentityRow.__table__, IdentityRow.external_id == "zhangsan") == 1


def test_the_first_tickets_of_a_day_get_distinct_numbers(desk: Desk) -> None:
    results = race(desk, lambda uow: uow.tickets.next_number("BX", "20261124"))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == [f"BX20261124-{i:04d}" for i in range(1, RACERS + 1)]
