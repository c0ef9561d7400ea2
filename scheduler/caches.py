"""The one owner of txcal's kept results: every cache is made here, and `clear_caches()` empties them all.

A clinic's plans share most of what they compute (zones, folded lines, worded facts, compiled
plan templates), so some results are kept. Each kept function is registered here, so tests and
benchmarks start from nothing with one call, and no module keeps state the others cannot see.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

_Result = TypeVar("_Result")
_Function = TypeVar("_Function", bound=Callable[..., Any])

_CLEARERS: list[Callable[[], None]] = []


def kept(size: int) -> Callable[[_Function], _Function]:
    """Return a decorator keeping a function's last `size` results by its (hashable) arguments."""

    def decorate(function: _Function) -> _Function:
        cached = functools.lru_cache(maxsize=size)(function)
        _CLEARERS.append(cached.cache_clear)
        return cached  # type: ignore[return-value]  # lru_cache keeps the signature

    return decorate


def file_state(path: Path | None) -> tuple[int, int, int, int] | None:
    """Return what a kept result read from a file is kept by besides its path: the file's device, inode, size
    and modification time, so an edited or replaced file is read again (None: no file, or it cannot be seen)."""
    if path is None:
        return None
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns


class ByIdentity(Generic[_Result]):
    """Results kept by the identity of the argument: the doses of a plan share their facts and dose
    objects, and hashing one (its sources, its dose) costs more than computing the result once.
    Each object is kept with its result, so its identity cannot be reused while the entry lives."""

    def __init__(self, compute: Callable[[Any], _Result], size: int) -> None:
        self.compute, self.size, self.seen = compute, size, dict[int, tuple[Any, _Result]]()
        _CLEARERS.append(self.seen.clear)

    def __call__(self, thing: Any) -> _Result:
        entry = self.seen.get(id(thing))
        if entry is None or entry[0] is not thing:
            if len(self.seen) >= self.size:
                self.seen.clear()
            entry = self.seen[id(thing)] = (thing, self.compute(thing))
        return entry[1]


def register(clear: Callable[[], None]) -> None:
    """Add a store made elsewhere (a dictionary of compiled templates) to those `clear_caches` empties."""
    _CLEARERS.append(clear)


def clear_caches() -> None:
    """Forget every kept result: for tests and benchmarks that must start cold, or after templates change."""
    for clear in _CLEARERS:
        clear()
