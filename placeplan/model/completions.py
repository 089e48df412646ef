"""Completions: dwellings completed per site per academic year."""

from __future__ import annotations

import numpy as np


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
        Background completions a year per council.
    """
    n_councils = len(background)
    totals = np.zeros((n_councils, built.shape[1]))
    np.add.at(totals, council_index, built)
    excess = np.clip(totals - np.asarray(background, dtype=float)[:, None], 0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(totals > 0, excess / totals, 0.0)
    return built * factor[council_index]
