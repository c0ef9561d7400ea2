"""A batch's chair visits gathered for levelling: each row's as planned, booked ones as fixed points."""

from __future__ import annotations

import dataclasses
from datetime import date

from scheduler.app.batching.rows import kept_part, row_catalog, row_spec
from scheduler.app.batching.settings import Settings, booked_as
from scheduler.app.plans import plan_from_spec
from scheduler.clinic.board import Sitting
from scheduler.clinic.booking import (
    Seat,
    asked_cells,
)
from scheduler.clinic.levelling import sittings


def sitting_chunk(settings: Settings, chunk: list[tuple[int, dict[str, str], str]]) -> list[tuple[str, list[Sitting]]]:
    """Return the chair visits of some rows as planned, by patient (booked_as), for levelling; runs in the main
    process or a worker. Booked visits come as fixed points, and so does every visit before today."""
    catalog = row_catalog(settings)
    found = []
    profile = str(settings.options.profile.resolve()) if settings.options.profile else None
    for number, cells, name in chunk:
        try:
            spec = row_spec(settings, cells)
            plan = kept_part(settings, plan_from_spec(spec, catalog))
        except Exception:
            continue  # the row fails again when it is written, with its message
        if plan.request.profile is None or plan.request.profile.path != profile:
            continue  # another clinic's chairs
        booked = settings.seats.get(booked_as(cells, name)) if settings.seats else None
        given = booked.seats if booked is not None and booked.plan_id == plan.plan_id else {}
        # A booked row whose time or prefer cell changed asks for its visits from today on to move.
        asks_again = booked is not None and booked.request is not None and booked.request != asked_cells(cells)
        patient = plan.request.patient or cells.get("patient", "")
        chair_visits = sittings(plan, number, patient, spec.prefer)
        found.append(
            (booked_as(cells, name), [_as_fixed(s, given.get(s.day), settings, asks_again) for s in chair_visits])
        )
    return found


def booked_elsewhere_sittings(settings: Settings, listed: set[str]) -> list[Sitting]:
    """Return the booked chair visits of patients this batch does not plan (not in the list, or their row
    failed) as fixed points: they keep their chairs, and nobody new is put on them."""
    found: list[Sitting] = []
    for patient, booked in (settings.seats or {}).items():
        if patient in listed:
            continue
        for seat in booked.seats.values():
            chair = seat.chair - 1 if seat.chair else None
            found.append(
                Sitting(
                    -1 - len(found),
                    patient,
                    seat.planned,
                    seat.asked,
                    seat.minutes,
                    seat.lead,
                    seat.tail,
                    fixed=(seat.day, chair, seat.start),
                )
            )
    return found


def _as_fixed(sitting: Sitting, seat: Seat | None, settings: Settings, asks_again: bool = False) -> Sitting:
    """Return a chair visit as levelling must take it. Before today: as it is. A booked seat from today on: levelled
    again when its row asks for another time (its `time` or `prefer` cell changed); with `--relevel`, re-timed only
    where that lowers the day's score, and never when a coordinator's `move` placed it; else kept."""
    today = settings.today or date.min
    if seat is not None and not (asks_again and seat.day >= today):
        booked = dataclasses.replace(sitting, fixed=(seat.day, seat.chair - 1 if seat.chair else None, seat.start))
        if settings.options.relevel and seat.day >= today and not seat.pinned:
            return dataclasses.replace(booked, rebook=True)
        return booked
    if sitting.day < today:
        return dataclasses.replace(sitting, fixed=(sitting.day, None, sitting.start))
    return sitting
