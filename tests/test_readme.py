"""The README's and docs/ pages' examples are real: each `$ txcal ...` block is run and its output compared."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from scheduler.cli import main

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PROMISES = DOCS / "promises.md"


def pages() -> list[Path]:
    """The README, then every page of docs/ by name."""
    return [README, *sorted(DOCS.glob("*.md"))]


def examples() -> list[tuple[Path, str, str]]:
    """Return (page, command, expected output) for each console block of the README and of docs/."""
    found = []
    for page in pages():
        for block in re.findall(r"```console\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            command, _, output = block.partition("\n")
            assert command.startswith("$ txcal "), f"{page.relative_to(ROOT)}: {command}"
            found.append((page, command[2:], output))
    return found


def run(command: str) -> str:
    return CliRunner().invoke(main, shlex.split(command)[1:]).output


@pytest.mark.parametrize(
    ("page", "command", "expected"),
    examples(),
    ids=[f"{page.relative_to(ROOT)}: {command}" for page, command, _ in examples()],
)
def test_readme_example_output_is_real(page, command, expected, monkeypatch, request, tmp_path):
    # Examples use paths relative to the repository, on every page; they run in a folder that shows the
    # repository's files, so what an example writes (plan.ics) lands there and never in the checkout.
    for entry in ROOT.iterdir():
        if entry.name != ".git":
            (tmp_path / entry.name).symlink_to(entry)
    monkeypatch.chdir(tmp_path)
    actual = run(command)
    if request.config.getoption("--update-golden"):
        text = page.read_text(encoding="utf-8")
        page.write_text(
            text.replace(f"```console\n$ {command}\n{expected}```", f"```console\n$ {command}\n{actual}```"),
            encoding="utf-8",
        )
        return
    assert actual == expected


def test_every_docs_page_with_examples_is_run():
    # The README's examples and those of the reference pages that have them: a page whose examples
    # were not collected would pass unread.
    ran = {page.name for page, _, _ in examples()}
    assert {"README.md", "plans.md", "clinic.md", "levelling.md", "calendars.md", "spanish.md"} <= ran, ran


def test_every_test_the_readme_points_a_promise_at_exists():
    # The promises moved from the README to docs/promises.md; the README links to it.
    assert "(docs/promises.md)" in README.read_text(encoding="utf-8")
    promises = PROMISES.read_text(encoding="utf-8").split("# What txcal promises")[1]
    named = set(re.findall(r"(?:::|`)(test_[a-z0-9_]+)`", promises))
    defined = set(
        re.findall(
            r"^def (test_[a-z0-9_]+)",
            "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py")),
            re.M,
        )
    )
    assert named and named <= defined, named - defined


def test_the_readmes_using_it_list_names_every_command():
    using = README.read_text(encoding="utf-8").split("## Using it")[1].split("\n## ")[0]
    listed = set(re.findall(r"^txcal ([a-z]+)", using, re.M))
    commands = set(main.list_commands(click.Context(main)))  # what `txcal --help` lists
    assert listed == commands, commands ^ listed


def test_every_relative_link_of_the_readme_and_docs_leads_to_a_file():
    broken = []
    for page in [*pages(), ROOT / "ARCHITECTURE.md"]:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (page.parent / target.split("#")[0]).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


def test_every_anchor_the_readme_and_docs_link_to_is_a_heading():
    def anchors(page: Path) -> set[str]:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        headings = re.findall(r"^#+ (.+)$", text, re.M)
        return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}

    broken = []
    for page in pages():
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target, anchor in re.findall(r"\]\(([^)\s#]*)#([^)\s]+)\)", text):
            linked = (page.parent / target) if target else page
            if linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{page.relative_to(ROOT)}: {target}#{anchor}")
    assert broken == []
