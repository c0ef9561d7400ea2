"""Benchmark: the coordinator's page (`txcal serve`) over a year of a 30-chair clinic's book.

    python bench/page_speed.py [--patients 3000] [--requests 50] [--moves 20]

Books the batch benchmark's synthetic clinic (bench/batch_speed.py: mixed regimens, starts over 2027) with
`txcal batch --level` under a 30-chair profile that keeps a book, starts `txcal serve` on a free loopback port,
signs in with the printed URL, then times, over loopback and including reading the book: the day page and the
week strip of the busiest day (median of --requests each), and moves through the page's form (a visit moved
to its own time and the move taken back, alternately: each a whole move, files written again). Goals: day and
week at most 100 ms (median), a move at most 300 ms (median). Needs txcal[web] installed in this Python.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).parent))
from batch_speed import TXCAL, make_clinic

PROFILE = (
    'schema = 1\nname = "Benchmark Infusion Center"\nchairs = 30\nhours = "08:00-18:00"\navoid = ["weekends"]\n'
    'book = "book.sqlite"\n'
)


class Client:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.cookie = parts.hostname or "", parts.port or 0, ""
        _, headers, _ = self.request("GET", f"/?{parts.query}")
        self.cookie = headers["Set-Cookie"].split(";")[0]

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        origin = f"http://{self.host}:{self.port}"
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers |= {"Origin": origin, "Content-Type": "application/x-www-form-urlencoded"}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8")
        connection.close()
        return response.status, dict(response.getheaders()), text

    def timed(self, method: str, path: str, form: dict[str, str] | None = None) -> float:
        began = time.perf_counter()
        status, _, _ = self.request(method, path, form)
        spent = time.perf_counter() - began
        assert status in (200, 303), (path, status)
        return spent


def busiest_day(profile: Path) -> str:
    text = subprocess.run(
        [TXCAL, "load", "--clinic", str(profile), "--format", "csv"], check=True, capture_output=True, text=True
    ).stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    return max(rows, key=lambda r: int(r["patients"]))["date"]


def report(name: str, times: list[float], goal: float) -> None:
    median = statistics.median(times) * 1000
    verdict = "ok" if median <= goal else "OVER"
    print(f"{name:<22} median {median:7.1f} ms  min {min(times) * 1000:7.1f}  max {max(times) * 1000:7.1f}  "
          f"(n={len(times)}, goal {goal:.0f} ms: {verdict})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--moves", type=int, default=20)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="txcal-page-"))
    try:
        patients, profile = work / "patients.csv", work / "clinic.toml"
        make_clinic(patients, options.patients)
        profile.write_text(PROFILE, encoding="utf-8")
        began = time.perf_counter()
        subprocess.run(
            [TXCAL, "batch", str(patients), "--out-dir", str(work / "out"), "--clinic", str(profile), "--level"],
            check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        size = (work / "book.sqlite").stat().st_size / 2**20
        print(f"booked {options.patients} patients in {time.perf_counter() - began:.0f} s; book {size:.1f} MB")
        day = busiest_day(profile)
        environment = os.environ | {"TXCAL_TODAY": "2027-01-01"}
        server = subprocess.Popen(
            [TXCAL, "serve", "--clinic", str(profile)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, env=environment,
        )  # fmt: skip
        try:
            assert server.stdout is not None
            client = Client(server.stdout.readline().strip())
            _, _, page = client.request("GET", f"/day/{day}")
            print(f"busiest day {day}: {page.count('<tr') - 1} rows on the day sheet")
            report("day page", [client.timed("GET", f"/day/{day}") for _ in range(options.requests)], 100)
            report("week strip", [client.timed("GET", f"/week/{day}") for _ in range(options.requests)], 100)
            link = re.search(r'href="(/move/[0-9a-f]+/[0-9-]+)"', page)
            assert link, "no movable visit on the busiest day"
            _, _, form = client.request("GET", link.group(1))
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form).group(1)  # type: ignore[union-attr]
            booked = re.search(r"Booked (\d\d:\d\d)", form).group(1)  # type: ignore[union-attr]
            fields = {"csrf": csrf, "patient": link.group(1).split("/")[2], "day": link.group(1).split("/")[3]}
            moves = []
            for n in range(options.moves):
                change = fields | ({"undo": "1"} if n % 2 else {"to": booked, "chair": "", "reason": "bench"})
                moves.append(client.timed("POST", "/move", change))
            report("move through the page", moves, 300)
        finally:
            os.kill(server.pid, signal.SIGINT)
            server.wait(timeout=10)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
