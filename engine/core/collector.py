"""Pausing Python's cyclic garbage collector while a step builds many short-lived objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block.

    Building tens of thousands of objects (a view's items, a bulk change's moves and events)
    triggers collections that rescan the process's whole heap each time, for the few cycles
    they may find: those are collected after the block instead.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
