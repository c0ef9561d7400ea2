"""Resolve what the user typed (id, generic, brand or alias, any case) to one regimen schedule.

txcal never picks a dose for the user: while several schedules still match, it stops and lists
them with the exact flags that choose each.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from scheduler import caches
from scheduler.catalog.loader import Catalog
from scheduler.errors import AmbiguousRegimen, RegimenNotFound, option
from scheduler.model import Regimen, Schedule
from scheduler.units import parse_interval
from scheduler.wording import describe_interval, dose_text


@caches.kept(1024)
def normalize(name: str) -> str:
    """Return a name in the form names are compared: case-folded, single spaces."""
    return " ".join(name.casefold().replace("_", " ").split())


@dataclass(frozen=True)
class Choice:
    """One regimen and, for repeating doses, one of its schedules."""

    regimen: Regimen
    schedule: Schedule | None

    def describe(self) -> str:
        """Return the choice as a reader compares them: "1,200 mg IV every 3 weeks (adult)"."""
        if self.schedule is None:
            return self.regimen.title
        dose = dose_text(self.schedule.dose)
        return f"{dose} {self.regimen.route} {describe_interval(self.schedule.every_days)} ({self.regimen.population}, {self.regimen.id})"


def all_names(catalog: Catalog) -> list[str]:
    """Return every name txcal answers to, for suggestions and shell completion."""
    return sorted({n for r in catalog.regimens for n in (*r.names(), r.ingredient)})


def nearest_names(catalog: Catalog, name: str) -> list[str]:
    """Return up to three known names closest to what the user typed."""
    import difflib  # only an unknown name needs it

    return difflib.get_close_matches(normalize(name), [normalize(n) for n in all_names(catalog)], n=3, cutoff=0.6)


def not_found_message(catalog: Catalog, name: str, command: str) -> str:
    """Return the message for an unknown name: the nearest names and the exact command to try."""
    close = nearest_names(catalog, name)
    if not close:
        return f"no regimen is called {name!r}. Run `txcal regimens` to see them all."
    suggestion = command.format(name=shlex.quote(close[0]))
    return f"no regimen is called {name!r}. Did you mean: {', '.join(close)}? Try: {suggestion}"


def _named(catalog: Catalog, key: str) -> list[Regimen]:
    """Return the regimens a normalized name is one of the names of (id, drug, brand or alias), in catalog order."""
    # The names are indexed once per catalog: a patient list asks for a clinic's rows.
    if _INDEX.get("catalog") is not catalog:
        index: dict[str, list[Regimen]] = {}
        for regimen in catalog.regimens:
            for known in {normalize(n) for n in regimen.names()}:
                index.setdefault(known, []).append(regimen)
        _INDEX.update(catalog=catalog, index=index)
    return list(_INDEX["index"].get(key, ()))


_INDEX: dict[str, Any] = {}
caches.register(_INDEX.clear)


def matching_templates(catalog: Catalog, name: str) -> list[Regimen]:
    """Return the templates a name refers to: by id, drug, brand or alias, or by active ingredient."""
    key = normalize(name)
    exact = _named(catalog, key)
    ingredients = {normalize(r.ingredient) for r in exact} | {key}
    return [r for r in catalog.regimens if r in exact or normalize(r.ingredient) in ingredients]


def resolve(
    catalog: Catalog,
    name: str,
    route: str | None = None,
    pediatric: bool = False,
    every: str | None = None,
    command: str = "txcal plan {name}",
) -> Choice:
    """Return the one regimen schedule that `name` and the flags select.

    Args:
        catalog: every known regimen.
        name: a regimen id, generic name, brand name or alias, in any case.
        route: "IV" or "SC" when the user asked for one; a generic name alone means IV.
        pediatric: the user asked for the pediatric dose.
        every: the dosing interval the user asked for, such as "3w".
        command: how the user gives the name again, with a {name} slot, to print exact commands
            to run (a command line, or a patient list's `drug=` cell); options in messages are
            placeholders (scheduler.errors.option), worded where the message is shown.

    Raises:
        RegimenNotFound: nothing matches; the message suggests the nearest names.
        AmbiguousRegimen: several schedules still match; the message lists each with its flags.
    """
    key = normalize(name)
    exact = _named(catalog, key)
    by_id = [r for r in exact if normalize(r.id) == key]
    ingredients = {normalize(r.ingredient) for r in exact} | {key}
    related = [r for r in catalog.regimens if normalize(r.ingredient) in ingredients]
    if not related:
        raise RegimenNotFound(not_found_message(catalog, name, command))

    if by_id:
        pool = by_id
    elif route:
        pool = [r for r in related if r.route.casefold() == route.casefold()]
        if not pool:
            routes = sorted({r.route for r in related})
            raise RegimenNotFound(f"{name} has no {route.upper()} form here; its routes: {', '.join(routes)}")
    else:
        # A generic name alone means the IV product, as the labels name them.
        pool = exact or [r for r in related if r.route == "IV"] or related
    if not by_id:
        population = "pediatric" if pediatric else "adult"
        narrowed = [r for r in pool if r.population == population]
        if not narrowed:
            others = "; ".join(f"{r.id}: {r.who}" for r in pool)
            raise RegimenNotFound(f"{name} has no {population} schedule here ({others})")
        pool = narrowed
    elif pediatric and pool[0].population != "pediatric":
        raise RegimenNotFound(f"{pool[0].id} is not a pediatric regimen ({pool[0].who})")

    choices = [Choice(r, s) for r in pool for s in r.schedules] + [Choice(r, None) for r in pool if not r.schedules]
    if every is not None:
        days = parse_interval(every)
        matching = [c for c in choices if c.schedule is not None and c.schedule.every_days == days]
        if not matching:
            offered = ", ".join(sorted({c.schedule.every for c in choices if c.schedule}, key=parse_interval))
            raise RegimenNotFound(
                f"{name} has no schedule every {every}"
                + (f"; choose {option('every', offered)}" if offered else f"; leave out {option('every')}")
            )
        choices = matching
    if len(choices) == 1:
        return choices[0]
    lines = [f"{name} has several schedules and txcal never picks a dose; choose one:"]
    for choice in choices:
        assert choice.schedule is not None
        lines.append(
            f"  {command.format(name=shlex.quote(name))} {option('every', choice.schedule.every)}    # {choice.describe()}"
        )
    children = [r for r in related if r.population == "pediatric" and not pediatric]
    if children:
        lines.append(f"  (for children, add {option('pediatric')}: {', '.join(r.id for r in children)})")
    raise AmbiguousRegimen("\n".join(lines))
