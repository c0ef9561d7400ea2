"""The README's examples are real: each `$ txcal ...` block is run and its output compared."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler.cli import main

README = Path(__file__).parent.parent / "README.md"


def examples() -> list[tuple[str, str]]:
    """Return (command, expected output) for each console block of the README."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        command, _, output = block.partition("\n")
        assert command.startswith("$ txcal "), command
        found.append((command[2:], output))
    return found


def run(command: str) -> str:
    return CliRunner().invoke(main, shlex.split(command)[1:]).output


@pytest.mark.parametrize(("command", "expected"), examples(), ids=[c for c, _ in examples()])
def test_readme_example_output_is_real(command, expected, monkeypatch, request):
    monkeypatch.chdir(README.parent)  # examples use paths relative to the repository
    actual = run(command)
    if request.config.getoption("--update-golden"):
        text = README.read_text(encoding="utf-8")
        README.write_text(
            text.replace(f"```console\n$ {command}\n{expected}```", f"```console\n$ {command}\n{actual}```"),
            encoding="utf-8",
        )
        return
    assert actual == expected


def test_every_test_the_readme_points_a_promise_at_exists():
    import re
    from pathlib import Path

    root = Path(__file__).parent.parent
    promises = (root / "README.md").read_text(encoding="utf-8").split("## What txcal promises")[1]
    named = set(re.findall(r"(?:::|`)(test_[a-z0-9_]+)`", promises))
    defined = set(
        re.findall(
            r"^def (test_[a-z0-9_]+)",
            "\n".join(p.read_text(encoding="utf-8") for p in (root / "tests").glob("test_*.py")),
            re.M,
        )
    )
    assert named and named <= defined, named - defined
