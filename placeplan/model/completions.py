"""Completions: dwellings completed per site per academic year."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from placeplan.model.region import Assumptions, Region

__all__ = ["completions", "net_of_background", "site_inputs", "background", "netting_rate", "site_completions",
           "paid_share", "trend_background", "netting_warning", "region_netting_warning", "EXCLUDED_STATUSES"]

#: Planning statuses whose dwellings are already in the base year's pupils.
EXCLUDED_STATUSES = ("completed",)


def completions(
    dwellings: np.ndarray,
    first_year: np.ndarray,
    build_rate: np.ndarray,
    years: np.ndarray,
    trajectory: np.ndarray | None = None,
) -> np.ndarray:
    """Return dwellings completed per site and year.

    A site with an explicit trajectory keeps it (capped so its running total never
    exceeds the site's dwellings); otherwise it completes ``build_rate`` a year from
    ``first_year`` until all its dwellings are built, the last year taking the remainder.

    Parameters
    ----------
    dwellings : (S,) array
        Net dwellings of each site.
    first_year : (S,) array
        Academic year (start year) of the first completions.
    build_rate : (S,) array
        Dwellings completed a year; a rate of 0 or NaN builds the whole site in one year.
    years : (Y,) array of int
        Academic years (start years) to report.
    trajectory : (S, Y) array, optional
        Explicit completions; rows that are all NaN fall back to start year and rate.

    Returns
    -------
    (S, Y) float array
    """
    dwellings = np.nan_to_num(np.asarray(dwellings, dtype=float), nan=0.0).clip(min=0)
    rate = np.asarray(build_rate, dtype=float)
    rate = np.where(np.isfinite(rate) & (rate > 0), rate, dwellings)
    first = np.asarray(first_year, dtype=float)
    years = np.asarray(years, dtype=float)
    # Years elapsed since (and including) the first year; cumulative build is capped.
    elapsed = years[None, :] - first[:, None] + 1
    cumulative = np.minimum(np.clip(elapsed, 0, None) * rate[:, None], dwellings[:, None])
    # Dwellings completed before the first reported year still count in the cap.
    before = np.minimum(np.clip(years[0] - first, 0, None) * rate, dwellings)
    built = np.diff(cumulative, axis=1, prepend=before[:, None])
    built = np.where(np.isfinite(first)[:, None], built, 0.0)
    if trajectory is not None:
        traj = np.asarray(trajectory, dtype=float)
        explicit = ~np.all(np.isnan(traj), axis=1)
        traj = np.nan_to_num(traj, nan=0.0).clip(min=0)
        capped = np.minimum(np.cumsum(traj, axis=1), dwellings[:, None])
        traj = np.diff(capped, axis=1, prepend=0.0)
        built = np.where(explicit[:, None], traj, built)
    return built


def net_of_background(
    built: np.ndarray, council_index: np.ndarray, background: np.ndarray
) -> np.ndarray:
    """Scale completions so each council adds only those above its background rate.

    The trend in a baseline already carries past building at about the background
    rate, so only the excess makes new pupils.  Each site keeps its share of its
    council's excess.

    Parameters
    ----------
    built : (S, Y) array
    council_index : (S,) int array
        Index of each site's council.
    background : (C,) array
        Background completions a year per council; NaN (unknown) nets nothing and a
        negative rate counts as 0, so netting never adds dwellings.

    Returns
    -------
    (S, Y) array, never above ``built`` (sites of no council, index < 0, are kept whole).
    """
    built = np.asarray(built, dtype=float)
    council_index = np.asarray(council_index, dtype=int)
    background = np.nan_to_num(np.asarray(background, dtype=float), nan=0.0).clip(min=0)
    n_councils = len(background)
    ok = council_index >= 0
    totals = np.zeros((n_councils, built.shape[1]))
    np.add.at(totals, council_index[ok], built[ok])
    excess = np.clip(totals - background[:, None], 0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(totals > 0, excess / np.where(totals > 0, totals, 1.0), 0.0).clip(0, 1)
    return np.where(ok[:, None], built * factor[np.clip(council_index, 0, None)], built)


def site_inputs(region: Region, years: np.ndarray, a: Assumptions, delay: int = 0):
    """Dwellings, first year and build rate of each site after the scenario's levers, and
    the explicit trajectories.

    Parameters
    ----------
    region : Region
    years : (Y,) int array
        Forecast academic years.
    a : Assumptions
        ``delay_years`` and ``build_rate_multiplier`` apply to every site.
    delay : int
        Further years every start slips (the Monte Carlo's drawn delay).

    Returns
    -------
    dwellings (S,), first_year (S,), build_rate (S,), and trajectory (S, Y) or None:
    a site with a trajectory builds only what it says (NaN rows fall back to start and
    rate). Completed sites add no dwellings: they are in the base already.

    Notes
    -----
    A delay ``d`` moves a trajectory ``d`` years later: ``T'[s, t] = T[s, t - d]``;
    completions it pushes past the horizon are dropped.
    """
    sites = region.sites
    active = ~sites["status"].astype(str).isin(EXCLUDED_STATUSES).to_numpy()
    dwellings = np.where(active, sites["dwellings"].to_numpy(dtype=float), 0.0)
    first = sites["first_year"].to_numpy(dtype=float) + a.delay_years + delay
    rate = sites["build_rate"].to_numpy(dtype=float) * a.build_rate_multiplier
    traj = None
    tr = region.trajectories
    if not tr.empty:
        si = pd.Index(sites["site_id"].astype(str)).get_indexer(tr["site_id"].astype(str))
        yrs = tr["academic_year"].to_numpy(dtype=int) + a.delay_years + delay
        yi = np.searchsorted(years, yrs)
        ok = (si >= 0) & (yrs >= years[0]) & (yi < len(years))
        traj = np.full((len(sites), len(years)), np.nan)
        traj[np.unique(si[si >= 0])] = 0.0
        np.add.at(traj, (si[ok], yi[ok]), tr["dwellings"].to_numpy(dtype=float)[ok])
    return dwellings, first, rate, traj


def background(region: Region, councils: pd.Index) -> np.ndarray:
    """Background completions a year per council, (C,); NaN where none is given."""
    bg = np.full(len(councils), np.nan)
    br = region.background_rates
    if br.empty:
        return bg
    bi = councils.get_indexer(br["council_code"].astype(str))
    bg[bi[bi >= 0]] = br["dwellings_per_year"].to_numpy(dtype=float)[bi >= 0]
    return bg


def netting_rate(region: Region, councils: pd.Index, a: Assumptions) -> np.ndarray:
    """Completions a year per council that the baseline's trend already carries, (C,).

    ``damping x background`` for the population method (:func:`trend_background`), the
    whole background rate for cohort survival (its ratios are not damped), 0 with no
    baseline; NaN where a council has no background rate (nothing is netted there and
    :func:`region_netting_warning` says so).
    """
    share = {"population": a.migration_damping, "cohort_survival": 1.0}.get(a.baseline_method, 0.0)
    bg = background(region, councils)
    return np.where(np.isfinite(bg), trend_background(bg, share), np.nan)


def site_completions(region: Region, councils: pd.Index, years: np.ndarray, a: Assumptions, delay: int = 0):
    """Dwellings (S,), completions (S, Y) and the completions that make new pupils (S, Y):
    net of the building the trend carries when ``a.netting`` (:func:`netting_rate`,
    :func:`net_of_background`), else the completions themselves. ``delay`` years more for
    every site (see :func:`site_inputs`).

    Netting takes the background's families out of the *pupils*; the homes are still built
    (and pay their contributions as they are), so the completions stay whole.
    """
    dwellings, first, rate, traj = site_inputs(region, years, a, delay)
    built = completions(dwellings, first, rate, years, traj)
    counted = built
    if a.netting:
        sc = councils.get_indexer(region.sites["council_code"].astype(str))
        counted = net_of_background(built, sc, netting_rate(region, councils, a))
    return dwellings, built, counted


def paid_share(built: np.ndarray, dwellings: np.ndarray) -> np.ndarray:
    """Share of each site's dwellings completed each year, (..., S, Y): a contribution is
    paid as the homes are built. 0 for a site with no dwellings."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(dwellings[..., None] > 0, built / np.where(dwellings > 0, dwellings, 1.0)[..., None], 0.0)




def trend_background(background: np.ndarray, migration_damping: float) -> np.ndarray:
    """The part of the background rate a damped trend carries: ``damping * background``.

    A cohort change ratio damped by ``d`` keeps the share ``d`` of the net migration it
    measured; taking the migration that past building brought as proportional to that
    building, the trend carries ``d`` times the background rate (0 with ageing alone).
    """
    return float(np.clip(migration_damping, 0, 1)) * np.nan_to_num(np.asarray(background, dtype=float)).clip(min=0)


def netting_warning(netting: bool, councils, with_rate) -> str | None:
    """The warning to show when netting is asked for but some council has no background rate.

    Parameters
    ----------
    netting : bool
        Whether the assumptions ask for netting.
    councils : sequence of str
        Names (or codes) of the region's councils.
    with_rate : sequence of str
        Those of ``councils`` that have a background rate (same spelling).

    Returns
    -------
    str or None
        None when netting is off or every council has a rate; otherwise one sentence naming
        the councils whose housing is added in full.
    """
    if not netting:
        return None
    have = set(with_rate)
    missing = [c for c in councils if c not in have]
    if not missing:
        return None
    every = len(missing) == len(list(councils))
    who = "any council" if every else ", ".join(str(c) for c in missing)
    return (f"Netting was asked for but there is no background completions rate for {who} (table "
            f"background_rates): {'all' if every else 'their'} housing is added in full, on top of the "
            "trend, which already carries past building. Add background rates or lower migration damping.")


def region_netting_warning(region: Region, councils: pd.Index, names, a: Assumptions) -> str | None:
    """:func:`netting_warning` for a region's councils (``names`` in the order of ``councils``)."""
    if not a.netting or a.baseline_method == "none":
        return None
    known = np.isfinite(background(region, councils))
    return netting_warning(True, list(names), [n for n, k in zip(names, known) if k])
