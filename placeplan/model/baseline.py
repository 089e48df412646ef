"""Baseline forecast of today's pupils: grade progression and the population-based method.

The array maths comes first (ratios, progression, ageing, participation); the functions
after it read the region's frames into those arrays (resident children, base rolls,
roll history, feeder shares) and compose one of the two methods.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from placeplan.model.constants import AGE_OFFSET, N_NCY, NCY_LABELS, PHASE_NCY
from placeplan.model.population import (
    POP_COLUMNS,
    age_population,
    damp,
    resident_by_area,
    trend_births,
)
from placeplan.model.shares import apply_shares, area_shares
from placeplan.model.util import cached_on

if TYPE_CHECKING:
    from placeplan.model.index import RegionIndex
    from placeplan.model.region import Assumptions, Region

__all__ = [  # age_population, damp and trend_births live in population.py; kept here for callers
    "RATIO_METHODS", "survival_ratios", "average_ratios", "grade_progression", "age_population", "damp",
    "trend_births", "participation", "population_baseline", "base_rolls", "feeder_matrix", "roll_history_array", "CohortInputs", "cohort_inputs",
    "population_shares", "baseline",
]

RATIO_METHODS = ("mean", "weighted", "geometric", "median", "last")
NCY_COLUMNS = [f"nor_{label}" for label in NCY_LABELS]
#: Grade whose cohort moves from primary to secondary planning areas (Y6 -> Y7).
FEEDER_GRADE = PHASE_NCY["secondary"][0] - 1


def survival_ratios(history: np.ndarray) -> np.ndarray:
    """Return past grade progression ratios ``N[g+1, t+1] / N[g, t]``.

    Parameters
    ----------
    history : (A, T, G) array
        Pupils by area, past year and grade, oldest year first.

    Returns
    -------
    (A, T-1, G-1) array, NaN where the earlier cohort is empty or unknown.
    """
    prev = history[:, :-1, :-1]
    nxt = history[:, 1:, 1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(prev > 0, nxt / prev, np.nan)


def average_ratios(ratios: np.ndarray, method: str = "mean", years: int | None = None) -> np.ndarray:
    """Average past ratios over time (axis 1), ignoring NaN.

    Parameters
    ----------
    ratios : (A, T, G) array
    method : {"mean", "weighted", "geometric", "median", "last"}
        ``weighted`` weights the k-th most recent year by ``n - k + 1`` (recent years count
        most); ``last`` takes the most recent known ratio.
    years : int, optional
        Use only the most recent ``years`` ratios.

    Returns
    -------
    (A, G) array; NaN where no ratio is known.
    """
    if method not in RATIO_METHODS:
        raise ValueError(f"ratio method must be one of {RATIO_METHODS}, not {method!r}")
    if years:
        ratios = ratios[:, -years:, :]
    known = np.isfinite(ratios)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN, as intended
        if method == "mean":
            return np.nanmean(np.where(known, ratios, np.nan), axis=1) if ratios.size else ratios[:, 0]
        if method == "median":
            return np.nanmedian(ratios, axis=1)
        if method == "geometric":
            logs = np.where(known & (ratios > 0), np.log(np.where(ratios > 0, ratios, 1.0)), np.nan)
            return np.exp(np.nanmean(logs, axis=1))
        if method == "weighted":
            w = np.arange(1, ratios.shape[1] + 1, dtype=float)[None, :, None] * known
            return np.nansum(np.where(known, ratios, 0.0) * w, axis=1) / w.sum(axis=1)
        # last: the most recent finite ratio along time
        idx = np.where(known, np.arange(ratios.shape[1])[None, :, None], -1).max(axis=1)
        take = np.take_along_axis(ratios, np.clip(idx, 0, None)[:, None, :], axis=1)[:, 0, :]
        return np.where(idx >= 0, take, np.nan)


def grade_progression(
    last: np.ndarray,
    ratios: np.ndarray | Callable[[int], np.ndarray],
    intakes: np.ndarray,
    feeder: np.ndarray | None = None,
    feeder_grade: int = FEEDER_GRADE,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Project pupils forward: ``N[g+1, t+1] = N[g, t] * ratio[g]``, new intakes in grade 0.

    Parameters
    ----------
    last : (..., A, G) array
        Pupils in the last known year; a leading draws axis is allowed.
    ratios : (..., A, G-1) array, or callable
        Progression ratio from grade g to g+1 (NaN treated as 0); a callable ``ratios(t)``
        gives projected year t's own ratios (the Monte Carlo's resampled ratios).
    intakes : (A, H) array
        Grade-0 pupils in each projected year.
    feeder : (A, A) array, optional
        ``feeder[i, j]`` is the share of area i's ``feeder_grade`` cohort that feeds area
        j's next grade (primary Y6 to secondary Y7).  Rows of areas that feed nobody are 0.
        For an area with feeders, its ``feeder_grade`` cohort is replaced by what feeds it.
    mask : (A, G) bool array, optional
        When given, return only the sum over the grades it keeps, (..., A, H).

    Returns
    -------
    (..., A, H, G) array of projected pupils, or (..., A, H) with ``mask``.

    Notes
    -----
    Each year, first ``N[j, 6] = sum_i feeder[i, j] N[i, 6]`` for fed areas, then the
    cohorts move up a grade.
    """
    last = np.nan_to_num(np.asarray(last, dtype=float))
    if callable(ratios):
        ratio_of = ratios
    else:
        fixed = np.nan_to_num(np.asarray(ratios, dtype=float))

        def ratio_of(t: int) -> np.ndarray:
            return fixed

    intakes = np.asarray(intakes, dtype=float)
    horizon = intakes.shape[1]
    fed = None if feeder is None else feeder.sum(axis=0) > 0
    # Sparse, not BLAS: its sums run in a fixed order whatever the thread count, so a chunk
    # of draws gives the same bits on any worker (placeplan.distributed).
    feeder_t = None if feeder is None else sparse.csr_matrix(np.asarray(feeder).T)
    out = np.empty(last.shape[:-1] + (horizon,) + (() if mask is not None else last.shape[-1:]))
    current = last.copy()
    # A recurrence in time: each step is vectorised over draws, areas and grades.
    for t in range(horizon):
        if feeder is not None:
            source = (feeder_t @ current[..., feeder_grade].T).T
            current[..., feeder_grade] = np.where(fed, source, current[..., feeder_grade])
        nxt = np.empty_like(current)
        nxt[..., 1:] = current[..., :-1] * ratio_of(t)
        nxt[..., 0] = intakes[:, t]
        if mask is None:
            out[..., t, :] = nxt
        else:
            out[..., t] = np.where(mask, nxt, 0.0).sum(axis=-1)
        current = nxt
    return out


