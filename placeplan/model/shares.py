"""Planning-area baseline as shares of a council projection (a constrained small-area method).

Cohort change ratios and births are observed per council, not per ward, so the council is
projected where its ratios were measured and each planning area receives its observed
share of the council's pupils of each NCY.  A share follows its cohort as it ages within a
phase; a cohort entering a phase (Reception, Y7, Y12) takes the area's observed share of
that entry year.  Council totals are kept exactly; children move between areas only as the
observed shares say (and as housing added by area says, on top).

Notes
-----
The share ("constrained" or "apportionment") method is how small-area projections are
usually tied to a projection made at the level where the components are observed: ONS
sub-national projections are constrained to the national projection, and the GLA's
ward and small-area projections are constrained to its borough projections (docs/method.md,
section 3).  For an area *a* of council *c(a)*, NCY *g* and projected year *y* (0 is the
first year after the base):

    share0[a, g]    = rolls[a, g] / sum_{b in c(a)} rolls[b, g]
    k[y, g]         = max(g - (y + 1), entry[g])
    pupils[a, y, g] = council[c(a), y, g] * share0[a, k[y, g]]

with ``entry[g]`` the first NCY of g's phase (R, Y7 or Y12), and the entry NCY's share
optionally averaged over several past years.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse

from placeplan.model.constants import N_NCY, PHASE_NCY

__all__ = ["ENTRY_NCY", "council_sum", "council_shares", "share_progression", "cohort_shares",
           "constrained_baseline", "area_shares", "apply_shares", "constrain_to_councils", "council_projection"]


def _entry_ncy() -> np.ndarray:
    entry = np.zeros(N_NCY, dtype=int)
    for phase in ("primary", "secondary", "sixth_form"):
        lo, hi = PHASE_NCY[phase]
        entry[lo:hi] = lo
    return entry


#: first NCY of each NCY's phase: R for R-Y6, Y7 for Y7-Y11, Y12 for Y12-Y13
ENTRY_NCY = _entry_ncy()


def council_sum(values: np.ndarray, area_council: np.ndarray, n_councils: int) -> np.ndarray:
    """Sum the first (area) axis of ``values`` into councils; areas with index < 0 are left out."""
    values = np.nan_to_num(np.asarray(values, dtype=float))
    area_council = np.asarray(area_council, dtype=int)
    ok = np.flatnonzero(area_council >= 0)
    member = sparse.csr_matrix((np.ones(len(ok)), (area_council[ok], ok)), shape=(n_councils, len(area_council)))
    return np.asarray(member @ values.reshape(len(area_council), -1)).reshape((n_councils,) + values.shape[1:])


def council_shares(
    rolls: np.ndarray, area_council: np.ndarray, n_councils: int | None = None, average: bool = True
) -> np.ndarray:
    """Each area's share of its council's pupils of each NCY.

    Parameters
    ----------
    rolls : (A, G) or (A, T, G) array
        Pupils on roll by area and NCY (and past year).  With a time axis the shares of
        each year are averaged over the years in which the council had pupils of that NCY.
    area_council : (A,) int array
        Council index of each area.

    average : bool
        With a time axis, False returns each year's shares, (A, T, G), for
        :func:`share_progression`.

    Returns
    -------
    (A, G) array; 0 where the council had no pupils of that NCY.
    """
    rolls = np.nan_to_num(np.asarray(rolls, dtype=float)).clip(min=0)
    area_council = np.asarray(area_council, dtype=int)
    n_councils = int(area_council.max()) + 1 if n_councils is None else n_councils
    series = rolls if rolls.ndim == 3 else rolls[:, None, :]
    totals = council_sum(series, area_council, n_councils)[np.clip(area_council, 0, None)]
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, series / np.where(totals > 0, totals, 1.0), np.nan)
    shares[area_council < 0] = 0.0
    if not average and rolls.ndim == 3:
        return np.where(np.isfinite(shares), shares, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a year with no pupils of an NCY is left out
        mean = np.nanmean(shares, axis=1)
    return np.where(np.isfinite(mean), mean, 0.0)


def share_progression(shares: np.ndarray) -> np.ndarray:
    """Ratio of a cohort's share of its council in NCY g to its share in NCY g-1, per area.

    Parameters
    ----------
    shares : (A, G) or (A, T, G) array
        Shares of the council (:func:`council_shares` of each year).  With several years the
        ratios follow real cohorts, ``s[a, t+1, g] / s[a, t, g-1]``, averaged over the years;
        from one year they compare NCYs of the same year, ``s[a, g] / s[a, g-1]`` (the
        *synthetic cohort*: the base year's cross-section of moves between areas persists).

    Returns
    -------
    (A, G) array; 1 at each phase's entry NCY and where the earlier share is 0.
    """
    shares = np.nan_to_num(np.asarray(shares, dtype=float))
    if shares.ndim == 2:
        prev, nxt = shares[:, None, :-1], shares[:, None, 1:]
    else:
        prev, nxt = shares[:, :-1, :-1], shares[:, 1:, 1:]
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ratio = np.nanmean(np.where(prev > 0, nxt / np.where(prev > 0, prev, 1.0), np.nan), axis=1)
    out = np.ones((shares.shape[0], shares.shape[-1]))
    out[:, 1:] = np.where(np.isfinite(ratio), ratio, 1.0)
    out[:, ENTRY_NCY[: out.shape[1]] == np.arange(out.shape[1])] = 1.0
    return out


def cohort_shares(
    rolls: np.ndarray,
    area_council: np.ndarray,
    n_councils: int,
    horizon: int,
    entry_shares: np.ndarray | None = None,
    progression: np.ndarray | None = None,
) -> np.ndarray:
    """Each area's share of its council's pupils per projected year and NCY, shares that age
    with the cohort (the shares of :func:`constrained_baseline`).

    Returns
    -------
    (A, Y, G) array; within a council the areas' shares of each (year, NCY) sum to 1 where
    the council had any base-year pupils (or entry share) of that NCY; 0 for areas of no council.

    Notes
    -----
    ``share[a, y, g] = s0[a, src] * prod_{h=src+1..g} progression[a, h]`` with
    ``src = max(g - y - 1, entry[g])`` (``s0`` the entry shares when the cohort entered after
    the base year), renormalised so each council's areas sum to 1.
    """
    area_council = np.asarray(area_council, dtype=int)
    base = council_shares(rolls, area_council, n_councils)
    n_grade = base.shape[1]
    entry = base if entry_shares is None else np.nan_to_num(np.asarray(entry_shares, dtype=float))
    # Source NCY of each (year, NCY): the cohort's NCY in the base year, or its phase's entry.
    g = np.arange(n_grade)[None, :]
    y = np.arange(horizon)[:, None]
    cohort = g - (y + 1)
    entry_ncy = ENTRY_NCY[:n_grade][None, :]
    aged = cohort >= entry_ncy
    src = np.where(aged, cohort, entry_ncy)  # (Y, G)
    shares = np.where(aged[None], base[:, src], entry[:, src])  # (A, Y, G)
    if progression is not None:
        # cumulative product within each phase (progression is 1 at each entry NCY)
        step = np.nan_to_num(np.asarray(progression, dtype=float), nan=1.0).clip(min=0)
        step[:, entry_ncy[0] == np.arange(n_grade)] = 1.0
        cum = np.cumprod(np.where(step > 0, step, 1.0), axis=1)
        zero = np.cumsum(step <= 0, axis=1)  # a 0 on the way makes the share 0
        factor = cum[:, None, :] / cum[:, src]
        factor = np.where(zero[:, None, :] > zero[:, src], 0.0, factor)
        shares = shares * factor
        ci = np.clip(area_council, 0, None)
        total = council_sum(shares, area_council, n_councils)[ci]
        shares = np.where(total > 0, shares / np.where(total > 0, total, 1.0), 0.0)
    return np.where((area_council >= 0)[:, None, None], shares, 0.0)


def apply_shares(projection: np.ndarray, shares: np.ndarray, area_council: np.ndarray, n_councils: int) -> np.ndarray:
    """Keep ``projection``'s council totals and give each area its share, (..., A, Y, G).

    ``out[..., a, y, g] = sum_{b in c(a)} projection[..., b, y, g] * shares[a, y, g]``: linear
    in the projection, so the Monte Carlo's draws and sensitivities go through it as the
    central forecast does.  A leading draws axis is allowed.
    """
    area_council = np.asarray(area_council, dtype=int)
    moved = np.moveaxis(np.asarray(projection, dtype=float), -3, 0)
    council = council_sum(moved, area_council, n_councils)[np.clip(area_council, 0, None)]
    return np.moveaxis(council, 0, -3) * shares


def constrained_baseline(
    council: np.ndarray,
    rolls: np.ndarray,
    area_council: np.ndarray,
    entry_shares: np.ndarray | None = None,
    progression: np.ndarray | None = None,
) -> np.ndarray:
    """Distribute a council projection to its planning areas by shares that age with the cohort.

    Parameters
    ----------
    council : (C, Y, G) array
        Projected pupils per council, projected year (0 is the first after the base) and NCY.
    rolls : (A, G) array
        Base-year pupils on roll per area and NCY.
    area_council : (A,) int array
        Council index of each area (-1: belongs to none, gets nothing).
    entry_shares : (A, G) array, optional
        Shares used for cohorts entering a phase after the base year (only the columns of
        the entry NCYs R, Y7 and Y12 are read), e.g. :func:`council_shares` over the roll
        history; the base year's shares when omitted.
    progression : (A, G) array, optional
        :func:`share_progression`: how a cohort's share changes from NCY g-1 to g (moves
        between areas inside the council).  Omitted, a cohort keeps its share (no moves).

    Returns
    -------
    (A, Y, G) array.  For every council, projected year and NCY with any base-year pupils
    (or entry share) in its areas, the areas sum to the council's projection exactly.

    Notes
    -----
    ``share[a, y, g] = s0[a, src] * prod_{h=src+1..g} progression[a, h]`` with
    ``src = max(g - y - 1, entry[g])`` (``s0`` the entry shares when the cohort entered after
    the base year), renormalised so each council's areas sum to 1.
    """
    council = np.nan_to_num(np.asarray(council, dtype=float))
    area_council = np.asarray(area_council, dtype=int)
    n_councils, horizon, _ = council.shape
    shares = cohort_shares(rolls, area_council, n_councils, horizon, entry_shares, progression)
    return council[np.clip(area_council, 0, None)] * shares


def area_shares(
    rolls: np.ndarray, area_council: np.ndarray, n_councils: int, horizon: int, history: np.ndarray | None = None
) -> np.ndarray:
    """The shares (A, Y, G) by which :func:`constrain_to_councils` gives each area its part.

    Without a roll history (or with one year) the shares' progression is the base year's
    cross-section (synthetic cohort: each area keeps its base share of each NCY); with a
    history of two or more years, progression follows real cohorts and new intakes take the
    entry shares averaged over the history.

    Parameters
    ----------
    rolls : (A, G) array
        Base-year pupils on roll.
    history : (A, T, G) array, optional
        Pupils on roll by area, past year (oldest first, the base year last) and NCY.
    """
    area_council = np.asarray(area_council, dtype=int)
    if history is None or np.asarray(history).shape[1] < 2:
        # the synthetic cohort's product telescopes: each area keeps its base share of each NCY
        share = council_shares(rolls, area_council, n_councils)
        out = np.repeat(share[:, None, :], horizon, axis=1)
        return np.where((area_council >= 0)[:, None, None], out, 0.0)
    yearly = council_shares(history, area_council, n_councils, average=False)
    return cohort_shares(rolls, area_council, n_councils, horizon,
                         entry_shares=council_shares(history, area_council, n_councils),
                         progression=share_progression(yearly))


def constrain_to_councils(
    area_projection: np.ndarray,
    rolls: np.ndarray,
    area_council: np.ndarray,
    n_councils: int,
    history: np.ndarray | None = None,
) -> np.ndarray:
    """Keep a projection's council totals and redistribute them to areas by observed shares.

    The council totals of ``area_projection`` (made with council ratios) are kept; each area
    gets its share by :func:`area_shares` (:func:`apply_shares` of them).

    Parameters
    ----------
    area_projection : (..., A, Y, G) array
    rolls : (A, G) array
        Base-year pupils on roll.
    history : (A, T, G) array, optional
        Pupils on roll by area, past year (oldest first, the base year last) and NCY.

    Returns
    -------
    (..., A, Y, G) array whose council sums equal those of ``area_projection``.
    """
    shares = area_shares(rolls, area_council, n_councils, np.shape(area_projection)[-2], history)
    return apply_shares(area_projection, shares, area_council, n_councils)


def council_projection(rolls: np.ndarray, resident: np.ndarray, area_council: np.ndarray, n_councils: int) -> np.ndarray:
    """The population-based baseline made per council: ``part[c, g] * res[c, g, t]``.

    Parameters
    ----------
    rolls : (A, G) array
        Base-year pupils on roll per area and NCY.
    resident : (A, G, H+1) array
        Resident children of each NCY's age per area; index 0 is the base year.

    Returns
    -------
    (C, H, G) array: the council's base rolls times the growth of its resident children.
    """
    from placeplan.model.baseline import (
        population_baseline,  # the baseline step imports this module
    )

    return population_baseline(council_sum(rolls, area_council, n_councils),
                               council_sum(resident, area_council, n_councils))
