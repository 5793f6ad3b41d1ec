"""Python's cyclic garbage collector paced for a load.

A batch allocates tens of thousands of short-lived containers (records, rows,
tuples) that reference counting frees on its own; with the interpreter's
default pace (a young collection every 700 net allocations, and a full one
whenever a quarter of the heap is new) the collector keeps walking the batch's
live records and everything loaded before them (modules, the unit table, the
resolver): a fifth of a load's client CPU at 100,000 wide rows. While a worker
loads, the heap it started with is frozen (never walked again: it lives as
long as the process) and a young collection waits for 50,000 net allocations;
cycles are still collected, less often. The previous pace is put back after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 50_000  # net allocations of containers between two young collections while loading
OLDER = (20, 100)  # young collections between two of the middle generation, and those between two full ones


@contextmanager
def paced() -> Iterator[None]:
    """Freeze the heap as it is now and collect the rest at a load's pace, until the block ends."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG, *OLDER)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
