"""Configured business rules: ticket types with their forms, priorities, SLA policies.

Built from the TOML by the edge; the domain only reads them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta, tzinfo

from domain.calendar import Calendar
from domain.dispatch import Weights
from domain.incidents import IncidentPolicy
from domain.sla import SlaPolicy

# The facts a ticket type's form may ask for, and the question for each.
FACTS: dict[str, str] = {
    "product": "请问是哪件产品出了问题？（例如：厨房水龙头、马桶、智能门锁）",
    "description": "请简单描述一下故障情况。",
    "address": "请告诉我地址：小区、楼栋、单元和房号（例如：翠湖花园 3栋2单元501）。",
    "phone": "请留一个联系电话（11位手机号）。",
    "when": "希望师傅什么时间上门？（例如：明天下午3点、周六上午）",
}


@dataclass(frozen=True)
class TicketType:
    code: str
    name: str
    form: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    labour_cents: int = 0        # labour charged out of warranty


@dataclass(frozen=True)
class Priority:
    code: str
    name: str


@dataclass(frozen=True)
class SurveyPolicy:
    delay: timedelta = timedelta(minutes=10)             # confirmation → survey question
    remind_after: timedelta = timedelta(hours=24)        # one reminder when unanswered
    auto_close_after: timedelta = timedelta(hours=72)    # then closed / recorded as "no rating"


@dataclass(frozen=True)
class Plan:
    """Preventive maintenance: a cron expression that opens inspection tickets."""

    id: str
    cron: str
    community: str
    contact_phone: str
    type: str = "inspection"
    description: str = "例行巡检"
    building: str = ""
    product_sku: str | None = None
    priority: str = "normal"


@dataclass(frozen=True)
class Rules:
    tz: tzinfo
    ticket_types: dict[str, TicketType]
    priorities: tuple[Priority, ...]
    sla: dict[tuple[str, str], SlaPolicy]
    calendars: dict[str, Calendar]
    offer_timeout: timedelta = timedelta(minutes=15)
    default_type: str = "repair"
    default_priority: str = "normal"
    urgent_priority: str = "urgent"
    number_prefix: str = "BX"
    region_neighbours: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dispatch_mode: str = "auto"              # "auto": one offer at a time; "grab": post to all, first wins
    grab_timeout: timedelta = timedelta(minutes=30)
    grab_limit: int = 20
    weights: Weights = Weights()
    escalate_after: timedelta | None = timedelta(hours=2)
    survey: SurveyPolicy = SurveyPolicy()
    daily_report_at: time | None = time(18, 0)
    plans: tuple[Plan, ...] = ()
    calendar_known_until: date | None = None   # the last day whose holidays are known
    incidents: IncidentPolicy = IncidentPolicy()
    business_hours: tuple[str, ...] = ()
    weekend_visits: bool = True
    holiday_visits: bool = False
    phrasings: tuple[tuple[str, str, str], ...] = ()   # (role, intent, text) added by the operator

    def policy(self, type_code: str, priority: str) -> SlaPolicy | None:
        return self.sla.get((type_code, priority)) or self.sla.get((type_code, "*"))

    def priority_name(self, code: str) -> str:
        return next((p.name for p in self.priorities if p.code == code), code)

    def type_name(self, code: str) -> str:
        t = self.ticket_types.get(code)
        return t.name if t else code
