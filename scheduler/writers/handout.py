"""The patient's handout: one self-contained HTML page (no network; styles inline) to print or keep.

What the patient does, in plain words: the plan in a sentence, a month grid for every month of
the plan (each appointment marked by kind with a colour and a letter, so it prints in grey), the
appointments with date, time, place, what happens and how long, what to expect, the side effects
to report and whom to call, and the facts not confirmed against the label marked. It says when it
was prepared, never "in N days". Print styles for A4 and US Letter keep rows and month grids whole;
`large` sets large type. The same page becomes a PDF in scheduler.writers.pdf.
"""

from __future__ import annotations

import calendar
import html
import re
from collections.abc import Iterable
from datetime import date, datetime

from scheduler import i18n, wording
from scheduler.fact_words import fact_line
from scheduler.i18n import N_, _
from scheduler.model import Fact, Plan, PlannedEvent
from scheduler.wording import DISCLAIMER, UNCONFIRMED_MARK, day_label, describe_minutes, status_label
from scheduler.writers import handout_words as words
from scheduler.writers.registry import Rendered, View

# Kinds as the page shows them: a letter (prints in grey), a name, and a colour with AA contrast.
KINDS = {
    "dose": ("D", N_("treatment (dose)"), "#0b5d1e"),
    "infusion": ("I", N_("infusion"), "#0b5d1e"),
    "chemotherapy": ("X", N_("chemotherapy"), "#6a1b9a"),
    "collection": ("C", N_("T-cell collection"), "#005f73"),
    "premedication": ("P", N_("premedication"), "#7a4b00"),
    "monitoring": ("M", N_("monitoring"), "#0d47a1"),
    "watch": ("~", N_("watch period"), "#424242"),
    "milestone": ("!", N_("check"), "#7a4b00"),
    "lab": ("L", N_("blood tests"), "#8a1c1c"),
    "visit": ("V", N_("visit with your doctor"), "#37474f"),
    "imaging": ("S", N_("scan"), "#4e342e"),
}
_OWNER = re.compile(rb'<meta name="txcal-plan" content="([\w.@-]+)">')
_STYLE = """
@page { size: %(paper)s; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: %(size)s; line-height: 1.4;
       color: #111; background: #fff; margin: 0 auto; max-width: 190mm; padding: 6mm; }
h1 { font-size: 1.6em; margin: 0 0 .3em; } h2 { font-size: 1.25em; margin: 1.2em 0 .4em; border-bottom: 1px solid #555; }
table { border-collapse: collapse; width: 100%%; }
th, td { border: 1px solid #777; padding: .25em .4em; text-align: left; vertical-align: top; }
th { background: #eee; }
.months { display: flex; flex-wrap: wrap; gap: 4mm; }
table.month { width: auto; flex: 0 0 auto; break-inside: avoid; page-break-inside: avoid; }
table.month caption { font-weight: bold; text-align: left; padding: .2em 0; }
table.month td, table.month th { width: 2.4em; height: 2.2em; text-align: center; padding: .1em; }
.mark { display: inline-block; min-width: 1.2em; font-weight: bold; border-radius: 3px; color: #fff; padding: 0 .15em; }
td.marked { background: #f4f4f4; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4em 1.2em; }
tr { break-inside: avoid; page-break-inside: avoid; }
.status { font-weight: bold; }
.held td { color: #444; } .held .what { text-decoration: line-through; }
.note { font-size: .9em; color: #333; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
footer { margin-top: 1.5em; font-size: .9em; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _mark(kind: str, spoken: bool = True) -> str:
    """Return a kind's letter in its colour; in the grid, its name for screen readers beside it."""
    letter, name, colour = KINDS.get(kind, ("•", kind, "#333"))
    mark = f'<span class="mark" style="background:{colour}" aria-hidden="true">{_e(letter)}</span>'
    return mark + f'<span class="sr">{_e(_(name))}</span>' if spoken else mark


