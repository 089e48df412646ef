"""Back-testing: run the model from a past base year and score it against what happened.

DfE scores councils' forecasts by ``accuracy = (forecast - actual) / actual`` one and
three years ahead (DOMAIN.md); here every horizon is scored, with the mean absolute
percentage error and how often the actual fell inside the P10-P90 band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from placeplan.errors import Problem, ValidationError
from placeplan.model.constants import academic_year_label
from placeplan.model.forecast import forecast
from placeplan.model.index import region_index
from placeplan.model.region import Assumptions, Region
from placeplan.model.uncertainty import Uncertainty, monte_carlo

ACTUAL_COLUMNS = ["level", "code", "phase", "academic_year", "pupils"]


@dataclass
class Backtest:
    """Row-by-row comparison and its summary by phase and years ahead."""

    rows: pd.DataFrame
    summary: pd.DataFrame
    base_year: int
    skipped: pd.DataFrame


def rebase(region: Region, base_year: int) -> Region:
    """The region as it was known at the census of May ``base_year``: roll history up to then.

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
    return region.replace(roll_history=hist[hist["academic_year"] <= last], meta=meta)


def backtest(
    region: Region,
    actuals: pd.DataFrame,
    base_year: int | None = None,
    assumptions: Assumptions | None = None,
    settings: Uncertainty | None = None,
) -> Backtest:
    """Forecast from ``base_year`` and compare with actual pupils on roll.

    Parameters
    ----------
    actuals : DataFrame
        ``level`` (``council`` or ``planning_area``), ``code``, ``phase`` (``primary`` or
        ``secondary``; a secondary planning area's pupils are Y7-Y13), ``academic_year``
        (start year), ``pupils``.
    base_year : int, optional
        Census year to start from (May ``base_year``); the region's own when omitted.
        An earlier year uses the region's ``roll_history`` up to then and grade
        progression.
    """
    a = assumptions or region.assumptions()
    if base_year is not None and base_year != region.base_year:
        region = rebase(region, base_year)
        a = a.replace(baseline_method="cohort_survival")
    base = region.base_academic_year
    last_year = int(actuals["academic_year"].max()) if len(actuals) else base + 1
    a = a.replace(horizon=max(1, last_year - base))
    idx = region_index(region, a.horizon)
    ranges = monte_carlo(region, a, settings or Uncertainty(draws=500), keep_draws=True)
    central = forecast(region, a).shortfall
    draws = ranges.pupils_draws  # (N, A, Y)
    totals = central["pupils_forecast"].to_numpy().reshape(len(idx.areas), len(idx.years))

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
                     float(r.pupils), f, p10, p50, p90))
    out = pd.DataFrame(rows, columns=["level", "code", "name", "phase", "academic_year", "years_ahead", "actual",
                                      "forecast", "p10", "p50", "p90"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["accuracy"] = (out["forecast"] - out["actual"]) / out["actual"]
    tol = 1e-9 * out["actual"].abs()  # the band may collapse to a point that equals the actual
    out["inside_p10_p90"] = (out["actual"] >= out["p10"] - tol) & (out["actual"] <= out["p90"] + tol)
    return Backtest(rows=out, summary=summarise(out), base_year=region.base_year,
                    skipped=pd.DataFrame(skipped, columns=["level", "code", "phase", "academic_year", "reason"]))


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean accuracy, MAPE and P10-P90 coverage by phase and years ahead (and all years)."""
    if rows.empty:
        return pd.DataFrame(columns=["phase", "years_ahead", "n", "mean_accuracy", "mape", "coverage_p10_p90"])
    g = rows.assign(abs_acc=rows["accuracy"].abs())
    by = g.groupby(["phase", "years_ahead"]).agg(
        n=("actual", "size"), mean_accuracy=("accuracy", "mean"), mape=("abs_acc", "mean"),
        coverage_p10_p90=("inside_p10_p90", "mean"),
    ).reset_index()
    allyears = g.groupby("phase").agg(
        n=("actual", "size"), mean_accuracy=("accuracy", "mean"), mape=("abs_acc", "mean"),
        coverage_p10_p90=("inside_p10_p90", "mean"),
    ).reset_index().assign(years_ahead="all")
    return pd.concat([by.astype({"years_ahead": object}), allyears], ignore_index=True)
