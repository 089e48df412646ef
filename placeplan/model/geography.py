"""Placing sites and zones in planning areas by location."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from placeplan.model.constants import AREA_PHASES
from placeplan.model.util import member

PLACEMENT_COLUMNS = ["id", "phase", "planning_area_code", "share", "method", "distance_m"]


def place(
    features: gpd.GeoDataFrame,
    planning_areas: gpd.GeoDataFrame,
    id_column: str,
) -> pd.DataFrame:
    """Share each feature among the planning areas of each phase by location.

    A point goes to the area that contains it.  A polygon is split by the share of its
    area in each planning area (areal weighting, as in tobler), so a site straddling a
    council border sends its dwellings to both sides.  A feature outside every area of a
    phase goes wholly to the nearest one and is marked ``method="nearest"`` with the
    distance, so callers can warn.

    Returns
    -------
    DataFrame with columns ``id, phase, planning_area_code, share, method, distance_m``;
    the shares of each feature and phase sum to 1.
    """
    frames = []
    if features.empty:
        return pd.DataFrame(columns=PLACEMENT_COLUMNS)
    feats = features[[id_column, "geometry"]].rename(columns={id_column: "id"})
    feats = feats[feats.geometry.notna() & ~feats.geometry.is_empty]
    is_poly = feats.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    polys = feats[is_poly]
    points = feats[~is_poly].copy()
    points["geometry"] = points.geometry.representative_point()
    for phase in AREA_PHASES:
        areas = planning_areas.loc[
            (planning_areas["phase"] == phase) & planning_areas.geometry.notna(), ["planning_area_code", "geometry"]
        ]
        if areas.empty:
            continue
        placed = []
        if not points.empty:
            hit = gpd.sjoin(points, areas, how="inner", predicate="within")
            hit = hit.drop_duplicates("id")
            placed.append(
                pd.DataFrame(
                    {"id": hit["id"], "planning_area_code": hit["planning_area_code"], "share": 1.0, "method": "within"}
                )
            )
        if not polys.empty:
            polys_area = polys.assign(_area=polys.geometry.area)
            inter = gpd.overlay(polys_area, areas, how="intersection", keep_geom_type=True)
            if not inter.empty:
                inter["share"] = inter.geometry.area / inter["_area"]
                inter = inter[inter["share"] > 1e-9]
                total = inter.groupby("id")["share"].transform("sum")
                inter["share"] = inter["share"] / total
                placed.append(
                    pd.DataFrame(
                        {
                            "id": inter["id"],
                            "planning_area_code": inter["planning_area_code"],
                            "share": inter["share"],
                            "method": np.where(inter["share"] < 1 - 1e-9, "overlap", "within"),
                        }
                    )
                )
        done = pd.concat(placed, ignore_index=True) if placed else pd.DataFrame(columns=PLACEMENT_COLUMNS[:-1])
        done["distance_m"] = 0.0
        missing = feats[~member(feats["id"], done["id"])]
        if not missing.empty:
            near = gpd.sjoin_nearest(missing, areas, how="inner", distance_col="distance_m")
            near = near.drop_duplicates("id")
            done = pd.concat(
                [
                    done,
                    pd.DataFrame(
                        {
                            "id": near["id"],
                            "planning_area_code": near["planning_area_code"],
                            "share": 1.0,
                            "method": "nearest",
                            "distance_m": near["distance_m"],
                        }
                    ),
                ],
                ignore_index=True,
            )
        done["phase"] = phase
        frames.append(done)
    out = pd.concat(frames, ignore_index=True)[PLACEMENT_COLUMNS]
    out["share"] = out["share"].astype(float)
    out["distance_m"] = out["distance_m"].astype(float)
    return out.sort_values(["phase", "id", "planning_area_code"], kind="stable").reset_index(drop=True)


def weight_matrix(placement: pd.DataFrame, ids: pd.Index, codes: pd.Index, phase: str) -> sparse.csr_matrix:
    """Sparse (len(ids), len(codes)) matrix of shares for one phase: each feature reaches few areas."""
    rows = placement[placement["phase"] == phase] if len(placement) else placement
    if not len(rows):
        return sparse.csr_matrix((len(ids), len(codes)))
    i = ids.get_indexer(rows["id"])
    j = codes.get_indexer(rows["planning_area_code"])
    keep = (i >= 0) & (j >= 0)
    values = rows["share"].to_numpy(dtype=float)[keep]
    return sparse.csr_matrix((values, (i[keep], j[keep])), shape=(len(ids), len(codes)))


def area_sum(weights: sparse.spmatrix, values: np.ndarray) -> np.ndarray:
    """Sum features' values into areas: ``out[a, ...] = sum_f weights[f, a] * values[f, ...]``."""
    flat = np.asarray(values).reshape(values.shape[0], -1)
    return np.asarray(weights.T @ flat).reshape((weights.shape[1],) + values.shape[1:])
