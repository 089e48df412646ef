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
           "housing_pupils", "lag", "region_site_yields", "region_yield_basis", "all_dwellings_yields", "site_pupils"]

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


#: Dwelling-size splits, most detailed first: a site takes the first it has a mix for.
SIZE_ORDER = ("bedrooms", "type")
#: Defaults of the long-run tail of the yield profile (DOMAIN.md: a new estate's age profile
#: converges with its surroundings within about 30 years of completion).
CONVERGENCE_YEARS = 30
LONG_RUN_MULTIPLIER = 1.0


def _split_yields(table: dict, phase: str, dimension: str, shares: np.ndarray) -> np.ndarray:
    """Mix-weighted yield of ``phase`` on one split (S,), NaN where the mix is unknown.

    A phase without its own values for the split takes its all-dwellings yield scaled by
    the primary split's ratio to the primary all-dwellings yield.
    """
    cats = DIMENSIONS[dimension][0]
    base = table.get((phase, "all", "all"), 0.0)
    own = np.array([table.get((phase, dimension, c), np.nan) for c in cats])
    if np.all(np.isfinite(own)):
        return shares @ own
    primary_all = table.get(("primary", "all", "all"), np.nan)
    primary = np.array([table.get(("primary", dimension, c), np.nan) for c in cats])
    if np.all(np.isfinite(primary)) and primary_all > 0:
        return base * (shares @ primary) / primary_all
    return np.full(len(shares), np.nan)


def site_yields(
    sites: pd.DataFrame,
    yields: pd.DataFrame,
    basis: str = "bedrooms",
    multipliers: dict | None = None,
    return_basis: bool = False,
):
    """Return pupils per dwelling of each site and phase, shape (S, len(PHASES)).

    Each site uses the most detailed mix it records: with ``basis`` ``"bedrooms"`` (the
    default) its bedroom mix where known, else its houses/flats mix; ``"type"`` prefers
    houses/flats to bedrooms.  A known tenure mix then scales the size-based yield by the
    tenure split's ratio to the all-dwellings yield (tenure alone where no size mix is
    known).  Only a site with no mix known takes the all-dwellings yield.  ``"tenure"``
    uses tenure alone, ``"all"`` the all-dwellings yield for every site.

    Parameters
    ----------
    return_basis : bool
        Also return the basis used per site, an (S,) array of labels such as
        ``"bedrooms"``, ``"type"``, ``"type+tenure"``, ``"tenure"`` or ``"all"``.

    Notes
    -----
    DfE publishes the splits one at a time, not jointly; combining a size split with the
    tenure split multiplies them as if they were independent, which overstates the
    difference where affordable homes are also the smaller ones.
    """
    if basis not in ("all", "tenure") + SIZE_ORDER:
        raise ValueError(f"yield basis must be one of {('all', 'tenure') + SIZE_ORDER}, not {basis!r}")
    table = yield_table(yields)
    multipliers = multipliers or {}
    n = len(sites)
    sizes = () if basis in ("all", "tenure") else (basis,) + tuple(d for d in SIZE_ORDER if d != basis)
    share = {d: mix_shares(sites, d) for d in sizes + (() if basis == "all" else ("tenure",))}
    known = {d: np.all(np.isfinite(v), axis=1) for d, v in share.items()}
    label = np.full(n, "all", dtype=object)
    size_known = np.zeros(n, dtype=bool)
    for d in sizes:  # the first size split known wins
        label = np.where(~size_known & known[d], d, label)
        size_known |= known[d]
    tenure = known.get("tenure", np.zeros(n, dtype=bool))
    label = np.where(tenure & size_known, label + "+tenure", np.where(tenure, "tenure", label))
    out = np.zeros((n, len(PHASES)))
    for p, phase in enumerate(PHASES):
        base = table.get((phase, "all", "all"), 0.0)
        value = np.full(n, base)
        for d in reversed(sizes):  # the preferred split written last
            mixed = _split_yields(table, phase, d, np.nan_to_num(share[d]))
            value = np.where(known[d] & np.isfinite(mixed), mixed, value)
        if "tenure" in share and base > 0:
            mixed = _split_yields(table, phase, "tenure", np.nan_to_num(share["tenure"]))
            value = np.where(tenure & np.isfinite(mixed), value * mixed / base, value)
        out[:, p] = value * float(multipliers.get(phase, 1.0))
    return (out, label.astype(str)) if return_basis else out