# The page's own words, each translated where it is used.
PAGE = {
    "what_the_letters_mean": N_("What the letters mean"),
    "not_confirmed_against_th": N_("not confirmed against the label"),
    "your_next_visit": N_("Your next visit"),
    "qr_code_of_your_calendar": N_("QR code of your calendar link"),
    "keep_this_schedule_up_to": N_("Keep this schedule up to date on your phone"),
    "or_add_this_link_to_your": N_("Or add this link to your calendar app:"),
    "your_treatment_schedule": N_("Your treatment schedule"),
    "for": N_("For:"),
    "appointments": N_("Appointments"),
    "all_at": N_("All at"),
    "calendar": N_("Calendar"),
    "what_to_expect": N_("What to expect"),
    "side_effects_to_report_a": N_("Side effects to report, and whom to call"),
    "where_these_facts_come_f": N_("Where these facts come from"),
    "no_visits_are_planned_af": N_("No visits are planned after {day}."),
    "prepared_on_day": N_("Prepared on {day}."),
}


def _t(key: str) -> str:
    return _e(_(PAGE[key]))


def _months(events: list[PlannedEvent]) -> str:
    """Return a month grid for every month the plan touches, each appointment day marked."""
    days: dict[date, list[str]] = {}
    for event in events:
        days.setdefault(event.first_day, [])
        if event.kind not in days[event.first_day]:
            days[event.first_day].append(event.kind)
    if not days:
        return ""
    first, last = min(days), max(days)
    grids = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        rows = []
        for week in calendar.Calendar().monthdatescalendar(year, month):
            cells = []
            for day in week:
                if day.month != month:
                    cells.append("<td></td>")
                elif day in days:
                    marks = "".join(_mark(k) for k in days[day])
                    cells.append(f'<td class="marked">{day.day}<br>{marks}</td>')
                else:
                    cells.append(f"<td>{day.day}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        head = "".join(f'<th scope="col"><abbr title="{name}">{name[:2]}</abbr></th>' for name in i18n.weekday_names())
        grids.append(
            f'<table class="month"><caption>{i18n.month_year(year, month)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    used = [k for k in KINDS if any(k in v for v in days.values())]
    legend = "".join(f"<li>{_mark(k, spoken=False)} {_e(_(KINDS[k][1]))}</li>" for k in used)
    return (
        f'<div class="months">{"".join(grids)}</div><ul class="legend" aria-label="{_t("what_the_letters_mean")}">'
        f"{legend}</ul>"
    )


def _when(event: PlannedEvent) -> tuple[str, str]:
    time = (
        f"{event.start:%H:%M}–{event.end:%H:%M}"
        if isinstance(event.start, datetime) and isinstance(event.end, datetime)
        else _("all day")
    )
    last = event.last_day
    span = " " + _("to {day}").format(day=i18n.day_short(last)) if last != event.first_day else ""
    return f"{i18n.day_short(event.first_day)}{span}", time


def _row(event: PlannedEvent, where: bool) -> str:
    day, time = _when(event)
    what = _e(event.name)
    if event.dose_number is not None:
        what += _e(_(", dose {number}").format(number=event.dose_number))
    if event.day is not None:
        what += f" ({_e(day_label(event.day))})"
    if event.unconfirmed:
        what += f' <span title="{_t("not_confirmed_against_th")}">*</span>'
    label = status_label(event) if event.status in ("held", "given") else ""
    held = _(": not given") if event.status == "held" else ""
    status = f'<div class="status">{label}{held}</div>' if label else ""
    # What the patient must know about this row: why it moved, a closed day it could not leave, a
    # dose past the label's duration; in the patient's words (the clinic's reasons stay in its views).
    lines = [fact_line(f) for f in event.facts if f.kind in _ROW_FACTS and f.audience == "patient"]
    remarks = "".join(f'<div class="note">{_e(line)}</div>' for line in lines if line)
    words_ = (event.dosage.patient if event.dosage else None) or wording.event_dose(event)
    dose = _e(f"{words_} {event.route}".strip()) if words_ else ""
    length = _e(describe_minutes(event.minutes)) if event.minutes and not event.all_day else ""
    if length and any(f.kind == "placeholder" for f in event.facts):  # a block no source gives a length for
        length = _("Ask your care team (the calendar holds {length})").format(length=length)
    held = ' class="held"' if event.status == "held" else ""
    return (
        f'<tr{held}><td>{_e(day)}</td><td>{_e(time)}</td><td>{status}<span class="what">{what}</span>{remarks}</td>'
        f"<td>{dose}</td><td>{length}</td>" + (f"<td>{_e(words.place(event))}</td>" if where else "") + "</tr>"
    )


_ROW_FACTS = frozenset({"reason", "conflict", "beyond-label"})


def _facts(events: Iterable[PlannedEvent], kinds: tuple[str, ...]) -> list[Fact]:
    """Return the distinct facts of some kinds the plan's events carry, in the order first met."""
    seen: dict[Fact, None] = {}
    for event in events:
        # A later dose keeps what its schedule's first dose said inside one fact: a narrowed handout still has it.
        for fact in (f for g in event.facts for f in (g.args[0] if g.kind == "see-first" else (g,))):
            if fact.kind in kinds and fact.audience == "patient":
                seen.setdefault(fact, None)
    return list(seen)


def _first_screen(
    events: list[PlannedEvent], contacts: list[Fact], emergency: list[Fact], view: View, places: bool
) -> str:
    """Return what a patient looks for first: the next visit (date, time, place) and whom to call."""
    visit = words.next_visit(events, view.today)
    if visit is None:
        next_line = f"<p>{_e(_(PAGE['no_visits_are_planned_af']).format(day=i18n.day_long(view.today)))}</p>"
    else:
        place = words.place(visit) if places else ""  # without a clinic profile no visit has a known place
        next_line = (
            f"<p><strong>{_e(words.visit_when(visit))}</strong>: {_e(visit.name)}"
            + (_e(_(", dose {number}").format(number=visit.dose_number)) if visit.dose_number is not None else "")
            + (_e(_(". Where: {place}").format(place=place)) if place else "")
            + ".</p>"
        )
    return (
        f'<section aria-labelledby="next"><h2 id="next">{_t("your_next_visit")}</h2>'
        + next_line
        + f"<p><strong>{_e(words.whom_to_call(contacts))}</strong></p>"
        + "".join(f"<p><strong>{_e(fact_line(f))}</strong></p>" for f in emergency)
        + "</section>"
    )


def _feed_section(link: str) -> str:
    """Return how to keep the schedule up to date on a phone: the feed link and its QR code, scanned once."""
    if not link:
        return ""
    import qrcode  # only a handout with a feed link needs it
    import qrcode.image.svg

    svg = qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage, box_size=12).to_string(encoding="unicode")
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_t("qr_code_of_your_calendar")}" ', 1)
    return (
        f'<section aria-labelledby="feed"><h2 id="feed">{_t("keep_this_schedule_up_to")}</h2>'
        f"<p>{_e(_(words.FEED_HOW))}</p><p>{svg}</p>"
        f"<p>{_t('or_add_this_link_to_your')} <strong>{_e(link)}</strong></p>"
        "</section>"
    )


