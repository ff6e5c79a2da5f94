"""The figures as DingTalk draws them: an interactive card whose chart components are fed the numbers,
instead of a picture of a chart (sharp on any screen, and nothing to upload).

The template (built once in the card designer, `chart_card_template_id`) takes string parameters:
`title`, `markdown` (the figures in words), and four chart variables in DingTalk's chart protocol,
each a JSON string `{"type": "lineChart" | "histogram", "data": [{"x", "y", "type"}], "config": {}}`:
`trend` (created and closed per day), `regions`, `products` (tickets opened) and `technicians`
(jobs closed). Like the picture, it carries no phone number or address.
"""
from __future__ import annotations

import json
from collections.abc import Sequence

from bot.channels.dingtalk.cards import card_body, create_and_deliver, track_id
from bot.channels.dingtalk.client import DingtalkClient
from bot.channels.dingtalk.send import Address
from domain.charts import ChartFigures, Ranked
from scheduler.outbound import Outgoing


def chart_params(figures: ChartFigures, text: str) -> dict[str, str]:
    trend = [point for d in figures.days for point in (
        {"x": f"{d.day:%m-%d}", "y": d.created, "type": "新建"}, {"x": f"{d.day:%m-%d}", "y": d.closed, "type": "完成"})]
    return {"title": figures.title[:40], "markdown": "  \n".join((text or _totals(figures)).splitlines()),
            "trend": _chart("lineChart", trend),
            "regions": _bars(figures.by_region, "工单"), "products": _bars(figures.by_product, "工单"),
            "technicians": _bars(figures.technicians, "完成")}


def _totals(f: ChartFigures) -> str:
    """The card's words when the notice has none (the figures in words went as their own reply)."""
    on_time = f"{f.on_time:.0%}" if f.on_time is not None else "—"
    rating = f"{f.avg_rating:.1f}" if f.avg_rating is not None else "—"
    return (f"新建 {f.created} · 完成 {f.closed} · 未完成 {f.open} · 超时 {f.overdue}\n"
            f"按时完成率 {on_time} · 平均评分 {rating}")


def _bars(rows: Sequence[Ranked], series: str) -> str:
    return _chart("histogram", [{"x": r.name, "y": r.count, "type": series} for r in rows])


def _chart(kind: str, data: list[dict[str, object]]) -> str:
    return json.dumps({"type": kind, "data": data, "config": {}}, ensure_ascii=False)


class ChartCards:
    def __init__(self, client: DingtalkClient, template_id: str) -> None:
        self.client, self.template_id = client, template_id

    def deliver(self, to: Address, message: Outgoing, figures: ChartFigures) -> None:
        """No buttons, so nothing to remember: the outTrackId from the notice key makes a retry safe."""
        create_and_deliver(self.client, card_body(self.template_id, self.client.robot_code, to,
                                                  track_id(message.key), chart_params(figures, message.text)))