def participation(rolls: np.ndarray, resident: np.ndarray) -> np.ndarray:
    """Participation ratio ``pupils on roll / resident children``; NaN where none live there.

    It absorbs independent schools, home education and net flows across area borders.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(resident > 0, rolls / resident, np.nan)


def population_baseline(rolls: np.ndarray, resident: np.ndarray) -> np.ndarray:
    """Project pupils on roll as base participation times projected resident children.

    Parameters
    ----------
    rolls : (A, G) array
        Base-year pupils on roll by area and NCY.
    resident : (A, G, H+1) array
        Resident children of each NCY's age by area; index 0 is the base year.

    Returns
    -------
    (A, H, G) array.  Areas with no resident children of an NCY hold their base rolls.
    """
    ratio = participation(rolls, resident[:, :, 0])
    projected = ratio[:, :, None] * resident[:, :, 1:]
    held = np.broadcast_to(rolls[:, :, None], projected.shape)
    return np.where(np.isfinite(ratio)[:, :, None], projected, held).transpose(0, 2, 1)


# --------------------------------------------------------------------------- from the region's frames


def base_rolls(schools: pd.DataFrame, areas: pd.Index, resident_area: np.ndarray) -> np.ndarray:
    """Base-year pupils on roll by planning area and NCY, (A, G).

    Schools give rolls by phase; where NCY columns are given they are used, otherwise a
    phase's roll is spread over its NCYs in proportion to the area's resident children.
    """
    n_area = len(areas)
    rolls = np.zeros((n_area, N_NCY))
    pri = areas.get_indexer(schools["primary_planning_area"].astype("string").fillna(""))
    sec = areas.get_indexer(schools["secondary_planning_area"].astype("string").fillna(""))
    by_ncy = schools[NCY_COLUMNS].to_numpy(dtype=float) if all(c in schools for c in NCY_COLUMNS) else None
    for phase, area_idx, column in (("primary", pri, "nor_primary"), ("secondary", sec, "nor_secondary"),
                                    ("sixth_form", sec, "nor_sixth_form")):
        lo, hi = PHASE_NCY[phase]
        total = np.nan_to_num(schools[column].to_numpy(dtype=float) if column in schools else np.zeros(len(schools)))
        known = np.zeros(len(schools), dtype=bool)
        if by_ncy is not None:
            known = np.all(np.isfinite(by_ncy[:, lo:hi]), axis=1)
            ok = known & (area_idx >= 0)
            np.add.at(rolls[:, lo:hi], area_idx[ok], by_ncy[ok, lo:hi])
        ok = ~known & (area_idx >= 0)
        phase_total = np.zeros(n_area)
        np.add.at(phase_total, area_idx[ok], total[ok])
        shape = resident_area[:, lo:hi]
        s = shape.sum(axis=1, keepdims=True)
        spread = np.where(s > 0, shape / np.where(s > 0, s, 1.0), 1.0 / (hi - lo))
        rolls[:, lo:hi] += phase_total[:, None] * spread
    return rolls


def feeder_matrix(area_phase: np.ndarray, zw: sparse.spmatrix, children: np.ndarray) -> np.ndarray:
    """(A, A) share of each primary area's Y6 that feeds each secondary area, via shared zones.

    ``F[i, j] = sum_z c_z W[z, i] W[z, j] / sum_j (...)`` for primary i and secondary j,
    with ``c_z`` the zone's primary-age children.
    """
    primary = (area_phase == "primary").astype(float)
    wp = sparse.csr_matrix(zw.multiply(primary[None, :]).multiply(children[:, None]))
    ws = sparse.csr_matrix(zw.multiply(1.0 - primary[None, :]))
    flow = (wp.T @ ws).toarray()
    tot = flow.sum(axis=1, keepdims=True)
    return np.where(tot > 0, flow / np.where(tot > 0, tot, 1.0), 0.0)


def roll_history_array(roll_history: pd.DataFrame, areas: pd.Index) -> np.ndarray:
    """Past pupils by planning area, year (oldest first) and NCY, (A, T, G); NaN where unknown."""
    years = np.sort(roll_history["academic_year"].unique())
    arr = np.full((len(areas), len(years), N_NCY), np.nan)
    ai = areas.get_indexer(roll_history["planning_area_code"].astype(str))
    ti = np.searchsorted(years, roll_history["academic_year"].to_numpy())
    ok = ai >= 0
    arr[ai[ok], ti[ok], roll_history["ncy"].to_numpy(dtype=int)[ok]] = roll_history["pupils"].to_numpy(dtype=float)[ok]
    return arr


@dataclass(frozen=True)
class CohortInputs:
    """What grade progression needs: the last known year (A, G), past ratios used (A, T, G-1),
    their average (A, G-1), Reception intakes (A, H) and feeder shares (A, A) or None; and
    the planning areas' shares of their council (A, H, G, :func:`~placeplan.model.shares.area_shares`
    of the roll history) with each area's council index (A,), or None to keep area totals."""

    last: np.ndarray
    past: np.ndarray
    ratios: np.ndarray
    intakes: np.ndarray
    feeder: np.ndarray | None
    shares: np.ndarray | None = None
    area_council: np.ndarray | None = None

    def constrain(self, projected: np.ndarray) -> np.ndarray:
        """Projected pupils (..., A, H, G) as shares of their council's total (unchanged without shares)."""
        if self.shares is None:
            return projected
        return apply_shares(projected, self.shares, self.area_council, int(self.area_council.max()) + 1)


