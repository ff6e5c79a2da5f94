"""The service ticket: its states, the one transition table, and its audit trail."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class State(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


LABELS: dict[State, str] = {
    State.NEW: "待受理",
    State.ASSIGNED: "已派单",
    State.ACCEPTED: "已接单",
    State.IN_PROGRESS: "处理中",
    State.WAITING: "挂起",
    State.RESOLVED: "待确认",
    State.CLOSED: "已完成",
    State.CANCELLED: "已取消",
}

OPEN_STATES = frozenset(State) - {State.CLOSED, State.CANCELLED}


class Action(StrEnum):
    OFFER = "offer"            # dispatch offers the job to a technician
    ASSIGN = "assign"          # a dispatcher assigns or reassigns by hand
    ACCEPT = "accept"
    REJECT = "reject"
    EXPIRE = "expire"          # the offer timed out
    ARRIVE = "arrive"
    HOLD = "hold"
    RESUME = "resume"
    RESOLVE = "resolve"
    CONFIRM = "confirm"        # the owner confirms the repair
    REOPEN = "reopen"          # the owner says it is not fixed: a repeat repair
    AUTO_CLOSE = "auto_close"  # survey window over without an answer
    CANCEL = "cancel"
    HAND_BACK = "hand_back"    # the technician gives the job back: it waits for dispatch again
    PARK = "park"              # joined an incident: waits for the one job on the cause, not dispatched itself
    SETTLE = "settle"          # the incident's cause was fixed: the owner is asked to confirm like any repair


_S = State
# action -> (states it may start from, state it leads to); None means "back to
# the state the ticket was in before it was put on hold".
TRANSITIONS: dict[Action, tuple[frozenset[State], State | None]] = {
    Action.OFFER: (frozenset({_S.NEW}), _S.ASSIGNED),
    Action.ASSIGN: (frozenset({_S.NEW, _S.ASSIGNED, _S.ACCEPTED, _S.IN_PROGRESS, _S.WAITING}), _S.ASSIGNED),
    Action.ACCEPT: (frozenset({_S.ASSIGNED}), _S.ACCEPTED),
    Action.REJECT: (frozenset({_S.ASSIGNED}), _S.NEW),
    Action.EXPIRE: (frozenset({_S.ASSIGNED}), _S.NEW),
    Action.ARRIVE: (frozenset({_S.ACCEPTED}), _S.IN_PROGRESS),
    Action.HOLD: (frozenset({_S.ACCEPTED, _S.IN_PROGRESS}), _S.WAITING),
    Action.RESUME: (frozenset({_S.WAITING}), None),
    Action.RESOLVE: (frozenset({_S.IN_PROGRESS}), _S.RESOLVED),
    Action.CONFIRM: (frozenset({_S.RESOLVED}), _S.CLOSED),
    # a closed ticket reopens only within the rating window (the handler checks the window)
    Action.REOPEN: (frozenset({_S.RESOLVED, _S.CLOSED}), _S.ACCEPTED),
    Action.AUTO_CLOSE: (frozenset({_S.RESOLVED}), _S.CLOSED),
    Action.CANCEL: (frozenset({_S.NEW, _S.ASSIGNED, _S.ACCEPTED, _S.WAITING}), _S.CANCELLED),
    Action.HAND_BACK: (frozenset({_S.ACCEPTED, _S.IN_PROGRESS, _S.WAITING}), _S.NEW),
    Action.PARK: (frozenset({_S.NEW, _S.ASSIGNED, _S.ACCEPTED}), _S.WAITING),
    Action.SETTLE: (frozenset({_S.WAITING}), _S.RESOLVED),
}


class TransitionError(Exception):
    """An action the ticket's current state does not allow."""

    def __init__(self, number: str, state: State, action: Action) -> None:
        super().__init__(f"{number}: {action} not allowed in {state}")
        self.state = state
        self.action = action


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit trail: who did what, when, from which state to which, and why."""

    at: datetime
    actor: str
    action: str
    from_state: State
    to_state: State
    reason: str = ""


@dataclass
class Ticket:
    number: str
    type: str
    priority: str
    description: str
    customer_id: int
    created_at: datetime
    site_id: int | None = None
    product_sku: str | None = None
    asset_serial: str | None = None
    state: State = State.NEW
    assignee_id: str | None = None
    offer_expires_at: datetime | None = None
    declined: list[str] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)
    appointment_start: datetime | None = None
    appointment_end: datetime | None = None
    accept_by: datetime | None = None
    arrive_by: datetime | None = None
    resolve_by: datetime | None = None
    accepted_at: datetime | None = None
    arrived_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    held_from: State | None = None
    held_at: datetime | None = None
    hold_reason: str = ""
    resolution_note: str = ""
    parts_used: str = ""
    rating: int | None = None
    rating_comment: str = ""
    urge_count: int = 0
    reopen_count: int = 0
    hold_count: int = 0
    asset_id: int | None = None
    warranty: str = "unknown"                             # in, expired, unknown
    labour_cents: int = 0
    parts_cents: int = 0
    charge_cents: int = 0                                 # what the customer pays (0 in warranty)
    offered: list[str] = field(default_factory=list)      # grab mode: everyone the job was posted to
    next_due_at: datetime | None = None                   # the next SLA timer (None while paused)
    sla_fired: list[str] = field(default_factory=list)    # "kind:stage" of timers already fired
    breaches: list[str] = field(default_factory=list)     # kinds whose deadline was missed
    followup_at: datetime | None = None                   # next survey step (reminder, auto-close)
    followup_stage: str = ""
    pauses: list[tuple[datetime, datetime]] = field(default_factory=list)  # closed waiting spans
    accept_from: datetime | None = None                   # acceptance clock start (reassigned: then)
    callback_state: str = ""                              # low rating follow-up: "", "open", "done"
    callback_note: str = ""
    id: int | None = None
    trail: list[AuditEntry] = field(default_factory=list)   # entries added since load

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def can(self, action: Action) -> bool:
        return self.state in TRANSITIONS[action][0]

    def apply(self, action: Action, actor: str, now: datetime, reason: str = "") -> None:
        """Move along the transition table, or raise; every move is recorded."""
        sources, target = TRANSITIONS[action]
        if self.state not in sources:
            raise TransitionError(self.number, self.state, action)
        if target is None:
            target = self.held_from or State.ACCEPTED
        if target is State.WAITING:
            self.held_from, self.held_at = self.state, now
            self.hold_count += 1
        elif self.state is State.WAITING:
            # Every way out of waiting closes the pause, so the SLA clock can credit it.
            if self.held_at is not None:
                self.pauses = [*self.pauses, (self.held_at, now)]
            self.held_from, self.held_at = None, None
        self.record(action, actor, now, reason, to_state=target)
        self.state = target

    def record(self, action: str, actor: str, now: datetime, reason: str = "",
               to_state: State | None = None) -> None:
        """Audit something that happened, whether or not the state changed."""
        self.trail.append(AuditEntry(now, actor, str(action), self.state, to_state or self.state, reason))
