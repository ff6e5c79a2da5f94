"""The ranking dispatch runs in the database agrees with the domain's definition (domain.dispatch.rank)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sqlalchemy import delete, insert, select, update

from bot.bootstrap import Desk
from domain.dispatch import Job, Record, Weights, rank
from domain.model import Technician
from storage import dispatch_query
from storage.importer import import_csv
from domain.ticket import Action, State, Ticket
from storage.tables import CustomerRow, TechnicianRow

NOW = datetime(2026, 11, 23, 2, tzinfo=timezone.utc)
SKILLS = ("plumbing", "lock", "window")
REGIONS = ("西湖区", "滨江区", "余杭区", "上城区")


def roster(rng: random.Random) -> tuple[list[dict], dict[str, int], dict[str, Record]]:  # type: ignore[type-arg]
    rows, loads, records = [], {}, {}
    for i in range(80):
        tid = f"R{i:03d}"
        last = NOW - timedelta(minutes=rng.randint(0, 3000)) if rng.random() > 0.2 else None
        ff, rt = (round(rng.random(), 3), round(rng.uniform(2, 5), 2)) if rng.random() > 0.3 else (None, None)
        rows.append(dict(id=tid, name=f"师傅{i}", skills=rng.sample(SKILLS, 2), regions=rng.sample(REGIONS, 2),
                         capacity=rng.randint(1, 4), on_duty=rng.random() > 0.15, active=rng.random() > 0.05,
                         open_jobs=rng.randint(0, 3), last_offered_at=last, record_first_fix=ff, record_rating=rt))
        loads[tid] = rows[-1]["open_jobs"]
        records[tid] = Record(ff, rt)
    return rows, loads, records


def test_the_database_ranks_as_the_domain_defines_and_counts_who_was_left_out(desk: Desk) -> None:
    rng = random.Random(3)
    rows, loads, records = roster(rng)
    techs = [Technician(r["id"], r["name"], skills=tuple(r["skills"]), regions=tuple(r["regions"]),
                        capacity=r["capacity"], on_duty=r["on_duty"], active=r["active"]) for r in rows]
    last = {r["id"]: r["last_offered_at"] for r in rows if r["last_offered_at"]}
    neighbours = {"西湖区": ("滨江区",)}
    weights = Weights(region=0.4, load=0.25, first_fix=0.15, rating=0.1, fairness=0.1)
    with desk.uow() as uow:
        uow.session.execute(delete(TechnicianRow))
        uow.session.execute(insert(TechnicianRow), rows)
        for skill in SKILLS:
            for region in (*REGIONS, ""):
                job = Job(skill, region, frozenset({"R001", "R002"}))
                expected = rank(techs, job, loads, last, neighbours, records, weights, NOW, limit=8)
                got = dispatch_query.candidates(uow.session, job, neighbours, weights, NOW, 8)
                # Same order; equal to float noise (PostgreSQL's interval arithmetic is not Python's).
                assert [c.tech.id for c in got] == [c.tech.id for c in expected], ([(c.tech.id, round(c.score, 5)) for c in got], [(c.tech.id, round(c.score, 5)) for c in expected])
                assert all(abs(a.score - b.score) < 1e-6 for a, b in zip(got, expected))
                out = dispatch_query.exclusions(uow.session, job)
                skilled = [t for t in techs if skill in t.skills]
                assert out.counts.get("不在岗", 0) == sum(1 for t in skilled if t.active and not t.on_duty)
                assert out.counts.get("已停用", 0) == sum(1 for t in skilled if not t.active)
                assert out.counts[f"无{skill}技能"] == len(techs) - len(skilled)


def _chosen(uow, job: Job) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    return [(c.tech.id, dict(c.parts)["region"])
            for c in dispatch_query.candidates(uow.session, job, {}, Weights(), NOW, 10)]


def test_whatever_writes_the_roster_dispatch_sees_it_in_the_same_transaction(desk: Desk, tmp_path: Path) -> None:
    """Skills, regions, duty and load reach the indexed choice however they are written:
    the roster port, a plain UPDATE, the CSV import, a delete."""
    job = Job("glazing", "西湖区")
    with desk.uow() as uow:
        uow.people.save_technician(Technician("X1", "甲", skills=("glazing",), regions=("西湖区",), capacity=1))
        uow.people.save_technician(Technician("X2", "乙", skills=("glazing", "lock"), regions=("滨江区",), capacity=2))
        assert _chosen(uow, job) == [("X1", 1.0), ("X2", 0.0)]

        uow.people.save_technician(Technician("X1", "甲", skills=("lock",), regions=("西湖区",), capacity=1))
        assert _chosen(uow, job) == [("X2", 0.0)]
        everyone = len(uow.people.technicians())
        assert dispatch_query.exclusions(uow.session, job).counts == {"无glazing技能": everyone - 1}

        uow.session.execute(update(TechnicianRow).where(TechnicianRow.id == "X2").values(regions=["西湖区"]))
        assert _chosen(uow, job) == [("X2", 1.0)]

        uow.session.execute(update(TechnicianRow).where(TechnicianRow.id == "X2").values(on_duty=False))
        assert _chosen(uow, job) == []
        out = dispatch_query.exclusions(uow.session, job)
        assert (out.counts["不在岗"], out.examples["不在岗"]) == (1, ("X2 乙",))

        uow.session.execute(update(TechnicianRow).where(TechnicianRow.id == "X2").values(on_duty=True, open_jobs=2))
        assert _chosen(uow, job) == []
        assert dispatch_query.exclusions(uow.session, job).counts["工单已满"] == 1
        uow.session.execute(update(TechnicianRow).where(TechnicianRow.id == "X2").values(capacity=3))
        assert _chosen(uow, job) == [("X2", 1.0)]

        csv = tmp_path / "technicians.csv"
        csv.write_text("id,name,phone,skills,regions,capacity,wecom_userid,dingtalk_userid\n"
                       "X1,甲,13900000199,glazing|lock,余杭区,2,,\n", encoding="utf-8")
        import_csv(uow.session, "technicians", csv)
        assert _chosen(uow, job) == [("X2", 1.0), ("X1", 0.0)]

        uow.session.execute(delete(TechnicianRow).where(TechnicianRow.id == "X2"))
        assert _chosen(uow, job) == [("X1", 0.0)]
        assert dispatch_query.exclusions(uow.session, job).counts == {"无glazing技能": everyone - 2}


def _roster_row(uow, tech_id: str) -> tuple[int, datetime | None]:  # type: ignore[no-untyped-def]
    row = uow.session.execute(select(TechnicianRow.open_jobs, TechnicianRow.last_offered_at)
                              .where(TechnicianRow.id == tech_id)).one()
    return row.open_jobs, row.last_offered_at


def test_an_offer_marks_the_technician_offered_and_adds_the_job_to_their_load(desk: Desk) -> None:
    """The offered mark rides on the save's load step; it is still written when the save moves no
    load to that technician, and a mark from a rolled-back transaction is never written."""
    later = NOW + timedelta(hours=1)
    with desk.uow() as uow:
        uow.people.save_technician(Technician("Y1", "丙", skills=("glazing",), regions=("西湖区",), capacity=3))
        uow.people.save_technician(Technician("Y2", "丁", skills=("glazing",), regions=("西湖区",), capacity=3))
        ticket = Ticket(number="BXMARK-1", type="repair", priority="normal", description="窗坏了", customer_id=1,
                        created_at=NOW, state=State.ASSIGNED, assignee_id="Y1")
        uow.session.execute(insert(CustomerRow).values(id=1, phone="13800138000", name="", created_at=NOW))
        uow.people.mark_offered("Y1", NOW)
        uow.tickets.save(ticket)
        assert _roster_row(uow, "Y1") == (1, NOW)

        uow.people.mark_offered("Y1", later)   # offered again, the load unchanged
        uow.tickets.save(ticket)
        assert _roster_row(uow, "Y1") == (1, later)

        uow.people.mark_offered("Y2", later)   # the mark is read before any save writes it
        assert uow.people.last_offered()["Y2"] == later
        uow.commit()

        uow.people.mark_offered("Y1", later + timedelta(hours=1))
        uow.rollback()
        ticket = uow.tickets.get("BXMARK-1")
        assert ticket is not None
        uow.tickets.save(ticket)
        assert _roster_row(uow, "Y1") == (1, later)


def _glaziers(full: tuple[str, ...], winner_capacity: int) -> list[dict]:  # type: ignore[type-arg]
    """G3 is the clear choice (idle); those in `full` have no room; the rest have some."""
    ids = sorted({"G3", "G8", *full})
    return [dict(id=tid, name=f"窗{tid}", skills=["glazing"], regions=["西湖区"], on_duty=True, active=True,
                 capacity=winner_capacity if tid == "G3" else 4,
                 open_jobs=4 if tid in full else (0 if tid == "G3" else 1))
            for tid in ids]


@pytest.mark.parametrize("full", [(), ("G1", "G5"), ("G1", "G2", "G4", "G5"), ("G0", "G1", "G2")])
@pytest.mark.parametrize("winner_capacity", [1, 2])
def test_who_was_left_out_counts_the_chosen_one_as_the_offer_left_them(
        desk: Desk, full: tuple[str, ...], winner_capacity: int) -> None:
    """Dispatch logs who was left out after the offer: the chosen one is full now when the job took
    their last slot."""
    job = Job("glazing", "西湖区")
    with desk.uow() as uow:
        uow.session.execute(delete(TechnicianRow))
        uow.session.execute(insert(TechnicianRow), _glaziers(full, winner_capacity))
        uow.session.execute(insert(CustomerRow).values(id=1, phone="13800138000", name="", created_at=NOW))
        ranked = dispatch_query.candidates(uow.session, job, {}, Weights(), NOW, 10)
        assert ranked[0].tech.id == "G3"
        uow.people.mark_offered("G3", NOW)
        uow.tickets.save(Ticket(number="BXOUT-1", type="repair", priority="normal", description="窗坏了",
                                customer_id=1, created_at=NOW, state=State.ASSIGNED, assignee_id="G3"))
        read_after = dispatch_query.exclusions(uow.session, job)
        assert read_after.counts.get("工单已满", 0) == len(full) + (winner_capacity == 1)


def test_a_new_ticket_is_written_with_its_trail_in_order_and_its_technician_load(desk: Desk) -> None:
    """A new ticket, its audit entries and its technician's load step go in together (one statement
    on PostgreSQL): the trail reads back in the order it happened, and the load counts the job."""
    with desk.uow() as uow:
        uow.people.save_technician(Technician("Z1", "戊", skills=("glazing",), regions=("西湖区",), capacity=3))
        uow.session.execute(insert(CustomerRow).values(id=1, phone="13800138000", name="", created_at=NOW))
        ticket = Ticket(number="BXTRAIL-1", type="repair", priority="normal", description="窗坏了", customer_id=1,
                        created_at=NOW)
        ticket.record("open", "owner:1", NOW, "")
        ticket.apply(Action.OFFER, "系统", NOW, "Z1")
        ticket.record("note", "系统", NOW + timedelta(seconds=1), "第三条")
        ticket.assignee_id = "Z1"
        uow.people.mark_offered("Z1", NOW)
        uow.tickets.save(ticket)
        assert ticket.id is not None
        assert [e.action for e in uow.tickets.trail(ticket.id)] == ["open", "offer", "note"]
        assert _roster_row(uow, "Z1") == (1, NOW)