def cohort_inputs(region: Region, idx: RegionIndex, a: Assumptions, zw, resident_area: np.ndarray) -> CohortInputs:
    """Roll history, ratios, intakes and feeder of the cohort-survival method.

    Notes
    -----
    A fed secondary area's past Y6 is what its primary areas' Y6 send it, so its Y6->Y7
    ratio is the transfer ratio. Reception is held at the last intake, or scaled with
    the area's resident 5-year-olds when zones are given.
    """
    arr = roll_history_array(region.roll_history, idx.areas)
    mask = idx.grade_mask
    shares = area_shares(np.nan_to_num(arr[:, -1, :]) * mask, idx.area_council, len(idx.councils), a.horizon,
                         history=np.nan_to_num(arr) * mask[:, None, :])
    feeder = None
    if zw is not None:
        zone_children = region.zones[POP_COLUMNS[AGE_OFFSET:AGE_OFFSET + FEEDER_GRADE + 1]].to_numpy(dtype=float).sum(axis=1)
        feeder = feeder_matrix(idx.area_phase, zw, zone_children)
        fed = feeder.sum(axis=0) > 0
        y6 = np.nan_to_num(arr[:, :, FEEDER_GRADE])
        arr[:, :, FEEDER_GRADE] = np.where(fed[:, None], (feeder.T @ y6), arr[:, :, FEEDER_GRADE])
    past = survival_ratios(arr)
    if a.ratio_years:
        past = past[:, -a.ratio_years:, :]
    last = np.nan_to_num(arr[:, -1, :])
    if zw is not None:
        res5 = resident_area[:, 0, :]
        growth = np.where(res5[:, :1] > 0, res5[:, 1:] / np.where(res5[:, :1] > 0, res5[:, :1], 1.0), 1.0)
        intakes = last[:, :1] * growth
    else:
        intakes = np.repeat(last[:, :1], a.horizon, axis=1)
    return CohortInputs(last, past, average_ratios(past, a.ratio_method), intakes, feeder, shares,
                        np.asarray(idx.area_council, dtype=int))


