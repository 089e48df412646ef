"""Back-testing: run the model from a past base year and score it against what happened.

DfE scores councils' forecasts by ``accuracy = (forecast - actual) / actual`` one and
three years ahead (DOMAIN.md); here every horizon is scored, per level (council or
planning area), with the mean absolute percentage error, the pupil-weighted absolute
error ``sum |forecast - actual| / sum actual``, the median absolute percentage error and
how often the actual fell inside the P10-P90 band — and the same errors of the naive
forecast that holds the base year's pupils constant, so a council sees whether the model
adds anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from placeplan.errors import Problem, ValidationError
from placeplan.model.baseline import baseline
from placeplan.model.constants import academic_year_label
from placeplan.model.forecast import forecast
from placeplan.model.index import region_index
from placeplan.model.region import Assumptions, Region
from placeplan.model.uncertainty import Uncertainty, monte_carlo

ACTUAL_COLUMNS = ["level", "code", "phase", "academic_year", "pupils"]


#: What a rebase to an earlier year cannot take back, said with every rebased back-test.
NOT_REBASED = (
    "Rebased: pupils on roll up to the census of the base year; Reception intakes held at the last known "
    "intake (the region holds no population of that year, so its mid-year population, cohort change ratios "
    "and births after the base year are not used).",
    "Not rebased: which zones feed which secondary areas is weighted by the region's own population (its "
    "base year, not the back-test's); the housing pipeline (sites, trajectories) and school capacity are the "
    "region's, not what was planned at the back-test's base year.",
)


@dataclass
class Backtest:
    """Row-by-row comparison, its summary by level, phase and years ahead, and what was rebased."""

    rows: pd.DataFrame
    summary: pd.DataFrame
    base_year: int
    skipped: pd.DataFrame
    notes: tuple[str, ...] = ()


def rebase(region: Region, base_year: int) -> Region:
    """The region as it was known at the census of May ``base_year``: roll history up to then.

    Nothing from after the base year reaches the baseline: the roll history is cut at the
    base year; every zone's children by age are replaced by one flat profile with the same
    children aged 5-11 (so feeder shares between areas keep their geography, see
    :data:`NOT_REBASED`, while no later population grows or shrinks an intake); cohort
    change ratios are dropped and births are kept only up to the base year.

    Raises
    ------
    ValidationError
        When the region has no pupil history to start from that year.
    """
    hist = region.roll_history
    last = base_year - 1
    if hist.empty or (hist["academic_year"] > last).all() or not (hist["academic_year"] == last).any():
        raise ValidationError([Problem(region.source, "roll_history", None, "academic_year",
                                       f"no pupils on roll for {academic_year_label(last)}: cannot start a back-test "
                                       f"from base year {base_year}")])
    meta = region.meta[region.meta["key"] != "base_year"]
    meta = pd.concat([meta, pd.DataFrame([{"key": "base_year", "value": str(base_year)}])], ignore_index=True)
    zones = region.zones
    if not zones.empty:
        pop = [f"pop_{a}" for a in range(19)]
        zones = zones.copy()
        flat = zones[pop[5:12]].to_numpy(dtype=float).sum(axis=1) / 7.0
        zones[pop] = np.repeat(flat[:, None], len(pop), axis=1)
    births = region.births
    if not births.empty:
        births = births[births["year"] < base_year]
    return region.replace(roll_history=hist[hist["academic_year"] <= last], meta=meta, zones=zones,
                          cohort_change=region.cohort_change.iloc[0:0], births=births)


def backtest(
    region: Region,
    actuals: pd.DataFrame,
    base_year: int | None = None,
    assumptions: Assumptions | None = None,
    settings: Uncertainty | None = None,
    sixth_form: bool = True,
) -> Backtest:
    """Forecast from ``base_year`` and compare with actual pupils on roll, beside the naive forecast.

    Parameters
    ----------
    actuals : DataFrame
        ``level`` (``council`` or ``planning_area``), ``code``, ``phase`` (``primary`` or
        ``secondary``; a secondary planning area's pupils are Y7-Y13, or Y7-Y11 with
        ``sixth_form=False``), ``academic_year`` (start year), ``pupils``.
    base_year : int, optional
        Census year to start from (May ``base_year``); the region's own when omitted.
        An earlier year uses :func:`rebase` (what it cannot rebase is in ``notes``) and
        grade progression.
    sixth_form : bool
        Count Y12-Y13 in a secondary area's pupils (SCAP's capacity does); False compares
        Y7-Y11 only (DfE's school census by NCY allows either).  The P10-P90 band of Y7-Y11
        is the Y7-Y13 band scaled by the central forecast's Y7-Y11 share.

    Returns
    -------
    Backtest
        ``rows`` per actual value: forecast, P10/P50/P90, ``accuracy``, ``naive`` (the base
        year's pupils held constant) and ``naive_accuracy``; ``summary`` per level, phase and
        years ahead (see :func:`summarise`).
    """
    a = assumptions or region.assumptions()
    notes: tuple[str, ...] = ()
    if base_year is not None and base_year != region.base_year:
        region = rebase(region, base_year)
        a = a.replace(baseline_method="cohort_survival", births="held")
        notes = NOT_REBASED
    base = region.base_academic_year
    last_year = int(actuals["academic_year"].max()) if len(actuals) else base + 1
    a = a.replace(horizon=max(1, last_year - base))
    idx = region_index(region, a.horizon)
    ranges = monte_carlo(region, a, settings or Uncertainty(draws=500), keep_draws=True)
    result = forecast(region, a)
    n_area, n_year = len(idx.areas), len(idx.years)
    totals = result.shortfall["pupils_forecast"].to_numpy().reshape(n_area, n_year)
    draws = ranges.pupils_draws  # (N, A, Y)
    rolls = baseline(region, idx, a)[1]  # base-year pupils (A, G), the naive forecast
    keep = np.ones((n_area, rolls.shape[1]), dtype=bool)
    scale = np.ones((n_area, n_year))
    if not sixth_form:
        keep[:, 12:] = False
        pupils = result.pupils
        ncy = pupils["ncy"].astype(str)
        pos = idx.areas.get_indexer(pupils["planning_area_code"].astype(str))
        yi = pupils["academic_year"].map(lambda v: int(str(v)[:4])).to_numpy() - idx.years[0]
        every = np.zeros((n_area, n_year))
        to16 = np.zeros((n_area, n_year))
        np.add.at(every, (pos, yi), pupils["pupils_forecast"].to_numpy(dtype=float))
        np.add.at(to16, (pos, yi), np.where(ncy.isin(["Y12", "Y13"]), 0.0, pupils["pupils_forecast"].to_numpy(dtype=float)))
        scale = np.where(every > 0, to16 / np.where(every > 0, every, 1.0), 1.0)
    totals = totals * scale
    draws = draws * scale[None]
    naive_area = (rolls * keep).sum(axis=1)

    rows = []
    skipped = []
    area_pos = {c: i for i, c in enumerate(idx.areas)}
    council_pos = {c: i for i, c in enumerate(idx.councils)}
    for r in actuals.itertuples(index=False):
        y = int(r.academic_year) - idx.years[0]
        if y < 0 or y >= len(idx.years):
            skipped.append((r.level, r.code, r.phase, r.academic_year, "outside the forecast years"))
            continue
        if r.level == "planning_area":
            if r.code not in area_pos or idx.area_phase[area_pos[r.code]] != r.phase:
                skipped.append((r.level, r.code, r.phase, r.academic_year, "no such planning area of that phase"))
                continue
            sel = np.zeros(len(idx.areas), dtype=bool)
            sel[area_pos[r.code]] = True
            name = idx.area_names[area_pos[r.code]]
        else:
            if r.code not in council_pos:
                skipped.append((r.level, r.code, r.phase, r.academic_year, "no such council"))
                continue
            sel = (idx.area_council == council_pos[r.code]) & (idx.area_phase == r.phase)
            name = idx.council_names[council_pos[r.code]]
        f = float(totals[sel, y].sum())
        d = draws[:, sel, y].sum(axis=1)
        p10, p50, p90 = np.quantile(d, [0.1, 0.5, 0.9])
        rows.append((r.level, r.code, name, r.phase, academic_year_label(int(r.academic_year)), int(r.academic_year) - base,
                     float(r.pupils), f, p10, p50, p90, float(naive_area[sel].sum())))
    out = pd.DataFrame(rows, columns=["level", "code", "name", "phase", "academic_year", "years_ahead", "actual",
                                      "forecast", "p10", "p50", "p90", "naive"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["accuracy"] = (out["forecast"] - out["actual"]) / out["actual"]
        out["naive_accuracy"] = (out["naive"] - out["actual"]) / out["actual"]
    tol = 1e-9 * out["actual"].abs()  # the band may collapse to a point that equals the actual
    out["inside_p10_p90"] = (out["actual"] >= out["p10"] - tol) & (out["actual"] <= out["p90"] + tol)
    return Backtest(rows=out, summary=summarise(out), base_year=region.base_year,
                    skipped=pd.DataFrame(skipped, columns=["level", "code", "phase", "academic_year", "reason"]),
                    notes=notes)


SUMMARY_COLUMNS = ["level", "phase", "years_ahead", "n", "mean_accuracy", "mape", "weighted_ape", "median_ape",
                   "coverage_p10_p90", "naive_mean_accuracy", "naive_mape", "naive_weighted_ape", "naive_median_ape"]


def _scores(g: pd.DataFrame) -> pd.Series:
    out = {"n": len(g), "coverage_p10_p90": g["inside_p10_p90"].mean()}
    actual = g["actual"].sum()
    for prefix, col in (("", "forecast"), ("naive_", "naive")):
        acc = g[f"{prefix}accuracy"]
        out[f"{prefix}mean_accuracy"] = acc.mean()
        out[f"{prefix}mape"] = acc.abs().mean()
        out[f"{prefix}weighted_ape"] = (g[col] - g["actual"]).abs().sum() / actual if actual > 0 else np.nan
        out[f"{prefix}median_ape"] = acc.abs().median()
    return pd.Series(out)


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Errors of the forecast and of the naive forecast per level, phase and years ahead (and all years).

    ``mean_accuracy`` is DfE's measure averaged; ``mape`` the mean of its absolute value;
    ``weighted_ape`` the pupil-weighted absolute error ``sum |f - a| / sum a``; ``median_ape``
    the median absolute percentage error; ``naive_*`` the same for the base year held
    constant; ``coverage_p10_p90`` the share of actuals inside the band.
    """
    if rows.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    by = [_scores(g).rename(k) for k, g in rows.groupby(["level", "phase", "years_ahead"])]
    allyears = [_scores(g).rename(k + ("all",)) for k, g in rows.groupby(["level", "phase"])]
    out = pd.DataFrame(by + allyears)
    out.index = pd.MultiIndex.from_tuples(out.index, names=["level", "phase", "years_ahead"])
    out = out.reset_index().astype({"years_ahead": object, "n": int})
    return out[SUMMARY_COLUMNS]
