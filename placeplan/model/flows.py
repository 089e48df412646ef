"""Flows of pupils from the planning area they live in to schools in another."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from placeplan.model.util import cached_on

if TYPE_CHECKING:
    from placeplan.model.region import Region

__all__ = ["flow_matrix", "apply_flows", "flows_operator"]


def flow_matrix(flows: pd.DataFrame, codes: pd.Index, phase: str) -> sparse.csr_matrix:
    """Return F with ``F[i, j]`` the share of pupils living in area i who attend area j (sparse).

    Rows not given in ``flows`` keep all their pupils (``F[i, i] = 1``); a row's given
    shares leave the remainder at home, so every row sums to 1 and flows conserve pupils.
    """
    n = len(codes)
    rows = flows[flows["phase"] == phase] if len(flows) else flows
    i = j = np.zeros(0, dtype=int)
    v = np.zeros(0)
    if len(rows):
        i = codes.get_indexer(rows["from_planning_area"])
        j = codes.get_indexer(rows["to_planning_area"])
        keep = (i >= 0) & (j >= 0) & (i != j)
        i, j, v = i[keep], j[keep], rows["share"].to_numpy(dtype=float)[keep]
    leaving = np.bincount(i, weights=v, minlength=n)
    diag = np.arange(n)
    return sparse.csr_matrix((np.concatenate([v, 1.0 - leaving]), (np.concatenate([i, diag]), np.concatenate([j, diag]))),
                             shape=(n, n))


def apply_flows(resident: np.ndarray, matrix) -> np.ndarray:
    """Move pupils by area of residence (axis 0) to area of school: ``F.T @ resident``.

    The Monte Carlo applies the same matrix to (area, year) columns as ``kron(F, I_Y)``.
    """
    flat = resident.reshape(resident.shape[0], -1)
    return np.asarray(matrix.T @ flat).reshape(resident.shape)


def flows_operator(region: Region, areas: pd.Index) -> sparse.csr_matrix:
    """The region's flow matrix over all planning areas (cached on its flows and areas).

    Planning-area codes are unique across phases, so one matrix carries both phases.
    """

    def compute():
        if region.flows.empty:
            return sparse.identity(len(areas), format="csr")
        return flow_matrix(region.flows.assign(phase="all"), areas, "all")

    return cached_on((region.flows, region.planning_areas), ("flows",), compute)
