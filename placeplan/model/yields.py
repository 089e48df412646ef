"""Pupils from housing: yields by dwelling mix, shaped by a profile over time since completion."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from placeplan.model.completions import site_completions
from placeplan.model.constants import PHASES
from placeplan.model.util import cached_on

if TYPE_CHECKING:
    from placeplan.model.index import RegionIndex
    from placeplan.model.region import Assumptions, Region

__all__ = ["DIMENSIONS", "mix_shares", "yield_table", "site_yields", "profile_matrix", "lag_operator",
           "housing_pupils", "lag", "region_site_yields", "all_dwellings_yields", "site_pupils"]

#: Categories of each published split of yield, and the site columns giving its shares.
DIMENSIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "type": (("house", "flat"), ("share_houses", "share_flats")),
    "tenure": (("affordable", "market"), ("affordable_share", "market_share")),
    "bedrooms": (("1", "2", "3", "4+"), ("share_1bed", "share_2bed", "share_3bed", "share_4bed")),
}


def mix_shares(sites: pd.DataFrame, dimension: str) -> np.ndarray:
    """Return each site's shares of the categories of ``dimension``, NaN rows where unknown.

    Shares are normalised to sum to 1; the complement columns (flats, market) are derived.
    """
    cats, cols = DIMENSIONS[dimension]
    n = len(sites)
    if dimension in ("type", "tenure"):
        col = cols[0]
        first = sites[col].to_numpy(dtype=float) if col in sites else np.full(n, np.nan)
        shares = np.column_stack([first, 1.0 - first])
    else:
        shares = np.column_stack(
            [sites[c].to_numpy(dtype=float) if c in sites else np.full(n, np.nan) for c in cols]
        )
    total = shares.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(total > 0, shares / total, np.nan)
    return shares


def yield_table(yields: pd.DataFrame) -> dict[tuple[str, str, str], float]:
    """Index the long ``yields`` table by (phase, dimension, category)."""
    keys = zip(yields["phase"], yields["dimension"], yields["category"].astype(str))
    return dict(zip(keys, yields["pupils_per_dwelling"].astype(float)))


def site_yields(
    sites: pd.DataFrame,
    yields: pd.DataFrame,
    basis: str = "bedrooms",
    multipliers: dict | None = None,
) -> np.ndarray:
    """Return pupils per dwelling of each site and phase, shape (S, len(PHASES)).

    A phase with its own values for the chosen split uses them, weighted by the site's
    mix.  Otherwise its all-dwellings yield is scaled by the primary split's ratio to the
    primary all-dwellings yield (DfE publishes the splits for primary only).  A site whose
    mix is unknown takes the all-dwellings yield.
    """
    table = yield_table(yields)
    multipliers = multipliers or {}
    n = len(sites)
    out = np.zeros((n, len(PHASES)))
    shares = None
    cats: tuple[str, ...] = ()
    if basis != "all":
        cats = DIMENSIONS[basis][0]
        shares = mix_shares(sites, basis)
    primary_all = table.get(("primary", "all", "all"), np.nan)
    primary_cats = np.array([table.get(("primary", basis, c), np.nan) for c in cats])
    for p, phase in enumerate(PHASES):
        base = table.get((phase, "all", "all"), 0.0)
        value = np.full(n, base)
        if shares is not None:
            own = np.array([table.get((phase, basis, c), np.nan) for c in cats])
            if np.all(np.isfinite(own)):
                mixed = shares @ own
            elif np.all(np.isfinite(primary_cats)) and primary_all > 0:
                mixed = base * (shares @ primary_cats) / primary_all
            else:
                mixed = value
            value = np.where(np.isfinite(mixed), mixed, value)
        out[:, p] = value * float(multipliers.get(phase, 1.0))
    return out


def profile_matrix(profile: pd.DataFrame, n_years: int) -> np.ndarray:
    """Return yield multipliers by phase and years since completion, shape (P, n_years).

    Years beyond the last given hold its value; a phase without a profile has 1.
    """
    out = np.ones((len(PHASES), n_years))
    for p, phase in enumerate(PHASES):
        rows = profile[profile["phase"] == phase].sort_values("years_since_completion")
        if rows.empty:
            continue
        k = rows["years_since_completion"].to_numpy(dtype=int)
        v = rows["multiplier"].to_numpy(dtype=float)
        idx = np.arange(n_years)
        out[p] = np.interp(idx, k, v, left=v[0], right=v[-1])
    return out


def lag_operator(profile: np.ndarray) -> np.ndarray:
    """Return T with ``T[p, c, t] = profile[p, t - c - 1]`` for ``t > c``, else 0.

    DfE counts a home's pupils from the January after the 31 August following its
    completion, so homes completed in academic year c first yield pupils in c + 1.
    """
    n_phase, n_years = profile.shape
    c = np.arange(n_years)[:, None]
    t = np.arange(n_years)[None, :]
    lag = t - c - 1
    valid = lag >= 0
    return np.where(valid[None], profile[:, np.clip(lag, 0, None)], 0.0)


def housing_pupils(built: np.ndarray, site_yield: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Return pupils living in each site's new homes, shape (S, P, Y).

    Parameters
    ----------
    built : (..., S, Y) array
        Completions; a leading draws axis is allowed.
    site_yield : (..., S, P) array
    lag : (P, Y, Y) array from :func:`lag_operator`

    Returns
    -------
    (..., S, P, Y) array

    Notes
    -----
    ``pupils[s, p, t] = yield[s, p] * sum_c built[s, c] * profile[p, t - c - 1]``.
    """
    return np.einsum("...sc,pct->...spt", built, lag, optimize=True) * site_yield[..., :, :, None]


def lag(region: Region, n_years: int) -> np.ndarray:
    """The region's :func:`lag_operator` for ``n_years`` (cached on its yield profile)."""
    return cached_on((region.yield_profile,), ("lag", n_years),
                     lambda: lag_operator(profile_matrix(region.yield_profile, n_years)))


def region_site_yields(region: Region, a: Assumptions) -> np.ndarray:
    """Pupils per dwelling of each of the region's sites and phase, (S, P), on ``a``'s basis."""
    return site_yields(region.sites, region.yields, a.yield_basis, a.yield_multipliers)


def all_dwellings_yields(region: Region, a: Assumptions) -> np.ndarray:
    """Pupils per dwelling of each phase for dwellings of unknown mix, (P,) (cached)."""
    return cached_on((region.yields,), ("all_yields", json.dumps(a.yield_multipliers, sort_keys=True)),
                     lambda: site_yields(pd.DataFrame(index=[0]), region.yields, "all", a.yield_multipliers)[0])


def site_pupils(region: Region, idx: RegionIndex, a: Assumptions, delay: int = 0):
    """Dwellings (S,), completions (S, Y), yields (S, P) and pupils (S, P, Y) of the
    region's sites: :func:`~placeplan.model.completions.site_completions` then
    :func:`housing_pupils`. ``delay`` moves every site's start that many years later."""
    dwellings, built = site_completions(region, idx.councils, idx.years, a, delay)
    yields = region_site_yields(region, a)
    return dwellings, built, yields, housing_pupils(built, yields, lag(region, len(idx.years)))
