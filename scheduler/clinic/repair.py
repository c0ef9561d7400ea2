"""Improving a levelled day by chains of moves: seat the visits left without a chair, then move fewer minutes.

The greedy placing (scheduler.clinic.levelling) never moves a kept patient to make room for one that
fits nowhere. Here a visit is tried at each start worth trying on each chair, the movable visits in
its way taken off and put back at their own nearest start (an augmenting path of one step, as in
matching), or, for a visit without a chair, the visits of one chair pushed apart where their gaps
add up to its length. A change is taken only when the day's score is strictly lower in the
objective's order (visits left without a chair, patients moved, minutes moved, the largest move,
moves earlier). Booked visits (`fixed`) never move, except those a re-levelling may re-time
(`rebook`), from their booked seat. Deterministic: visits and starts are tried in a fixed order,
and the tries are bounded by counts, not a clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from scheduler.clinic.board import Board, Sitting

Seat = tuple[int, int]  # chair (from 0), start
Score = tuple[int, int, int, int, int]

MOST_IN_THE_WAY = 2  # visits a chain may move at once: more rarely pays and costs a lot of tries
# Starts tried for one visit, nearest its request first: to seat one without a chair, and to bring a moved one
# nearer. Bounded so a crowded day stays fast (bench/levelling.py), and the same on every run.
TRIES_PER_SEAT = 1500
TRIES_PER_MOVE = 150
PUSH_STEP = 5  # minutes between the starts a push tries (requests are on this grid)


def day_score(placed: dict[Sitting, Seat], left: list[Sitting], opens: int) -> Score:
    """Return a day's objective, lowest best: visits left without a chair, patients moved, minutes moved, the
    largest move, and moves earlier than asked (at equal cost, later before earlier). Booked visits count as
    asked for (they are not levelling's to move), except those it may re-time: they count where they sit."""
    moved, earlier = [], 0
    for job, (_, start) in placed.items():
        off = job.off_by(start, opens)
        if job.levelled and off:
            moved.append(off)
            earlier += start < job.asked(opens)
    return len(left), len(moved), sum(moved), max(moved, default=0), earlier


@dataclass
class _Chain:
    """A tried chain: where the visit sits, and where each visit in its way went."""

    seat: Seat
    moved: list[tuple[Sitting, Seat, Seat]]  # (visit, from, to)
    cost: tuple[int, int, int]  # left, moved and minutes after it (the largest move: only to break ties)


class DayRepair:
    """One levelled day being improved: its board, where each visit sits, and who has no chair."""

    def __init__(self, board: Board, placed: dict[Sitting, Seat], left: list[Sitting], relevel: bool = True) -> None:
        self.board, self.placed, self.left = board, placed, list(left)
        self.relevel = relevel  # booked visits marked `rebook` may move (from their booked seat) when the day gains
        self.by_seat = {seat: job for job, seat in placed.items()}
        self.opens = board.opens
        self.moved = self.minutes = 0  # kept as visits are taken and lifted: a chain's cost without a recount
        for job, seat in placed.items():
            self._count(job, seat, 1)

    def off(self, job: Sitting, seat: Seat | None) -> int:
        return 0 if seat is None else job.off_by(seat[1], self.opens)

    def _movable(self, job: Sitting) -> bool:
        return job.fixed is None or (self.relevel and job.rebook)

    def cost(self) -> tuple[int, int, int]:
        """Return the first three tiers of the score: visits left without a chair, patients moved, minutes."""
        return len(self.left), self.moved, self.minutes

    def _count(self, job: Sitting, seat: Seat, sign: int) -> None:
        off = self.off(job, seat) if job.levelled else 0
        self.moved += sign * (off > 0)
        self.minutes += sign * off

    def score(self) -> Score:
        return day_score(self.placed, self.left, self.opens)

    # -- the board and the record change together

    def _take(self, job: Sitting, seat: Seat) -> None:
        self.board.take(seat[0], seat[1], job.minutes)
        self.placed[job] = seat
        self.by_seat[seat] = job
        self._count(job, seat, 1)

    def _lift(self, job: Sitting) -> Seat:
        seat = self.placed.pop(job)
        del self.by_seat[seat]
        self._count(job, seat, -1)
        self.board.give_back(seat[0], seat[1], job.minutes)
        return seat

    def seat_left(self) -> None:
        """Seat, by chains of moves, as many of the visits without a chair as the day can hold."""
        # A visit shaped like one that found no chain finds none either: where it asked to sit orders the starts
        # tried, not which starts there are.
        given_up: set[tuple[int, int, int]] = set()
        for job in sorted(self.left, key=lambda j: (j.minutes + j.lead + j.tail, j.asked(self.opens), j.row)):
            shape = (job.minutes, job.lead, job.tail)
            if job.fixed is not None or shape in given_up:
                continue  # a booked visit keeps its time, without a chair, until someone seats it
            if self._free_minutes() < job.minutes:
                continue  # moving visits makes no room: too few chair minutes are free
            direct = self.board.nearest(job)
            if direct is not None:
                self.left.remove(job)
                self._take(job, direct)
                continue
            if self._improve(job) or self._push_in(job):
                given_up.clear()  # the board changed: a visit like it may fit now
            else:
                given_up.add(shape)

    def _free_minutes(self) -> int:
        board = self.board
        return len(board.lanes) * (board.closes - board.opens) - sum(e - s for lane in board.lanes for s, e in lane)

    def fewer_minutes(self) -> None:
        """Bring moved visits nearer their request where the day's score is strictly lower: alone, or by a chain."""
        moved = [job for job, seat in self.placed.items() if self._movable(job) and self.off(job, seat)]
        for job in sorted(moved, key=lambda j: (-self.off(j, self.placed[j]), j.row)):
            before, seat = self.cost(), self._lift(job)
            nearer = self.board.nearest(job)
            self._take(job, nearer if nearer is not None else seat)
            if nearer is not None and self.cost() >= before:
                self._lift(job)
                self._take(job, seat)
            if self.off(job, self.placed[job]):
                self._improve(job)

    def _improve(self, job: Sitting) -> bool:
        """Take the best chain that seats `job` (left, or nearer its request); return whether one was taken."""
        now = self.placed.get(job)
        before = self.cost()
        chains = sorted(self._chains(job, now), key=lambda c: c.cost)  # all tried with `job` off its seat
        if not chains or chains[0].cost > before:
            return False
        # Among the cheapest, the whole score decides (the largest move, moves earlier); the first three tiers
        # alone when they are lower than now.
        whole = self.score()
        best: tuple[Score, _Chain] | None = None
        for chain in (c for c in chains if c.cost == chains[0].cost):
            self._apply(job, now, chain)
            ranked = self.score()
            self._undo(job, now, chain)
            if ranked < whole and (best is None or ranked < best[0]):
                best = (ranked, chain)
        if best is None:
            return False
        self._apply(job, now, best[1])
        return True

    def _apply(self, job: Sitting, now: Seat | None, chain: _Chain) -> None:
        if now is None:
            self.left.remove(job)
        else:
            self._lift(job)
        for other, _, _ in chain.moved:
            self._lift(other)
        self._take(job, chain.seat)
        for other, _, to in chain.moved:
            self._take(other, to)

    def _undo(self, job: Sitting, now: Seat | None, chain: _Chain) -> None:
        for other, _, _ in chain.moved:
            self._lift(other)
        self._lift(job)
        for other, was, _ in chain.moved:
            self._take(other, was)
        if now is None:
            self.left.append(job)
        else:
            self._take(job, now)

    def _chains(self, job: Sitting, now: Seat | None) -> Iterator[_Chain]:
        """Yield each chain that seats `job` at a start better than `now` (nearest the request first)."""
        board, current = self.board, self.off(job, now) if now is not None else None
        earliest, latest = board.opens + job.lead, board.closes - job.tail - job.minutes
        if earliest > latest:
            return
        if now is not None:
            self._lift(job)
        tries = 0
        try:
            for chair, start in self._starts(job, earliest, latest):
                if current is not None and job.off_by(start, self.opens) >= current:
                    continue
                tries += 1
                if tries > (TRIES_PER_SEAT if current is None else TRIES_PER_MOVE):
                    return
                chain = self._try(job, chair, start, current)
                if chain is not None:
                    yield chain
        finally:
            if now is not None:
                self._take(job, now)

    def _chain(self, job: Sitting, seat: Seat, moved: list[tuple[Sitting, Seat, Seat]]) -> _Chain:
        """Return a chain with its cost; `job` and the visits it moves are off the record: add where they go."""
        left, count, minutes = self.cost()
        offs = [job.off_by(seat[1], self.opens)] + [self.off(o, to) for o, _, to in moved]
        return _Chain(
            seat, list(moved), (left - (job in self.left), count + sum(1 for o in offs if o), minutes + sum(offs))
        )

    def _push_in(self, job: Sitting) -> bool:
        """Seat a visit left without a chair by pushing the visits of one chair apart (those before it earlier,
        those after it later) where their gaps add up to its length; take the cheapest. Return whether it did."""
        earliest, latest = self.board.opens + job.lead, self.board.closes - job.tail - job.minutes
        best: _Chain | None = None
        tries = 0
        for chair in range(len(self.board.lanes)):
            for start in range(-(-earliest // PUSH_STEP) * PUSH_STEP, latest + 1, PUSH_STEP):
                tries += 1
                if tries > TRIES_PER_SEAT:
                    break
                chain = self._pushed(job, chair, start)
                if chain is not None and (best is None or chain.cost < best.cost):
                    best = chain
        if best is None:
            return False
        self._apply(job, None, best)
        return True

    def _pushed(self, job: Sitting, chair: int, start: int) -> _Chain | None:
        """Return the chain that seats `job` at (chair, start) by pushing the chair's visits in its way apart."""
        lane, moves = self.board.lanes[chair], []
        limit = start  # the visits before it end by here, each pushed no further than needed
        for begin, end in reversed([span for span in lane if span[0] < start]):
            if end <= limit:
                break
            moves.append((begin, limit - (end - begin)))
            limit -= end - begin
        limit = start + job.minutes
        for begin, end in (span for span in lane if span[0] >= start):
            if begin >= limit:
                break
            moves.append((begin, limit))
            limit += end - begin
        others = [(self.by_seat.get((chair, begin)), begin, to) for begin, to in moves]
        if not moves or any(o is None or not self._movable(o) for o, _, _ in others):
            return None
        moved = [(o, (chair, begin), (chair, to)) for o, begin, to in others if o is not None]
        if any(
            to[1] - o.lead < self.board.opens or to[1] + o.minutes + o.tail > self.board.closes for o, _, to in moved
        ):
            return None  # pushed out of opening hours, with its visits before and after the chair
        for other, _, _ in moved:
            self._lift(other)
        taken: list[tuple[int, int]] = []
        try:
            for begin, minutes in [(start, job.minutes)] + [(to[1], o.minutes) for o, _, to in moved]:
                if not self.board.nurse_ok(begin):
                    return None
                self.board.take(chair, begin, minutes)
                taken.append((begin, minutes))
            return self._chain(job, (chair, start), moved)
        finally:
            for begin, minutes in taken:
                self.board.give_back(chair, begin, minutes)
            for other, was, _ in moved:
                self._take(other, was)

    def _starts(self, job: Sitting, earliest: int, latest: int) -> list[Seat]:
        """Return the starts worth trying on each chair: the request, and next to each visit already there."""
        asked = min(max(job.asked(self.opens), earliest), latest)
        found: set[Seat] = set()
        for chair, lane in enumerate(self.board.lanes):
            points = {asked, earliest, latest}
            for begin, end in lane:
                points.update((end, begin - job.minutes))
            found.update((chair, p) for p in points if earliest <= p <= latest)
        return sorted(found, key=lambda seat: (job.off_by(seat[1], self.opens), seat[1] < asked, seat))

    def _try(self, job: Sitting, chair: int, start: int, current: int | None) -> _Chain | None:
        """Return the chain that seats `job` at (chair, start), the visits in its way at their nearest starts."""
        end = start + job.minutes
        spans = [span for span in self.board.lanes[chair] if span[0] < end and span[1] > start]
        if len(spans) > MOST_IN_THE_WAY:
            return None
        others = [self.by_seat.get((chair, begin)) for begin, _ in spans]
        if any(other is None or not self._movable(other) for other in others):
            return None  # a booked visit (or one not of this day) is in the way
        lifted = [(other, self._lift(other)) for other in others if other is not None]
        # A visit with a chair moves only to lower the minutes, unless a moved visit in its way goes back to
        # its time: the visits in its way may then take no more than the minutes it gains.
        own, offs = job.off_by(start, self.opens), [self.off(o, w) for o, w in lifted]
        budget = None if current is None or (own == 0 and any(offs)) else current - own + sum(offs) - 1
        moved: list[tuple[Sitting, Seat, Seat]] = []
        try:
            if not self.board.nurse_ok(start) or (budget is not None and budget < 0):
                return None
            self.board.take(chair, start, job.minutes)
            try:
                for other, was in sorted(lifted, key=lambda item: (-item[0].minutes, item[0].row)):
                    to = self.board.nearest(other, budget)
                    if to is None:
                        return None
                    if budget is not None:
                        budget -= self.off(other, to)
                    self.board.take(to[0], to[1], other.minutes)
                    moved.append((other, was, to))
                return self._chain(job, (chair, start), moved)
            finally:
                for other, _, to in moved:
                    self.board.give_back(to[0], to[1], other.minutes)
                self.board.give_back(chair, start, job.minutes)
        finally:
            for other, was in lifted:
                self._take(other, was)
