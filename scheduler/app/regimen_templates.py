"""The template and calendar-file use cases: list and show regimen templates, validate templates, check .ics files.

Each returns text or (line, ok) pairs; the front end (the CLI) prints them and sets the exit status.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from scheduler.catalog.loader import Catalog, load_template
from scheduler.catalog.lookup import matching_templates, normalize, not_found_message
from scheduler.errors import RegimenNotFound, TemplateError, TxcalError
from scheduler.files import read_input
from scheduler.model import Regimen


def regimens_text(catalog: Catalog, drug: str | None, as_json: bool, width: int) -> str:
    """Return the templates (of one drug) as a table, or as JSON.

    Raises:
        RegimenNotFound: no template names the drug.
    """
    from scheduler.writers.regimens import regimen_to_dict, render_regimens

    chosen = list(catalog.regimens)
    if drug is not None:
        chosen = matching_templates(catalog, drug)
        if not chosen:
            raise RegimenNotFound(not_found_message(catalog, drug, "txcal regimens {name}"))
    if as_json:
        return json.dumps([regimen_to_dict(r) for r in chosen], indent=2, ensure_ascii=False) + "\n"
    return render_regimens(chosen, width)


def find_template(catalog: Catalog, name: str) -> Regimen:
    """Return the template a name means: its id, or the one template (the adult one) a drug name gives.

    Raises:
        RegimenNotFound: no template, or several, answer to the name.
    """
    found = catalog.get(name) or catalog.get(normalize(name))
    if found:
        return found
    matches = [r for r in catalog.regimens if normalize(name) in {normalize(n) for n in r.names()}]
    adults = [r for r in matches if r.population == "adult"]
    # As in `plan`, a name shared by adult and pediatric templates means the adult one.
    if len(matches) == 1 or len(adults) == 1:
        return (adults or matches)[0]
    if matches:
        raise RegimenNotFound(f"{name} names several templates: {', '.join(r.id for r in matches)}; show one by its id")
    raise RegimenNotFound(not_found_message(catalog, name, "txcal show {name}"))


def template_text(regimen: Regimen, as_json: bool, by_source: bool, width: int) -> str:
    """Return one template: its schedules or steps and sources, every fact by source, or JSON."""
    from scheduler.writers.regimens import regimen_to_dict, render_regimen, render_sources

    if by_source:
        return render_sources(regimen, width)
    if as_json:
        return json.dumps(regimen_to_dict(regimen), indent=2, ensure_ascii=False) + "\n"
    return render_regimen(regimen, width)


def validate_templates(files: list[Path]) -> Iterator[tuple[str, bool]]:
    """Yield a line for each template file: "PATH: ok (id)", or its problems; and whether it is ok."""
    for path in files:
        try:
            regimen = load_template(path)
        except TemplateError as exc:
            yield str(exc), False
        else:
            yield f"{path}: ok ({regimen.id})", True


def check_calendars(files: tuple[Path, ...]) -> Iterator[tuple[Path, list[str]]]:
    """Yield each .ics file with its problems (none: it is fine), as `txcal check` reports them."""
    from scheduler.ical import check_ics

    for path in files:
        try:
            problems = check_ics(read_input(path))
        except TxcalError as exc:
            problems = [str(exc).removeprefix(f"{path} ")]
        yield path, problems