_HEADINGS = (N_("Date"), N_("Time"), N_("What"), N_("Dose"), N_("How long"), N_("Where"))


def _title(regimen: str, label: str | None) -> str:
    if label:
        return _("Treatment schedule: {regimen} for {patient}").format(regimen=regimen, patient=label)
    return _("Treatment schedule: {regimen}").format(regimen=regimen)


def _not_reviewed() -> str:
    """Return the line saying a translation is not reviewed by a clinician ("" in English, or once reviewed)."""
    return "".join(f'<p class="review"><strong>{_e(line)}</strong></p>' for line in wording.review_note())


def render_handout(plan: Plan, view: View) -> str:
    """Return the handout page as HTML text."""
    events = [e for e in plan.events if e.audience == "patient"]
    label = plan.request.patient
    places = sorted({e.location for e in events if e.location})
    # One place is said once, above the list, only when every visit is there: afami-cel's monitoring
    # has no clinic address (label 5.1: "at the healthcare facility", which the care team names).
    visits = [e for e in events if e.kind not in words.NOT_A_VISIT]
    one_place = len(places) == 1 and all(e.location for e in visits)
    where = bool(places) and not one_place
    style = _STYLE % {"paper": "letter" if view.paper == "letter" else "A4", "size": "14pt" if view.large else "11pt"}
    expect = _facts(events, ("expect", "tests", "ask"))
    report = _facts(events, ("report",))
    signs = _facts(events, ("signs",))
    call = _facts(events, ("call", "emergency"))
    contacts = _facts(events, ("contact",))
    sources = _facts(events, ("source",))
    parts = [
        "<!doctype html>",
        f'<html lang="{i18n.tag()}"><head><meta charset="utf-8">',
        '<meta name="generator" content="txcal">',
        f'<meta name="txcal-plan" content="{_e(plan.plan_id)}">',
        f'<meta name="keywords" content="txcal-plan:{_e(plan.plan_id)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(_title(plan.regimen.title, label))}</title>",
        f"<style>{style}</style></head><body>",
        f"<header><h1>{_t('your_treatment_schedule')}</h1>",
        _not_reviewed(),
        f"<p>{_t('for')} <strong>{_e(label)}</strong></p>" if label else "",
        f"<p><strong>{_e(words.heading(plan))}</strong></p>",
        f"<p>{_e(_(PAGE['prepared_on_day']).format(day=i18n.day_long(view.today)))} {_e(words.reach(plan))}</p></header>",
        "<main>",
        _first_screen(events, contacts, _facts(events, ("emergency",)), view, bool(places)),
        _feed_section(view.feed),
        f'<section aria-labelledby="appointments"><h2 id="appointments">{_t("appointments")}</h2>',
        f"<p>{_t('all_at')} <strong>{_e(places[0])}</strong>.</p>" if one_place else "",
        "<table><thead><tr>"
        + "".join(f'<th scope="col">{_e(_(h))}</th>' for h in _HEADINGS[: 6 if where else 5])
        + "</tr></thead><tbody>",
        "".join(_row(e, where) for e in events),
        "</tbody></table>",
        f'<p class="note">{_e(_(UNCONFIRMED_MARK))}</p>' if any(e.unconfirmed for e in events) else "",
        "</section>",
        # The month grids come after the appointments: a long plan's 13 grids would push the list two screens down.
        f'<section aria-labelledby="calendar"><h2 id="calendar">{_t("calendar")}</h2>',
        _months(events),
        "</section>",
    ]
    if expect:
        parts += [f'<section aria-labelledby="expect"><h2 id="expect">{_t("what_to_expect")}</h2>']
        parts += [f"<p>{_e(f.args[0] if f.kind == 'expect' else fact_line(f))}</p>" for f in expect]
        parts.append("</section>")
    if report or signs or call or contacts:
        heading = _t("side_effects_to_report_a")
        parts += [f'<section aria-labelledby="report"><h2 id="report">{heading}</h2>']
        for fact in report:
            parts.append("<ul>" + "".join(f"<li>{_e(item)}</li>" for item in fact.args) + "</ul>")
        for fact in signs:  # a heading, then the signs one a line
            heading, *items = fact.args
            parts.append(f"<p>{_e(heading)}</p><ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>")
        parts += [f"<p><strong>{_e(fact_line(f))}</strong></p>" for f in (*call, *contacts)]
        parts.append("</section>")
    if sources:
        parts += [f'<section aria-labelledby="sources"><h2 id="sources">{_t("where_these_facts_come_f")}</h2><ul>']
        parts += [f"<li>{_e(fact_line(f).removeprefix('Source: '))}</li>" for f in sources]
        parts.append("</ul></section>")
    parts += [f"</main><footer><p>{_e(_(DISCLAIMER))}</p></footer></body></html>"]
    return "\n".join(part for part in parts if part) + "\n"


def render(plan: Plan, view: View) -> Rendered:
    """Return the handout (the `html` format)."""
    return Rendered(render_handout(plan, view).encode("utf-8"))


def owner(data: bytes) -> str | None:
    """Return the plan id of a handout txcal wrote, or None for any other file."""
    found = _OWNER.search(data[:4000])
    return found.group(1).decode() if found and b'<meta name="generator" content="txcal">' in data[:4000] else None
