"""Back-testing on synthetic regions whose truth is known."""

import numpy as np
import pandas as pd
import pytest

from placeplan.io.bundle import region_from_frames
from placeplan.model.backtest import backtest, rebase
from placeplan.model.uncertainty import Uncertainty
from tests.conftest import tiny_frames

YEARS = range(2005, 2015)  # academic years 2005/06 .. 2014/15


def synthetic(ratio: float, intake: float, noise: float = 0.0, seed: int = 1):
    """Pupils on roll in PA1 (R-Y6) from a known process: constant intake and survival ratio."""
    rng = np.random.default_rng(seed)
    cohort = np.full(7, intake)
    rows, totals = [], {}
    for y in YEARS:
        for g, n in enumerate(cohort):
            rows.append({"planning_area_code": "PA1", "academic_year": y, "ncy": g, "pupils": float(n)})
        totals[y] = float(cohort.sum())
        nxt = np.empty(7)
        nxt[1:] = cohort[:-1] * ratio * (1 + noise * rng.standard_normal(6))
        nxt[0] = intake * (1 + noise * rng.standard_normal())
        cohort = nxt
    return pd.DataFrame(rows), totals


def actuals_from(totals, years):
    return pd.DataFrame([{"level": "planning_area", "code": "PA1", "phase": "primary", "academic_year": y,
                          "pupils": totals[y]} for y in years])


@pytest.mark.parametrize("ratio", [1.0, 0.98, 1.02])
def test_exact_when_the_model_is_true(ratio):
    hist, totals = synthetic(ratio, 30.0)
    region = region_from_frames(tiny_frames(roll_history=hist), source="synthetic")
    result = backtest(region, actuals_from(totals, range(2010, 2015)), base_year=2010,
                      settings=Uncertainty(draws=200, delivery={}, delay_mean={}))
    assert result.base_year == 2010
    assert result.rows["years_ahead"].tolist() == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(result.rows["forecast"], result.rows["actual"], rtol=1e-9)
    assert result.summary.query("years_ahead == 'all'")["mape"].iloc[0] == pytest.approx(0, abs=1e-9)
    assert result.rows["inside_p10_p90"].all()


def test_noisy_truth_is_scored():
    hist, totals = synthetic(1.0, 30.0, noise=0.03, seed=4)
    region = region_from_frames(tiny_frames(roll_history=hist), source="synthetic")
    result = backtest(region, actuals_from(totals, range(2010, 2015)), base_year=2010,
                      settings=Uncertainty(draws=2000, delivery={}, delay_mean={}))
    rows = result.rows
    np.testing.assert_allclose(rows["accuracy"], (rows["forecast"] - rows["actual"]) / rows["actual"])
    mape = result.summary.query("years_ahead == 'all'")["mape"].iloc[0]
    assert 0 < mape < 0.06
    assert (rows["p90"] > rows["p10"]).all()  # residual resampling gives a band
    one = result.summary.query("years_ahead == 1").iloc[0]
    assert one["n"] == 1 and one["mape"] == pytest.approx(abs(rows.iloc[0]["accuracy"]))


def test_council_level_and_skipped_rows():
    hist, totals = synthetic(1.0, 30.0)
    region = region_from_frames(tiny_frames(roll_history=hist), source="synthetic")
    act = pd.DataFrame([
        {"level": "council", "code": "A", "phase": "primary", "academic_year": 2011, "pupils": totals[2011]},
        {"level": "council", "code": "ZZ", "phase": "primary", "academic_year": 2011, "pupils": 5.0},
        {"level": "planning_area", "code": "PA1", "phase": "primary", "academic_year": 2003, "pupils": 5.0},
    ])
    result = backtest(region, act, base_year=2010, settings=Uncertainty(draws=100, delivery={}, delay_mean={}))
    assert result.rows["forecast"].iloc[0] == pytest.approx(totals[2011])
    assert result.skipped["reason"].tolist() == ["no such council", "outside the forecast years"]


def test_rebase_needs_history():
    region = region_from_frames(tiny_frames(), source="tiny")
    with pytest.raises(Exception, match="no pupils on roll for 2009/10"):
        rebase(region, 2010)


def test_cli_backtest(tmp_path):
    import subprocess
    import sys

    from placeplan.io.bundle import write_region

    hist, totals = synthetic(1.0, 30.0, noise=0.02)
    region = region_from_frames(tiny_frames(roll_history=hist), source="synthetic")
    write_region(region, tmp_path / "r.gpkg")
    actuals_from(totals, range(2010, 2015)).assign(academic_year=lambda d: d["academic_year"].map(
        lambda y: f"{y}/{(y + 1) % 100:02d}")).to_csv(tmp_path / "actuals.csv", index=False)
    out = subprocess.run([sys.executable, "-m", "placeplan", "backtest", "--region", str(tmp_path / "r.gpkg"),
                          "--actuals", str(tmp_path / "actuals.csv"), "--base-year", "2010", "--draws", "300",
                          "--out", str(tmp_path / "bt.xlsx")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Back-test from base year 2010" in out.stdout and "MAPE" in out.stdout and "naive weighted" in out.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("level,code,phase,academic_year,pupils\nward,X,primary,2011,ten\n")
    out = subprocess.run([sys.executable, "-m", "placeplan", "backtest", "--region", str(tmp_path / "r.gpkg"),
                          "--actuals", str(bad)], capture_output=True, text=True)
    assert out.returncode == 1 and "row 2, column pupils: 'ten' is not a number" in out.stderr
    assert "Traceback" not in out.stderr
