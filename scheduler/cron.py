"""Crontab lines as operators write them, turned into APScheduler triggers."""
from __future__ import annotations

from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab_trigger(expr: str, tz: tzinfo) -> CronTrigger:
    """A standard crontab line. APScheduler 3 counts weekdays from Monday = 0, crontab from
    Sunday = 0 (or 7); numeric weekdays are turned into names so `1` means Monday as operators expect."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields, got {len(fields)}")
    minute, hour, day, month, weekdays = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=_weekdays(weekdays),
                       timezone=tz)


def _weekdays(spec: str) -> str:
    if not any(ch.isdigit() for ch in spec):
        return spec
    days: set[int] = set()
    for part in spec.split(","):
        base, _, step = part.partition("/")
        first, _, last = ("0-6" if base == "*" else base).partition("-")
        start, end = int(first), int(last or (6 if step else first))
        if not (0 <= start <= 7 and 0 <= end <= 7 and start <= end):
            raise ValueError(f"weekday {part!r} out of range 0-7")
        days.update(d % 7 for d in range(start, end + 1, int(step or 1)))
    return ",".join(DAY_NAMES[d] for d in sorted(days))
