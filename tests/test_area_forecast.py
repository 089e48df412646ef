"""Issue #12 wired into the forecast: planning areas as shares of the council projection,
netting by default, yields from the mix a site has, and what the product says about them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import placeplan as pp
from placeplan.app.edits import SITE_COLUMNS
from placeplan.model.forecast import forecast, forecast_arrays
from placeplan.model.yields import DIMENSIONS

REGION = pp.load_region()

#: Baseline pupils per council, area phase and year on main before issue #12 (damping 0.5,
#: population method), from ``Results.pupils``; the constrained baseline keeps them.
BEFORE = {
    ("E06000042", "primary", "2016/17"): 26145.7, ("E06000042", "primary", "2022/23"): 25635.0,
    ("E06000042", "primary", "2029/30"): 24931.4, ("E06000042", "secondary", "2016/17"): 18075.3,
    ("E06000042", "secondary", "2022/23"): 22479.9, ("E06000042", "secondary", "2029/30"): 22453.4,
    ("E06000055", "primary", "2016/17"): 14849.8, ("E06000055", "primary", "2022/23"): 15479.8,
    ("E06000055", "primary", "2029/30"): 15266.0, ("E06000055", "secondary", "2016/17"): 10869.7,
    ("E06000055", "secondary", "2022/23"): 11494.7, ("E06000055", "secondary", "2029/30"): 11954.3,
    ("E06000056", "primary", "2016/17"): 23650.9, ("E06000056", "primary", "2022/23"): 24435.4,
    ("E06000056", "primary", "2029/30"): 24143.4, ("E06000056", "secondary", "2016/17"): 16484.0,
    ("E06000056", "secondary", "2022/23"): 19265.7, ("E06000056", "secondary", "2029/30"): 20373.1,
    ("E06000060", "primary", "2016/17"): 43147.4, ("E06000060", "primary", "2022/23"): 42674.6,
    ("E06000060", "primary", "2029/30"): 42615.7, ("E06000060", "secondary", "2016/17"): 36062.5,
    ("E06000060", "secondary", "2022/23"): 40715.3, ("E06000060", "secondary", "2029/30"): 41387.4,
}


def test_demo_council_totals_stay_within_half_a_percent():
    p = pp.forecast(REGION).pupils
    after = p[p["academic_year"].isin(["2016/17", "2022/23", "2029/30"])].groupby(
        ["council_code", "phase", "academic_year"])["baseline_pupils"].sum()
    for key, before in BEFORE.items():
        assert after[key] == pytest.approx(before, rel=0.005), key


def test_demo_areas_keep_their_share_of_each_ncy():
    """The population method with one census: each area keeps its base share of its council's NCY."""
    x = forecast_arrays(REGION, REGION.assumptions())
    idx = x.idx
    base = x.baseline  # (A, Y, G)
    for c in range(len(idx.councils)):
        rows = idx.area_council == c
        total = base[rows].sum(axis=0)
        share = np.divide(base[rows], total, out=np.zeros_like(base[rows]), where=total > 0)
        np.testing.assert_allclose(share, share[:, :1, :].repeat(share.shape[1], axis=1), atol=1e-12)


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_zero_dwellings_add_nothing(seed):
    sites = REGION.sites.copy()
    zero = np.random.default_rng(seed).random(len(sites)) < 0.5
    sites.loc[zero, "dwellings"] = 0.0
    x = forecast_arrays(REGION.replace(sites=sites), REGION.assumptions())
    assert np.all(x.pupils[zero] == 0) and np.all(x.built[zero] == 0)
    none = REGION.replace(sites=sites.assign(dwellings=0.0))
    y = forecast_arrays(none, REGION.assumptions())
    assert np.all(y.housing == 0)


@pytest.mark.parametrize("method", ["population", "none"])
def test_netting_never_adds_pupils(method):
    a = REGION.assumptions().replace(baseline_method=method)
    on = forecast_arrays(REGION, a.replace(netting=True))
    off = forecast_arrays(REGION, a.replace(netting=False))
    assert np.all(on.housing <= off.housing + 1e-9)
    assert np.all(on.built <= off.built + 1e-9)
    if method == "population":  # the demo's rates net something
        assert on.housing.sum() < off.housing.sum()


