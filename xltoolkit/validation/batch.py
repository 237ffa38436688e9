"""The fast-reader machinery in one place: process pools, garbage-collector pauses, per-run caches.

Nothing here knows about workbooks. Validation runs the same small steps on thousands of files made
from a handful of templates, so three things pay: pausing the cyclic garbage collector (the loop
makes many short-lived objects and no cycles worth chasing), sharing results of pure functions
across the files of a run (bounded caches), and, for large runs, reading files in worker processes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Generic, ParamSpec, TypeVar, cast

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
J = TypeVar("J")
P = ParamSpec("P")

#: A pool pays only when every worker gets a few chunks of a few files.
CHUNKS_PER_WORKER = 4
MIN_FILES_PER_WORKER = 8


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees); the consolidator uses it too."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def map_chunks(fn: Callable[[list[T], J], list[V]], items: Sequence[T], job: J, workers: int) -> list[V]:
    """`fn(chunk, job)` over chunks of `items`, in `workers` processes when that can pay; order kept."""
    if workers <= 1 or len(items) < MIN_FILES_PER_WORKER * workers:
        with gc_paused():
            return fn(list(items), job)
    size = max(1, len(items) // (workers * CHUNKS_PER_WORKER))
    chunks = [list(items[i : i + size]) for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [
            v for part in pool.map(_paused, [fn] * len(chunks), chunks, [job] * len(chunks)) for v in part
        ]


def _paused(fn: Callable[[list[T], J], list[V]], chunk: list[T], job: J) -> list[V]:
    with gc_paused():
        return fn(chunk, job)


def memo(maxsize: int = 1 << 14) -> Callable[[Callable[P, V]], Callable[P, V]]:
    """Cache a pure function across the files of a run (the same labels, names, formulas recur)."""

    def wrap(fn: Callable[P, V]) -> Callable[P, V]:
        return cast(Callable[P, V], lru_cache(maxsize=maxsize, typed=True)(fn))

    return wrap


class KeyedCache(Generic[K, V]):
    """A bounded cache of values derived from an object, e.g. one layout's lookup tables.

    Keyed by the caller (an object's id plus whatever identifies its content); the object itself is
    kept alongside the value, so its id cannot be reused by another object while the entry lives.
    """

    def __init__(self, limit: int = 512) -> None:
        self.limit = limit
        self._entries: dict[K, tuple[Any, V]] = {}

    def get(self, key: K, owner: object, make: Callable[[], V]) -> V:
        hit = self._entries.get(key)
        if hit is not None and hit[0] is owner:
            return hit[1]
        if len(self._entries) >= self.limit:
            self._entries.clear()
        value = make()
        self._entries[key] = (owner, value)
        return value
