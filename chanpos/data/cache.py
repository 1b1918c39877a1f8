"""Keeping decoded data in memory, so that a small dataset is decoded once per job, not once per
epoch."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any


class MemoryCache:
    """``load(key)`` (a tensor or array), kept for later calls with the same key while the kept
    values fit in ``max_bytes``; past that, loaded on every call. A small dataset (the mini
    preset's) is then decoded once; a large one (ImageNet) fills the cache and decodes the rest
    on every read. Each DataLoader worker process holds its own cache. Whoever gets a value must
    not change it in place.
    """

    def __init__(self, load: Callable[[Any], Any], max_bytes: int) -> None:
        self.load, self.max_bytes = load, max_bytes
        self.used = 0
        self.values: dict[Hashable, Any] = {}

    def __call__(self, key: Hashable) -> Any:
        if key in self.values:
            return self.values[key]
        value = self.load(key)
        if self.used + value.nbytes <= self.max_bytes:
            self.values[key] = value
            self.used += value.nbytes
        return value
