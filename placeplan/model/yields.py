"""Pupils from housing: yields by dwelling mix, shaped by a profile over time since completion."""

from __future__ import annotations

import numpy as np
import pandas as pd

from placeplan.model.constants import PHASES

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

    ``pupils[s, p, t] = yield[s, p] * sum_c built[s, c] * profile[p, t - c - 1]``.
    """
    return np.einsum("sc,pct->spt", built, lag, optimize=True) * site_yield[:, :, None]
