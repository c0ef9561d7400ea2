"""The coordinator's page under test: a booked clinic, `txcal serve` started over it on a free loopback port
(stopped by its process id), and the day sheet read back out of the page's HTML."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from test_book import PROFILE

# Labels a URL must never carry (no digits or hex in them, so an opaque id cannot hold one by chance).
LABELS = ["Ada Moss", "Bea Quill", "Cyd Wren", "Dot Finch", "Eve Lark", "Fay Rook", "Gus Teal", "Hal Crane"]
DAY = "2026-12-01"
HEADER = "patient,drug,every,start,time,tz,doses"


def book_clinic(txcal, folder: Path) -> Path:
    """Write a profile (six chairs, a book) and book eight patients who all ask for 09:00 on DAY; return the profile."""
    (folder / "clinic.toml").write_text(
        PROFILE.replace('hours = "08:00-18:00"', 'hours = "08:00-18:00"\nnurse_starts = 4'), encoding="utf-8"
    )
    rows = [f"{label},atezolizumab,3w,{DAY},09:00,America/New_York,2" for label in LABELS]
    (folder / "list.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    result = txcal(f"batch {folder / 'list.csv'} --out-dir {folder / 'out'} --clinic {folder / 'clinic.toml'} --level")
    assert result.exit_code == 0, result.stderr
    return folder / "clinic.toml"


@contextlib.contextmanager
def serving(profile: Path, *extra: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start `txcal serve` over the profile's book and yield the printed URL and the process; stop it with SIGINT
    (Ctrl-C), by its process id."""
    process = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "scheduler", "serve", "--clinic", str(profile), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=profile.parent,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), (url, process.stderr.read() if process.poll() is not None else "")
        yield url, process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGABRT)
            process.wait(5)
            raise AssertionError(process.stderr.read()) from None


def agenda_rows(txcal, profile: Path, day: str = DAY) -> list[list[str]]:
    """Return `txcal agenda --format csv` of a day, without its date column (the page shows one day)."""
    result = txcal(f"agenda --clinic {profile} --date {day} --format csv")
    assert result.exit_code == 0, result.stderr
    return [row[1:] for row in list(csv.reader(io.StringIO(result.stdout)))[1:]]


class SheetParser(HTMLParser):
    """Collect the cells of the day sheet's table (class "sheet"), a list a row, without the Change column."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.in_sheet = self.in_body = False
        self.cell: list[str] | None = None
        self.skip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and "sheet" in classes:
            self.in_sheet = True
        elif self.in_sheet and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag == "td":
            self.cell, self.skip = [], "screen" in classes

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_sheet = self.in_body = False
        elif tag == "td" and self.cell is not None:
            if not self.skip:
                self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def sheet_rows(html: str) -> list[list[str]]:
    parser = SheetParser()
    parser.feed(html)
    return parser.rows
