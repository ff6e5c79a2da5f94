"""结算单 on request in chat: "上个月结算单", "11月结算单 按区域 Excel". The file is made by the worker (off
the request path) and sent as a file; the console prints where it was saved."""
from __future__ import annotations

from datetime import date

from domain.notices import Notice
from domain.statements import statement_attachment
from handlers import periods
from handlers.base import Ctx
from handlers.conversation import Turn
from storage.uow import SqlUnitOfWork

EXCEL_WORDS = ("excel", "xlsx", "表格", "电子表")


def on_statement(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    today = ctx.now.astimezone(ctx.desk.rules.tz).date()
    month = _month(turn.slot("period"), today)
    if month is None:
        ctx.say("请说明哪个月，例如：上个月结算单、11月结算单 按区域、本月结算单 Excel")
        return
    by = "region" if turn.slot("by") == "region" else "technician"
    excel = any(w in turn.text.lower() for w in EXCEL_WORDS)
    label = f"{month:%Y年%m月}结算单（按{'区域' if by == 'region' else '师傅'}，{'Excel' if excel else 'PDF'}）"
    asked = ctx.inbound.msg_id or ctx.now.isoformat()   # a platform's retry of this message asks once
    key = f"statement:{ctx.actor.id}:{month:%Y%m}:{by}:{int(excel)}:{asked}"[:160]
    uow.outbox.add(Notice(ctx.actor.role, ctx.actor.id, "statement", label, key,
                          attachment=statement_attachment(month, by, excel)), ctx.now)
    uow.commit()
    ctx.say(f"好的，{label}正在生成，稍后以文件发给您。")


def _month(period: object, today: date) -> date | None:
    """The month the period falls in (no period: last month, the one a statement is usually for)."""
    span = periods.span(period if isinstance(period, str) else "last_month", today)
    if span is None or span[0] > today:
        return None
    return span[0].replace(day=1)
