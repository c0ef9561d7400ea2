"""What happened to a repeating-dose plan (given, delayed, held, stopped, switched), indexed by dose number."""

from __future__ import annotations

from datetime import date

from scheduler.errors import PlanError
from scheduler.model import (
    Record,
    Regimen,
    Schedule,
)


class Records:
    """What happened to a repeating-dose plan, indexed by dose number."""

    def __init__(self, records: tuple[Record, ...], regimen: Regimen, schedule: Schedule) -> None:
        self.given = {r.dose: r for r in records if r.kind == "given" and r.dose is not None}
        self.delays = {r.dose: r for r in records if r.kind == "delay" and r.dose is not None}
        self.holds = {r.dose: r for r in records if r.kind == "hold" and r.dose is not None}
        stops = [r for r in records if r.kind == "stop"]
        self.stop = min(stops, key=lambda r: r.on or date.max) if stops else None
        self.stop_day = self.stop.on if self.stop else None
        self.switches = sorted((r for r in records if r.kind == "switch"), key=lambda r: r.dose or 0)
        self.first = (regimen, schedule)
        for number in set(self.given) & set(self.holds):
            raise PlanError(
                f"dose {number} is recorded both as given and as held: remove one of them from the plan file"
            )

    def schedule_for(self, number: int) -> tuple[Regimen, Schedule]:
        """Return the regimen and schedule dose `number` follows (the latest switch at or before it)."""
        current = self.first
        if not self.switches:  # most plans: one regimen throughout
            return current
        for switch in self.switches:
            if switch.dose is not None and switch.dose <= number and switch.regimen and switch.schedule:
                current = (switch.regimen, switch.schedule)
        return current