def test_netting_without_a_rate_is_said_everywhere(capsys):
    from placeplan.cli import _summary

    region = REGION.replace(background_rates=REGION.background_rates.iloc[:2])
    res = forecast(region, region.assumptions().replace(netting=True))
    missing = set(REGION.background_rates["council_code"].iloc[2:])
    names = REGION.councils.set_index("council_code").loc[sorted(missing), "council"]
    [warning] = [w for w in res.warnings if w.startswith("Netting was asked for")]
    assert all(n in warning for n in names)
    prov = res.provenance.set_index("key")["value"]
    assert warning in res.provenance.loc[res.provenance["key"] == "warning", "value"].tolist()
    assert "null" in prov["netting.dwellings_per_year_netted"]
    assert warning in _summary(res, region)
    ok = forecast(REGION, REGION.assumptions().replace(netting=True))
    assert not [w for w in ok.warnings if w.startswith("Netting")]


def test_yield_basis_in_sites_table_and_provenance():
    res = pp.forecast(REGION)
    basis = res.sites["yield_basis"]
    assert set(basis) <= {"all", "type", "tenure", "bedrooms", "type+tenure", "bedrooms+tenure"}
    flats = REGION.sites["share_houses"].notna().to_numpy()
    assert (basis[flats] == "type").all() and (basis[~flats] == "all").all()
    prov = res.provenance.set_index("key")["value"]
    assert prov["sites.yield_basis"] == f'{{"all": {(~flats).sum()}, "type": {flats.sum()}}}'


MIX_FIELDS = [c for c in SITE_COLUMNS if any(c in cols for _, cols in DIMENSIONS.values())]


def test_the_app_edits_mix_fields():
    assert set(MIX_FIELDS) == {"share_houses", "affordable_share"}


@pytest.mark.parametrize("column", MIX_FIELDS)
def test_every_mix_field_the_app_edits_changes_the_numbers(column):
    """A planner's edit of a site's houses/flats or tenure share moves its pupils and the areas'."""
    sites = REGION.sites.copy()
    s = int(np.flatnonzero((sites["dwellings"] > 100) & (sites["status"] != "completed"))[0])
    results = []
    for value in (0.1, 0.9):
        sites.loc[sites.index[s], column] = value
        results.append(pp.forecast(REGION.replace(sites=sites.copy())))
    low, high = (r.sites.iloc[s]["peak_primary_pupils"] for r in results)
    assert high > low  # more houses / more affordable homes: more primary pupils (DfE splits)
    assert results[1].shortfall["pupils_forecast"].sum() > results[0].shortfall["pupils_forecast"].sum()


def test_cli_backtest_prints_naive_beside_and_errors(tmp_path, capsys):
    from placeplan.cli import main

    res = pp.forecast(REGION)
    sf = res.shortfall[res.shortfall["academic_year"] == "2017/18"]
    rows = [dict(level="planning_area", code=c, phase=p, academic_year="2017/18", pupils=v)
            for (c, p), v in sf.groupby(["planning_area_code", "phase"])["pupils_forecast"].sum().items()]
    rows += [dict(level="council", code=c, phase=p, academic_year="2017/18", pupils=v)
             for (c, p), v in sf.groupby(["council_code", "phase"])["pupils_forecast"].sum().items()]
    path = tmp_path / "actuals.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert main(["backtest", "--actuals", str(path), "--draws", "20"]) == 0
    out = capsys.readouterr().out
    for words in ("naive weighted", "naive median", "weighted", "median", "planning_area", "council"):
        assert words in out
    line = next(x for x in out.splitlines() if x.split()[:3] == ["planning_area", "primary", "all"])
    assert line.split()[4:6] == ["+0.0%", line.split()[5]] and line.split()[8] == "0.0%"  # exact actuals: no error
    assert main(["backtest", "--actuals", str(path), "--draws", "20", "--no-sixth-form"]) == 0
    assert "Y7-Y11" in capsys.readouterr().out
