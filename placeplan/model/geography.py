"""Placing sites and zones in planning areas by location."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from placeplan.model.constants import AREA_PHASE_OF, AREA_PHASES, N_NCY, PHASE_NCY, PHASES
from placeplan.model.util import cached_on, member

if TYPE_CHECKING:
    from placeplan.model.region import Region

__all__ = ["PLACEMENT_COLUMNS", "place", "weight_matrix", "area_sum", "site_weights", "zone_weights",
           "school_phases", "area_pupils", "site_area_operator", "placement_summary", "placement_warnings",
           "placement_in_words"]

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


def site_weights(region: Region, areas: pd.Index) -> dict[str, sparse.csr_matrix]:
    """Sparse (S, A) shares of each site's dwellings by planning area, per area phase (cached)."""
    ids = region.sites["site_id"].to_numpy(dtype=object)

    def compute():
        index = pd.Index(ids.astype(str))
        return {ph: weight_matrix(region.site_areas, index, areas, ph) for ph in AREA_PHASES}

    return cached_on((region.site_areas, region.planning_areas), ("weights", hash(tuple(ids))), compute)


def zone_weights(region: Region, areas: pd.Index) -> sparse.csr_matrix:
    """Sparse (Z, A) share of each zone's children in each planning area (both phases, cached)."""

    def compute():
        ids = pd.Index(region.zones["zone_code"].astype(str))
        return (weight_matrix(region.zone_areas, ids, areas, "primary")
                + weight_matrix(region.zone_areas, ids, areas, "secondary")).tocsr()

    return cached_on((region.zones, region.zone_areas, region.planning_areas), ("zone_weights",), compute)


def school_phases() -> dict[str, list[int]]:
    """Pupil phases (positions in ``PHASES``) each planning-area phase holds: primary areas
    primary pupils, secondary areas secondary and sixth-form pupils. Early years and SEND
    have no NCY and are not placed."""
    return {ph: [p for p, phase in enumerate(PHASES) if phase in PHASE_NCY and AREA_PHASE_OF[phase] == ph]
            for ph in AREA_PHASES}


def area_pupils(pupils: np.ndarray, weights: dict[str, sparse.spmatrix]) -> np.ndarray:
    """Pupils from housing by planning area of residence, year and NCY.

    Parameters
    ----------
    pupils : (S, P, Y) array
        Pupils of each site, phase and year (:func:`placeplan.model.yields.housing_pupils`).
    weights : dict of sparse (S, A)
        :func:`site_weights`.

    Returns
    -------
    (A, Y, G) array

    Notes
    -----
    ``out[a, t, g] = sum_s W[s, a] * pupils[s, p(g), t] / n(p(g))``: a phase's pupils are
    spread evenly over its ``n`` NCYs (primary 7, secondary 5, sixth form 2).
    """
    n_area = next(iter(weights.values())).shape[1]
    out = np.zeros((n_area, pupils.shape[2], N_NCY))
    for ph, members in school_phases().items():
        for p in members:
            lo, hi = PHASE_NCY[PHASES[p]]
            out[:, :, lo:hi] += np.asarray(weights[ph].T @ pupils[:, p, :])[:, :, None] / (hi - lo)
    return out


def site_area_operator(pupils: np.ndarray, weights: dict[str, sparse.spmatrix]) -> sparse.csr_matrix:
    """Each site's pupils by planning area and year, sparse (S, A*Y): the linear form of
    :func:`area_pupils` summed over NCYs, one row per site.

    ``ones(S) @ site_area_operator(pupils, w)`` equals ``area_pupils(pupils, w).sum(axis=2)``
    flattened; the Monte Carlo multiplies it by a (S, draws) matrix of which sites are built.
    """
    n_site, _, n_year = pupils.shape
    n_area = next(iter(weights.values())).shape[1]
    year = np.arange(n_year)
    rows, cols, vals = [], [], []
    for ph, members in school_phases().items():
        w = weights[ph].tocoo()
        per_site = pupils[:, members, :].sum(axis=1)
        rows.append(np.repeat(w.row, n_year))
        cols.append((w.col[:, None] * n_year + year[None, :]).ravel())
        vals.append((w.data[:, None] * per_site[w.row]).ravel())
    return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(n_site, n_area * n_year))


def placement_summary(region: Region) -> pd.DataFrame:
    """Main planning area of each site per phase, and how it was placed (cached)."""

    def compute():
        sa = region.site_areas
        out = pd.DataFrame(index=pd.Index(sa["id"].unique(), name="site_id"))
        for phase in AREA_PHASES:
            rows = sa[sa["phase"] == phase].sort_values("share", ascending=False).drop_duplicates("id")
            out[f"{phase}_planning_area"] = rows.set_index("id")["planning_area_code"].reindex(out.index)
        # The methods each site was placed by, joined: a few kinds, so one pass per kind.
        label = np.full(len(out), "", dtype=object)
        for method in sorted(sa["method"].unique()):
            has = member(out.index, sa.loc[sa["method"] == method, "id"])
            label = np.where(has, np.where(label == "", method, label + "," + method), label)
        out["placement"] = label
        return out

    return cached_on((region.site_areas,), ("placement",), compute)


def placement_warnings(region: Region) -> list[str]:
    """One line per site placed in the nearest planning area because it lies outside all (cached)."""

    def compute():
        if region.site_areas.empty:
            return []
        near = region.site_areas[region.site_areas["method"] == "nearest"].drop_duplicates("id")
        return [
            f"site {row.id}: outside every {row.phase} planning area; placed in the nearest, "
            f"{row.planning_area_code} ({row.distance_m:,.0f} m away)"
            for row in near.itertuples()
        ]

    return list(cached_on((region.site_areas,), ("warnings",), compute))


def placement_in_words(region: Region, site_id: str) -> str:
    """Where a site's dwellings go, by planning-area name and phase, e.g. ``"Milton Keynes:
    Woughton (primary) and Milton Keynes: Bletchley (secondary)"``; a site split between
    areas names each with its share; "" for a site not placed."""
    sa = region.site_areas
    rows = sa[sa["id"].astype(str) == str(site_id)] if len(sa) else sa
    names = dict(zip(region.planning_areas["planning_area_code"].astype(str), region.planning_areas["planning_area"]))
    parts = []
    for phase in AREA_PHASES:
        mine = rows[rows["phase"] == phase].sort_values("share", ascending=False)
        if len(mine):
            areas = [names.get(str(c), str(c)) + (f" {s:.0%}" if len(mine) > 1 else "")
                     for c, s in zip(mine["planning_area_code"], mine["share"])]
            parts.append(f"{', '.join(areas)} ({phase})")
    return " and ".join(parts)