def population_shares(idx: RegionIndex, a: Assumptions, rolls: np.ndarray) -> np.ndarray:
    """The planning areas' shares of their council (A, H, G) for the population method: each
    area keeps its base-year share of each NCY (:func:`~placeplan.model.shares.area_shares`
    with one census, the synthetic cohort)."""
    return area_shares(rolls * idx.grade_mask, idx.area_council, len(idx.councils), a.horizon)


def baseline(region: Region, idx: RegionIndex, a: Assumptions) -> tuple[np.ndarray, np.ndarray]:
    """Baseline pupils (A, Y, G) and base-year rolls (A, G), cached across scenario edits.

    ``population``: base participation x projected resident children
    (:func:`population_baseline`); ``cohort_survival``: :func:`grade_progression` from the
    roll history (:func:`cohort_inputs`); ``none``: zero. Grades an area's phase does not
    hold are 0. Both methods then keep each council's projected total of every NCY and
    year and give its planning areas their observed shares of it
    (:mod:`placeplan.model.shares`; docs/method.md, "Planning areas").
    """
    key = (region.zones, region.schools, region.planning_areas, region.zone_areas, region.cohort_change,
           region.births, region.roll_history, region.meta)
    params = (a.baseline_method, a.births, a.migration_damping, a.ratio_method, a.ratio_years, a.horizon)
    return cached_on(key, params, lambda: _baseline(region, idx, a))


def _baseline(region: Region, idx: RegionIndex, a: Assumptions) -> tuple[np.ndarray, np.ndarray]:
    zw, resident_area = resident_by_area(region, idx, a)
    rolls = base_rolls(region.schools, idx.areas, resident_area[:, :, 0])
    if a.baseline_method == "none":
        out = np.zeros((len(idx.areas), a.horizon, N_NCY))
    elif a.baseline_method == "population":
        masked = np.where(idx.grade_mask[:, None, :], population_baseline(rolls, resident_area), 0.0)
        out = apply_shares(masked, population_shares(idx, a, rolls), idx.area_council, len(idx.councils))
    elif a.baseline_method == "cohort_survival":
        c = cohort_inputs(region, idx, a, zw, resident_area)
        out = c.constrain(np.where(idx.grade_mask[:, None, :], grade_progression(c.last, c.ratios, c.intakes,
                                                                                   feeder=c.feeder), 0.0))
        rolls = c.last
    else:
        raise ValueError(f"unknown baseline method {a.baseline_method!r}")
    return np.where(idx.grade_mask[:, None, :], out, 0.0), rolls * idx.grade_mask
