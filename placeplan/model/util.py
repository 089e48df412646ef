"""Small helpers shared by the layers."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
import pandas as pd

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 256
_CACHE_LOCK = threading.Lock()


def cached_on(key_objects: tuple, params: tuple, compute):
    """Memoise on the identity of the input frames and on params (least recently used out).

    Frames are never changed in place (scenarios make new ones), so identity is content;
    the entry keeps its frames alive so an id is never reused while cached.
    """
    key = tuple(id(o) for o in key_objects) + params
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and all(x is y for x, y in zip(hit[0], key_objects)):
            _CACHE.move_to_end(key)
            return hit[1]
    value = compute()
    with _CACHE_LOCK:
        _CACHE[key] = (key_objects, value)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def member(values, pool) -> np.ndarray:
    """Boolean array: which ``values`` are in ``pool``, by hashing.

    pandas' ``isin`` on Arrow-backed strings turns every pool value into a Python scalar
    first, which takes seconds for the 50,000 site ids of a national region.
    """
    index = pd.Index(pd.unique(np.asarray(list(pool) if isinstance(pool, (set, frozenset)) else pool, dtype=object)))
    return index.get_indexer(np.asarray(values, dtype=object)) >= 0
