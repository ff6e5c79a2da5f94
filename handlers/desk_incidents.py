"""The desk ends an incident by hand (the water company restored supply, no job was needed): every linked
owner hears it and is asked to confirm, as when the cause ticket is finished."""
from __future__ import annotations

from domain.errors import Refused
from domain.incident_tickets import settle_all
from handlers import commands
from handlers.base import Ctx
from storage.incidents import SqlIncidents
from storage.uow import SqlUnitOfWork

HOW = "请这样写：故障解除 BX20261123-0001（批量故障中的任一工单号）"


def resolve_incident(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    if not cmd.number:
        raise Refused(HOW)
    repo = SqlIncidents(uow.session)
    incident = repo.of_ticket(cmd.number.upper())
    if incident is None:
        raise Refused(f"工单 {cmd.number} 不属于任何批量故障。")
    if incident.status != "open":
        raise Refused(f"工单 {cmd.number} 所属的批量故障「{incident.kind_name}」已解除。")
    repo.close(incident, ctx.now)
    told = settle_all(uow, ctx.desk.rules, ctx.now, repo.numbers(incident.id), incident.kind_name,
                      incident.lead_number)
    uow.commit()
    ctx.say(f"已解除批量故障「{incident.kind_name}」（{incident.community}{incident.building}），"
            f"已通知 {told} 户业主确认。排查工单 {incident.lead_number} 请按实际情况完工或取消。")


def incident_line(uow: SqlUnitOfWork, number: str) -> str:
    """For 工单 BX…: the incident the ticket belongs to, its cause job and the other reports."""
    repo = SqlIncidents(uow.session)
    incident = repo.of_ticket(number)
    if incident is None:
        return ""
    others = [n for n in repo.numbers(incident.id) if n not in (number, incident.lead_number)]
    state = "处理中" if incident.status == "open" else "已解除"
    return (f"批量故障「{incident.kind_name}」{state}：排查工单 {incident.lead_number}"
            + (f"，同批报修 {'、'.join(others)}" if others else ""))
