"""Small helpers shared by the layers."""

from __future__ import annotations

import numpy as np
import pandas as pd


def member(values, pool) -> np.ndarray:
    """Boolean array: which ``values`` are in ``pool``, by hashing.

    pandas' ``isin`` on Arrow-backed strings turns every pool value into a Python scalar
    first, which takes seconds for the 50,000 site ids of a national region.
    """
    index = pd.Index(pd.unique(np.asarray(list(pool) if isinstance(pool, (set, frozenset)) else pool, dtype=object)))
    return index.get_indexer(np.asarray(values, dtype=object)) >= 0
