"""Resident children: the population the population-based baseline projects.

Zones' children by single year of age are aged forward with each council's cohort
change ratios (survival and net migration, damped) and births held or trended, then
summed into planning areas by the zones' shares.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from placeplan.model.constants import AGE_OFFSET, MAX_AGE, N_NCY
from placeplan.model.geography import area_sum, zone_weights

if TYPE_CHECKING:
    from placeplan.model.index import RegionIndex
    from placeplan.model.region import Assumptions, Region

__all__ = ["POP_COLUMNS", "age_population", "damp", "trend_births", "cohort_ratios", "births_growth",
           "resident_children", "resident_by_area"]

POP_COLUMNS = [f"pop_{a}" for a in range(MAX_AGE + 1)]


def age_population(
    base: np.ndarray,
    change_ratio: np.ndarray,
    births: np.ndarray,
) -> np.ndarray:
    """Age a population by single year of age forward one year at a time.

    ``P[a+1, m+1] = P[a, m] * change_ratio[a]``; age 0 in each later year comes from
    ``births``.

    Parameters
    ----------
    base : (Z, A) array
        Population by zone and single year of age 0..A-1 at the base mid-year.
    change_ratio : (Z, A-1) array
        Cohort change ratio (survival and net migration) from age a to a+1.
    births : (Z, H) array
        Age-0 population in each later mid-year.

    Returns
    -------
    (Z, A, H+1) array; index 0 is the base year.
    """
    base = np.asarray(base, dtype=float)
    n_zone, n_age = base.shape
    horizon = births.shape[1]
    out = np.empty((n_zone, n_age, horizon + 1))
    out[:, :, 0] = base
    for m in range(1, horizon + 1):
        out[:, 1:, m] = out[:, :-1, m - 1] * change_ratio
        out[:, 0, m] = births[:, m - 1]
    return out


def damp(ratio: np.ndarray, damping: float) -> np.ndarray:
    """Return ``1 + damping * (ratio - 1)``: 1 is ageing alone, 0 keeps no migration."""
    return 1.0 + damping * (np.nan_to_num(ratio, nan=1.0) - 1.0)


def trend_births(series: np.ndarray, years: np.ndarray, future: np.ndarray, window: int = 5) -> np.ndarray:
    """Extend each row of a births series by a least-squares line over its last ``window`` years.

    Parameters
    ----------
    series : (C, T) array
    years : (T,) array
    future : (H,) array of years to project

    Returns
    -------
    (C, H) array, never negative.
    """
    x = np.asarray(years[-window:], dtype=float)
    y = np.asarray(series[:, -window:], dtype=float)
    xm = x.mean()
    slope = ((x - xm) * (y - y.mean(axis=1, keepdims=True))).sum(axis=1) / ((x - xm) ** 2).sum()
    level = y.mean(axis=1)
    return np.clip(level[:, None] + slope[:, None] * (np.asarray(future, dtype=float)[None, :] - xm), 0, None)


def cohort_ratios(cohort_change: pd.DataFrame, councils: pd.Index) -> np.ndarray:
    """Cohort change ratio (survival and net migration) per council from age a to a+1,
    (C, MAX_AGE); 1 where none is given."""
    ratio = np.ones((len(councils), MAX_AGE))
    if not cohort_change.empty:
        ci = councils.get_indexer(cohort_change["council_code"].astype(str))
        ages = cohort_change["age"].to_numpy(dtype=int)
        ok = (ci >= 0) & (ages >= 0) & (ages < MAX_AGE)
        ratio[ci[ok], ages[ok]] = cohort_change["ratio"].to_numpy(dtype=float)[ok]
    return ratio


def births_growth(region: Region, councils: pd.Index, a: Assumptions) -> np.ndarray | None:
    """Births in each later mid-year relative to the base year per council, (C, H), from a
    least-squares trend of the births series; None when births are held."""
    if a.births != "trend" or region.births.empty:
        return None
    b = region.births.pivot_table(index="council_code", columns="year", values="births", aggfunc="sum")
    b = b.reindex(councils)
    series = b.to_numpy(dtype=float)
    known = np.all(np.isfinite(series), axis=1)
    mid_years = region.base_year + np.arange(0, a.horizon + 1)
    fitted = trend_births(np.nan_to_num(series), b.columns.to_numpy(dtype=int), mid_years)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(known[:, None] & (fitted[:, :1] > 0), fitted[:, 1:] / fitted[:, :1], 1.0)


def resident_children(region: Region, idx: RegionIndex, a: Assumptions) -> np.ndarray:
    """Projected resident children by zone, single year of age and mid-year, (Z, 19, H+1)."""
    zones = region.zones
    base = zones[POP_COLUMNS].to_numpy(dtype=float)
    zc = idx.councils.get_indexer(zones["council_code"].astype(str))
    ratio = damp(cohort_ratios(region.cohort_change, idx.councils), a.migration_damping)[zc]
    growth = births_growth(region, idx.councils, a)
    births = np.repeat(base[:, :1], a.horizon, axis=1) if growth is None else base[:, :1] * growth[zc]
    return age_population(base, ratio, births)


def resident_by_area(region: Region, idx: RegionIndex, a: Assumptions):
    """Zone weights (Z, A) or None, and resident children of each NCY's age by planning
    area, (A, G, H+1) (zeros without zones)."""
    if region.zones.empty:
        return None, np.zeros((len(idx.areas), N_NCY, a.horizon + 1))
    zw = zone_weights(region, idx.areas)
    resident = resident_children(region, idx, a)
    return zw, area_sum(zw, resident[:, np.arange(N_NCY) + AGE_OFFSET, :])
