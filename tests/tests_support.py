"""Test data shared by several test modules."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

# A minimal valid template; tests break one thing in it at a time.
GOOD_TEMPLATE = """\
schema = 1
id = "{id}"
title = "Test drug"
drug = "testumab"
route = "IV"
population = "adult"

[duration]
rule = "doses"
doses = 3
text = "for three doses"

[[schedules]]
every = "3w"
dose = {{ amount = 100, unit = "mg" }}
length = "30min"
sources = ["s"]

[[sources]]
id = "s"
address = "https://example.org/label"
supports = "everything"
mark = "label"
"""

# Calendar exports checked byte for byte (tests/golden/NAME.ics) and read by every independent
# parser: every shipped template, timed and all-day, across DST in New York and Berlin, in a
# southern-hemisphere zone, and over the later years of a long plan.
ICS_CASES = {
    "atezolizumab-iv-3w-new-york": "plan atezolizumab --every 3w --start 2026-12-01 --doses 6 --time 09:00 --tz America/New_York --remind 1d,2h",
    "atezolizumab-iv-2w-all-day": "plan atezolizumab --every 2w --start 2026-12-01 --doses 4",
    "atezolizumab-iv-4w-berlin": "plan atezolizumab --every 4w --start 2027-02-16 --doses 10 --time 08:15 --tz Europe/Berlin",
    "atezolizumab-iv-pediatric-berlin": "plan atezolizumab --pediatric --weight-kg 42 --start 2027-03-09 --doses 4 --time 14:00 --tz Europe/Berlin --patient C-004",
    "atezolizumab-sc-sydney": "plan 'Tecentriq Hybreza' --start 2027-03-02 --doses 4 --time 10:00 --tz Australia/Sydney",
    "pembrolizumab-iv-6w-new-york-24-months": "plan pembrolizumab --every 6w --start 2026-12-01 --time 09:00 --tz America/New_York",
    "pembrolizumab-iv-pediatric-all-day": "plan keytruda --pediatric --weight-kg 30 --start 2026-12-01 --doses 3",
    "pembrolizumab-sc-3w-sydney": "plan 'Keytruda Qlex' --every 3w --start 2027-09-07 --doses 5 --time 08:30 --tz Australia/Sydney",
    "pembrolizumab-sc-6w-all-day": "plan 'Keytruda Qlex' --every 6w --start 2027-01-05 --doses 3",
    "afami-cel-new-york": "plan afami-cel --start 2027-01-25 --time 09:00 --tz America/New_York --patient P-017 --remind 1d",
    "afami-cel-all-day": "plan tecelra --start 2027-01-04 --infusion 2027-02-16 --monitor-days 10",
}


def template_cases(paths) -> dict[str, str]:
    """Return a `txcal plan` command for every schedule (or pathway) of every template file given.

    Every shipped template gets golden output and the independent parsers' reading this way: a new
    template is covered by running `pytest --update-golden` once, with no change to any test.
    """
    from scheduler.catalog.loader import load_template

    cases = {}
    for path in paths:
        regimen = load_template(path, "shipped")
        timed = "--start 2027-03-01 --time 09:00 --tz America/New_York"
        if not regimen.schedules:
            cases[f"template-{regimen.id}"] = f"plan {regimen.id} {timed}"
        for schedule in regimen.schedules:
            weight = " --weight-kg 40" if schedule.dose.weight_based else ""
            cases[f"template-{regimen.id}-{schedule.every}"] = (
                f"plan {regimen.id} --every {schedule.every}{weight} {timed} --doses 3"
            )
    return cases


def _shipped_cases() -> dict[str, str]:
    from scheduler.catalog.loader import shipped_template_paths

    return template_cases(shipped_template_paths())


ICS_CASES.update(_shipped_cases())

# A clinic profile's calendars: LOCATION, visit lengths, linked visits, all-day reminders at 18:00.
CLINIC_PROFILE = Path(__file__).parent.parent / "examples" / "clinic.toml"
ICS_CASES["clinic-pembrolizumab-linked"] = (
    f"plan pembrolizumab --every 3w --start 2026-12-01 --doses 6 --clinic {CLINIC_PROFILE}"
)
ICS_CASES["clinic-afami-cel"] = f"plan afami-cel --start 2027-01-04 --clinic {CLINIC_PROFILE} --patient P-021"

# The time stamp of every golden export (2026-11-20T00:00:00Z): same input, same bytes.
SOURCE_DATE_EPOCH = "1795132800"


def atezolizumab_every_3_weeks(start, **options):
    """Expand the plan most tests use: atezolizumab IV 1,200 mg every 3 weeks from `start`."""
    from scheduler.catalog.loader import load_regimens
    from scheduler.engine import expand
    from scheduler.model import PlanRequest

    regimen = load_regimens().get("atezolizumab-iv")
    return expand(PlanRequest(regimen=regimen, schedule=regimen.schedules[1], start=start, **options))


def plan_of_command(command: str):
    """Return the Plan a `txcal plan ...` command line expands, through the CLI's own option parsing."""
    import shlex

    from scheduler.cli.main import expand_plan, spec_from_options
    from scheduler.cli.plan import plan

    context = plan.make_context("plan", shlex.split(command)[1:])
    return expand_plan(spec_from_options(context.params["drug"], context.params), ())


@contextlib.contextmanager
def local_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[http.server.ThreadingHTTPServer]:
    """Serve `handler` on 127.0.0.1 (a free port) in a thread for the test's length, then stop it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
