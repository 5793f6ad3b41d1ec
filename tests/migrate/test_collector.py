from __future__ import annotations

import gc

from migrate import collector


def test_paced_freezes_the_heap_and_puts_the_pace_back():
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    with collector.paced():
        assert gc.get_threshold() == (collector.YOUNG, *collector.OLDER)
        assert gc.get_freeze_count() > frozen  # the heap the load started with is never walked again
        cycle: list = []
        cycle.append(cycle)  # a cycle made while loading is still collected
        del cycle
        assert gc.collect() >= 1
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_paced_puts_the_pace_back_after_an_error():
    before = gc.get_threshold()
    try:
        with collector.paced():
            raise ValueError("a batch failed")
    except ValueError:
        pass
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
