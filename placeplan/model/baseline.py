"""Baseline forecast of today's pupils: grade progression and the population-based method."""

from __future__ import annotations

import warnings

import numpy as np

RATIO_METHODS = ("mean", "weighted", "geometric", "median", "last")


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
    ratios: np.ndarray,
    intakes: np.ndarray,
    feeder: np.ndarray | None = None,
    feeder_grade: int = 6,
) -> np.ndarray:
    """Project pupils forward: ``N[g+1, t+1] = N[g, t] * ratio[g]``, new intakes in grade 0.

    Parameters
    ----------
    last : (A, G) array
        Pupils in the last known year.
    ratios : (A, G-1) array
        Progression ratio from grade g to g+1 (NaN treated as 0).
    intakes : (A, H) array
        Grade-0 pupils in each projected year.
    feeder : (A, A) array, optional
        ``feeder[i, j]`` is the share of area i's ``feeder_grade`` cohort that feeds area
        j's next grade (primary Y6 to secondary Y7).  Rows of areas that feed nobody are 0.
        For an area with feeders, its ``feeder_grade`` cohort is replaced by what feeds it.

    Returns
    -------
    (A, H, G) array of projected pupils.
    """
    last = np.nan_to_num(np.asarray(last, dtype=float))
    ratios = np.nan_to_num(np.asarray(ratios, dtype=float))
    intakes = np.asarray(intakes, dtype=float)
    n_area, n_grade = last.shape
    horizon = intakes.shape[1]
    fed = None if feeder is None else feeder.sum(axis=0) > 0
    out = np.empty((n_area, horizon, n_grade))
    current = last.copy()
    # A recurrence in time: each step is vectorised over areas and grades.
    for t in range(horizon):
        if feeder is not None:
            source = feeder.T @ current[:, feeder_grade]
            current[:, feeder_grade] = np.where(fed, source, current[:, feeder_grade])
        nxt = np.empty_like(current)
        nxt[:, 1:] = current[:, :-1] * ratios
        nxt[:, 0] = intakes[:, t]
        out[:, t] = nxt
        current = nxt
    return out


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
