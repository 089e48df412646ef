"""Flows of pupils from the planning area they live in to schools in another."""

from __future__ import annotations

import numpy as np
import pandas as pd


def flow_matrix(flows: pd.DataFrame, codes: pd.Index, phase: str) -> np.ndarray:
    """Return F with ``F[i, j]`` the share of pupils living in area i who attend area j.

    Rows not given in ``flows`` keep all their pupils (``F[i, i] = 1``); a row's given
    shares leave the remainder at home, so every row sums to 1 and flows conserve pupils.
    """
    n = len(codes)
    out = np.zeros((n, n))
    rows = flows[flows["phase"] == phase] if not flows.empty else flows
    if len(rows):
        i = codes.get_indexer(rows["from_planning_area"])
        j = codes.get_indexer(rows["to_planning_area"])
        keep = (i >= 0) & (j >= 0) & (i != j)
        np.add.at(out, (i[keep], j[keep]), rows["share"].to_numpy(dtype=float)[keep])
    out[np.arange(n), np.arange(n)] += 1.0 - out.sum(axis=1)
    return out


def apply_flows(resident: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Move pupils by area of residence (axis 0) to area of school: ``F.T @ resident``."""
    return np.tensordot(matrix.T, resident, axes=(1, 0))