def profile_matrix(
    profile: pd.DataFrame,
    n_years: int,
    long_run: float | dict | None = LONG_RUN_MULTIPLIER,
    converge_years: float | dict | None = CONVERGENCE_YEARS,
) -> np.ndarray:
    """Return yield multipliers by phase and years since completion, shape (P, n_years).

    Within the table, years are interpolated.  After its last year ``K`` the multiplier
    moves in a straight line from the last value ``v`` to the long-run value ``L``, reached
    ``converge_years`` years after completion (DOMAIN.md: about 30), and stays there:
    ``m[k] = v + (L - v) * min(1, (k - K) / (converge_years - K))``.  ``long_run=None``
    holds the last value for ever (the former rule).  ``long_run`` and ``converge_years``
    may be dicts by phase.  A phase without a profile has 1.
    """
    out = np.ones((len(PHASES), n_years))
    idx = np.arange(n_years)
    for p, phase in enumerate(PHASES):
        rows = profile[profile["phase"] == phase].sort_values("years_since_completion")
        if rows.empty:
            continue
        k = rows["years_since_completion"].to_numpy(dtype=int)
        v = rows["multiplier"].to_numpy(dtype=float)
        out[p] = np.interp(idx, k, v, left=v[0], right=v[-1])
        target = long_run.get(phase) if isinstance(long_run, dict) else long_run
        if target is None:
            continue
        horizon = converge_years.get(phase, CONVERGENCE_YEARS) if isinstance(converge_years, dict) else converge_years
        span = max(float(horizon if horizon is not None else CONVERGENCE_YEARS) - k[-1], 1.0)
        frac = np.clip((idx - k[-1]) / span, 0.0, 1.0)
        out[p] = np.where(idx > k[-1], v[-1] + (float(target) - v[-1]) * frac, out[p])
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
    """The region's :func:`lag_operator` for ``n_years`` (cached on its yield profile): the
    profile's tail converges to :data:`LONG_RUN_MULTIPLIER` by :data:`CONVERGENCE_YEARS`
    after completion (:func:`profile_matrix`)."""
    return cached_on((region.yield_profile,), ("lag", n_years, LONG_RUN_MULTIPLIER, CONVERGENCE_YEARS),
                     lambda: lag_operator(profile_matrix(region.yield_profile, n_years, long_run=LONG_RUN_MULTIPLIER,
                                                         converge_years=CONVERGENCE_YEARS)))


def _region_yields(region: Region, a: Assumptions) -> tuple[np.ndarray, np.ndarray]:
    """Yields (S, P) and basis labels (S,) of the region's sites, cached on its sites and
    yield tables and ``a``'s basis and multipliers; read-only (shared by every forecast)."""
    def compute():
        out = site_yields(region.sites, region.yields, a.yield_basis, a.yield_multipliers, return_basis=True)
        for arr in out:
            arr.flags.writeable = False
        return out
    return cached_on((region.sites, region.yields),
                     ("site_yields", a.yield_basis, json.dumps(a.yield_multipliers, sort_keys=True)), compute)


def region_site_yields(region: Region, a: Assumptions) -> np.ndarray:
    """Pupils per dwelling of each of the region's sites and phase, (S, P), on ``a``'s basis
    (cached, read-only)."""
    return _region_yields(region, a)[0]


def region_yield_basis(region: Region, a: Assumptions) -> np.ndarray:
    """The mix each site's yield rests on, (S,) labels (``"bedrooms"``, ``"type+tenure"``, ``"all"``...)."""
    return _region_yields(region, a)[1]


def all_dwellings_yields(region: Region, a: Assumptions) -> np.ndarray:
    """Pupils per dwelling of each phase for dwellings of unknown mix, (P,) (cached)."""
    return cached_on((region.yields,), ("all_yields", json.dumps(a.yield_multipliers, sort_keys=True)),
                     lambda: site_yields(pd.DataFrame(index=[0]), region.yields, "all", a.yield_multipliers)[0])


def site_pupils(region: Region, idx: RegionIndex, a: Assumptions, delay: int = 0, netted: bool = True):
    """Dwellings (S,), completions (S, Y), yields (S, P) and pupils (S, P, Y) of the
    region's sites: :func:`~placeplan.model.completions.site_completions` then
    :func:`housing_pupils` of the completions net of background (``netting``; the
    completions returned are whole). ``delay`` moves every site's start that many years later;
    ``netted=False`` gives the pupils of every home built (what contributions are shared by)."""
    def compute():
        dwellings, built, counted = site_completions(region, idx.councils, idx.years, a, delay)
        yields = region_site_yields(region, a)
        out = dwellings, built, yields, housing_pupils(counted if netted else built, yields, lag(region, len(idx.years)))
        for arr in out:
            arr.flags.writeable = False  # shared by every forecast of these inputs
        return out
    # cached on every input it reads: the region's frames and the settings the steps use
    params = ("site_pupils", delay, netted, tuple(idx.years.tolist()), tuple(idx.councils), a.delay_years,
              a.build_rate_multiplier, a.netting, a.migration_damping, a.baseline_method, a.yield_basis,
              json.dumps(a.yield_multipliers, sort_keys=True))
    return cached_on((region.sites, region.trajectories, region.background_rates, region.yields, region.yield_profile),
                     params, compute)
