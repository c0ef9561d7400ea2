"""What levelling a batch did: the days it levelled, who moved, what fits nowhere, and its words for the coordinator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from scheduler.clinic.board import Sitting
from scheduler.model import starts_past_limit
from scheduler.view_wording import exact_summary, levelling_day, levelling_summary


@dataclass
class DayResult:
    """How a day was levelled: its lower bound on chairs, and when each visit sits (chair, start)."""

    bound: int
    day: date
    opens: int = 0
    placed: dict[Sitting, tuple[int, int]] = field(default_factory=dict)
    least_moved: int | None = None  # no schedule moves fewer patients (None: not known on this day)

    def moves(self) -> list[int]:
        """Return the minutes each moved patient of the day is away from their request (0: moved only in day)."""
        found = [
            (job.off_by(start, self.opens), job.day != self.day)
            for job, (_, start) in self.placed.items()
            if job.levelled
        ]
        return [minutes for minutes, other_day in found if minutes or other_day]

    @property
    def levelled(self) -> int:
        """Return how many visits levelling placed this run (booked ones and the past are kept, not levelled)."""
        return sum(1 for job in self.placed if job.levelled)

    @property
    def chairs_used(self) -> int:
        return len({chair for chair, _ in self.placed.values()})

    @property
    def peak(self) -> int:
        """Return the most chairs in use at one moment."""
        edges = sorted(
            edge for job, (_, start) in self.placed.items() for edge in ((start, 1), (start + job.minutes, -1))
        )
        most = now = 0
        for _, step in edges:
            now += step
            most = max(most, now)
        return most

    def nurse_over(self, nurse_starts: int | None) -> int:
        """Return the chair starts that break the nurse limit (0 without one)."""
        return starts_past_limit([start for _, start in self.placed.values()], nurse_starts)


@dataclass
class Levelling:
    """A levelled clinic: the rebooked days by row, what fits nowhere, and each day's result."""

    unfit: list[Sitting] = field(default_factory=list)
    days: dict[date, DayResult] = field(default_factory=dict)
    moved: list[tuple[Sitting, date]] = field(default_factory=list)
    honoured: int = 0
    preferences: int = 0
    unmet: list[tuple[Sitting, date, int]] = field(default_factory=list)  # a preference not met: where it went
    # (row, planned) -> seat: day, chair (None: a booked visit no chair holds at its time), start
    seats: dict[tuple[int, date], tuple[date, int | None, int]] = field(default_factory=dict)
    # Exact levelling: whether each day was solved to optimality (None: too large for the model).
    solved: list[bool | None] = field(default_factory=list)

    def day_lines(self, most: int = 10) -> list[str]:
        """Return a line for each day where someone moved (the first `most`), for the coordinator."""
        unmet: dict[date, list[str]] = {}
        for job, day, _ in self.unmet:
            unmet.setdefault(day, []).append(job.patient)
        lines = []
        for day, result in sorted(self.days.items()):
            moves = result.moves()
            if moves or day in unmet:
                lines.append(levelling_day(day, result.levelled - len(moves), moves, unmet.get(day, [])))
        return lines[:most] + (
            [f"  ... and {len(lines) - most} more days (the manifest's levelled column)"] if len(lines) > most else []
        )

    def summary(self) -> str:
        """Return what levelling did, in a sentence for the coordinator."""
        moves = [m for d in self.days.values() for m in d.moves()]
        text = levelling_summary(
            sum(d.levelled for d in self.days.values()),
            sum(1 for d in self.days.values() if d.levelled),
            len(moves),
            sum(moves),
            max(moves, default=0),
            len(self.moved),
            len(self.unfit),
            self.honoured,
            self.preferences,
        )
        if not self.solved:
            return text
        return text + exact_summary(len(self.solved), self.solved.count(True), self.solved.count(None))
