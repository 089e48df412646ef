"""Back-tests per planning area and council, beside the naive forecast, on synthetic truths."""

import numpy as np
import pandas as pd
import pytest

from placeplan.io.bundle import region_from_frames
from placeplan.model.backtest import NOT_REBASED, backtest, rebase, summarise
from placeplan.model.uncertainty import Uncertainty
from tests.conftest import tiny_frames

QUIET = Uncertainty(draws=50, delivery={}, delay_mean={})


def history(intakes: dict[str, list[float]], ratio: float = 1.0, first: int = 2005):
    """Roll history R-Y6 of primary areas from their intakes year by year (cohorts survive at ``ratio``)."""
    rows = []
    for code, series in intakes.items():
        cohort = np.full(7, series[0])
        for k, intake in enumerate(series):
            if k:
                cohort = np.concatenate([[intake], cohort[:-1] * ratio])
            rows += [{"planning_area_code": code, "academic_year": first + k, "ncy": g, "pupils": float(n)}
                     for g, n in enumerate(cohort)]
    return pd.DataFrame(rows)


def actual_rows(values: dict[tuple[str, str], dict[int, float]]):
    return pd.DataFrame([{"level": lvl, "code": code, "phase": "primary", "academic_year": y, "pupils": v}
                         for (lvl, code), series in values.items() for y, v in series.items()])


def test_per_area_and_council_scores_with_naive_beside():
    # PA1 steady at 30 a year; PB1's intake steps from 40 to 50 in 2008 and stays
    hist = history({"PA1": [30.0] * 10, "PB1": [40.0] * 3 + [50.0] * 7})
    region = region_from_frames(tiny_frames(roll_history=hist), source="synthetic")
    truth = {("planning_area", "PA1"): {y: 210.0 for y in range(2010, 2013)},
             ("planning_area", "PB1"): {2010: 310.0, 2011: 320.0, 2012: 330.0},  # 50s replace 40s
             ("council", "B"): {2010: 310.0, 2011: 320.0, 2012: 330.0}}
    result = backtest(region, actual_rows(truth), base_year=2010, settings=QUIET)
    rows = result.rows
    assert result.notes == NOT_REBASED
    # the model is exact (last intake held, ratio 1); naive holds May 2010's rolls (2009/10): PB1 = 2*50 + 5*40
    np.testing.assert_allclose(rows["forecast"], rows["actual"])
    pb1 = rows[rows["code"] == "PB1"]
    assert pb1["naive"].tolist() == [300.0] * 3
    np.testing.assert_allclose(pb1["naive_accuracy"], [-10 / 310, -20 / 320, -30 / 330])
    s = result.summary.set_index(["level", "phase", "years_ahead"])
    pa = s.loc[("planning_area", "primary", "all")]
    assert pa["n"] == 6 and pa["weighted_ape"] == pytest.approx(0, abs=1e-12)
    assert pa["naive_weighted_ape"] == pytest.approx(60 / (3 * 210 + 960))  # sum |f - a| / sum a
    assert pa["naive_median_ape"] == pytest.approx((0 + 10 / 310) / 2)  # median of three 0s, 10/310, ...
    council = s.loc[("council", "primary", 1)]
    assert council["n"] == 1 and council["naive_mape"] == pytest.approx(10 / 310)


def test_naive_beats_a_bad_model():
    # intakes rose every year to 2009; then growth stopped dead: every year after holds 2009/10's pupils
    hist = history({"PA1": [20.0 + 2 * k for k in range(10)], "PB1": [40.0 + 3 * k for k in range(10)]})
    base = hist[hist["academic_year"] == 2009].groupby("planning_area_code")["pupils"].sum()
    truth = {("planning_area", c): {y: float(base[c]) for y in range(2010, 2015)} for c in ("PA1", "PB1")}
    region = region_from_frames(tiny_frames(roll_history=hist), source="synthetic")
    result = backtest(region, actual_rows(truth), base_year=2010, settings=QUIET)
    s = result.summary.set_index(["level", "phase", "years_ahead"]).loc[("planning_area", "primary", "all")]
    assert s["naive_weighted_ape"] == pytest.approx(0, abs=1e-12)
    assert s["weighted_ape"] > 0.05 and s["median_ape"] > s["naive_median_ape"]
    # the model's error grows with the horizon (the held intake fills more year groups)
    by = result.summary[(result.summary["level"] == "planning_area") & (result.summary["years_ahead"] != "all")]
    assert by["weighted_ape"].is_monotonic_increasing


def test_rebase_uses_nothing_from_after_the_base_year():
    hist = history({"PA1": [30.0] * 10, "PB1": [40.0] * 10})
    truth = actual_rows({("planning_area", "PA1"): {y: 210.0 for y in range(2010, 2015)}})
    frames = tiny_frames(roll_history=hist)
    a = backtest(region_from_frames(frames, source="s"), truth, base_year=2010, settings=QUIET)
    # a baby boom in the (later) base-year population must not reach a back-test from 2010
    zones = frames["zones"].copy()
    zones[[f"pop_{k}" for k in range(5)]] = 500.0
    frames2 = dict(frames, zones=zones,
                   cohort_change=pd.DataFrame({"council_code": ["A"] * 18, "age": range(18), "ratio": [1.5] * 18}))
    b = backtest(region_from_frames(frames2, source="s"), truth, base_year=2010, settings=QUIET)
    np.testing.assert_allclose(a.rows["forecast"], b.rows["forecast"])
    np.testing.assert_allclose(a.rows["forecast"], 210.0)
    r = rebase(region_from_frames(frames2, source="s"), 2010)
    assert r.cohort_change.empty
    pops = r.zones[[f"pop_{k}" for k in range(19)]].to_numpy()
    assert np.all(pops == pops[:, :1])  # one flat profile per zone


def test_secondary_without_sixth_form():
    frames = tiny_frames()
    schools = frames["schools"].copy()
    schools.loc[schools["urn"] == "3", "nor_sixth_form"] = 150
    region = region_from_frames(dict(frames, schools=schools), source="s")
    act = pd.DataFrame([{"level": "planning_area", "code": "SA1", "phase": "secondary", "academic_year": 2016,
                         "pupils": 600.0}])
    with_6 = backtest(region, act, settings=QUIET).rows.iloc[0]
    without = backtest(region, act, settings=QUIET, sixth_form=False).rows.iloc[0]
    assert with_6["naive"] == pytest.approx(750.0) and without["naive"] == pytest.approx(600.0)
    assert without["forecast"] < with_6["forecast"]
    assert without["p10"] <= without["forecast"] * 1.5


def test_summary_of_nothing_has_the_columns():
    empty = summarise(pd.DataFrame())
    assert {"weighted_ape", "median_ape", "naive_weighted_ape", "naive_median_ape"} <= set(empty.columns)
