"""The Babel extractor of the regimen templates' patient text (`pybabel extract`; babel.cfg maps templates/*.toml here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from scheduler.catalog.loader import load_template
from scheduler.i18n.templates import context, template_messages


def extract_templates(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: dict[str, Any]
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Yield a template file's patient text for `pybabel extract` (babel.cfg maps templates/*.toml here)."""
    regimen = load_template(Path(fileobj.name), origin="shipped")
    lines = fileobj.read().decode("utf-8").splitlines()
    for key, english in template_messages(regimen):
        number = next((n for n, line in enumerate(lines, 1) if english[:40] in line), 0)
        yield number, "pgettext", (context(regimen, key), english), []
