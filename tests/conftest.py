"""Shared fixtures: the CLI runner, the shipped catalog, and the --update-golden switch."""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scheduler.catalog.loader import Catalog, load_regimens
from scheduler.cli import main
from tests_support import SOURCE_DATE_EPOCH

GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from current output")


# "Today" for every test and README example, so views that count from today are reproducible.
TODAY = "2026-11-26"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the shipped templates unless they add their own, and a fixed today."""
    monkeypatch.delenv("TXCAL_TEMPLATES", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TXCAL_TODAY", TODAY)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_regimens()


@pytest.fixture
def txcal() -> Callable[[str], Result]:
    """Run `txcal ARGS` in-process; stdout and stderr stay apart (result.stdout, result.stderr)."""
    runner = CliRunner()

    def run(args: str) -> Result:
        return runner.invoke(main, shlex.split(args), catch_exceptions=False)

    return run


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with tests/golden/NAME, or rewrite it under --update-golden."""
    update = request.config.getoption("--update-golden")

    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if update:
            path.write_bytes(actual.encode("utf-8"))  # bytes: .ics files keep their CRLF
            return
        assert path.exists(), f"{path} is missing: run pytest --update-golden and review the diff"
        assert actual == path.read_bytes().decode("utf-8")

    return check


@pytest.fixture
def sample_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample patient list with what it refers to, copied into a folder of its own."""
    for name in ("patients.csv", "closures.txt", "p017.toml"):
        shutil.copy(Path(__file__).parent.parent / "examples" / name, tmp_path / name)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    return tmp_path
