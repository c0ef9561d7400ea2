"""Click parameters derived from the options table, and the click types of txcal's values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from scheduler.app.plans import TEMPLATES_ENV, completions
from scheduler.options import CLINIC_ENV, OPTIONS, PlanOption, Value
from scheduler.options import DATE as DATE_VALUE
from scheduler.units import parse_reminders


class Parsed(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.5
    """A click type from a parser function: its ValueError message becomes click's usage error."""

    def __init__(self, name: str, parse: Callable[[str], Any], hint: str = "") -> None:
        self.name = name
        self._parse = parse
        self._hint = f"; {hint}" if hint else ""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self._parse(value)
        except ValueError as exc:
            self.fail(f"{value!r}: {exc}{self._hint}", param, ctx)


def click_type(value: Value) -> click.ParamType:  # type: ignore[type-arg]
    """Return the click type of an option value: a choice (completed by the shell) or a parser."""
    if value.choices:
        return click.Choice(value.choices, case_sensitive=False)
    return Parsed(value.name, value.parse, value.hint)


DATE = click_type(DATE_VALUE)
REMINDERS = Parsed("reminders", parse_reminders)
# The plan options that are command-line options (the drug is an argument).
PLAN_FLAGS: tuple[PlanOption, ...] = tuple(o for o in OPTIONS if o.flag)


def _click_option(o: PlanOption) -> Callable[[Any], Any]:
    if o.is_flag:
        return click.option(o.flag, o.name, is_flag=True, help=o.help)
    return click.option(
        o.flag,
        o.name,
        type=click_type(o.value),
        multiple=o.many,
        default=o.default,
        show_default=o.default not in (None, (), False),
        help=o.help,
        shell_complete=COMPLETERS.get(o.name),
        envvar=o.envvar or None,
    )


def plan_options(command: Any) -> Any:
    """Add every plan option of the options table to a command, in the table's order."""
    for o in reversed(PLAN_FLAGS):
        command = _click_option(o)(command)
    return command


def templates_option(command: Any) -> Any:
    return click.option(
        "--templates",
        "template_dirs",
        multiple=True,
        metavar="DIR",
        help=f"Also read regimen templates from DIR (repeatable; also {TEMPLATES_ENV}). "
        "A user template with a shipped id replaces the shipped one.",
    )(command)


def complete_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Offer regimen names for shell completion; quiet if templates cannot be read."""
    return completions(ctx.params.get("template_dirs") or (), incomplete, "names")


def _complete_zones(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from scheduler.units import iana_zone_names

    return sorted(n for n in iana_zone_names().values() if n.casefold().startswith(incomplete.casefold()))


def _complete_intervals(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return completions(ctx.params.get("template_dirs") or (), incomplete, "every")


def _complete_holidays(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    import holidays

    codes = [
        code
        for country, subdivisions in holidays.list_supported_countries().items()
        for code in (country, *(f"{country}-{sub}" for sub in subdivisions))
    ]
    return sorted(c for c in codes if c.casefold().startswith(incomplete.casefold()))


# Shell completion for option values beyond click's choices, by option name.
COMPLETERS: dict[str, Callable[[click.Context, click.Parameter, str], list[str]]] = {
    "tz": _complete_zones,
    "every": _complete_intervals,
    "holidays": _complete_holidays,
}


def clinic_option(help_text: str) -> Callable[[Any], Any]:
    """Return the --clinic option of commands that take a profile beside the plan options."""
    return click.option(
        "--clinic",
        "profile_path",
        envvar=CLINIC_ENV,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help_text,
    )


def replace_option(what: str) -> Callable[[Any], Any]:
    """Return the --replace option: write a corrected plan where another one is, cancelling that one's events."""
    return click.option(
        "--replace",
        is_flag=True,
        help=f"{what} holds another plan (a corrected start, drug or label): write this plan there, cancelling its events.",
    )
