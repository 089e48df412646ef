"""Invariants of the model, checked over generated inputs (hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import placeplan as pp
from placeplan.io.bundle import region_from_frames
from placeplan.model.capacity import shortfall
from placeplan.model.completions import completions
from placeplan.model.flows import apply_flows
from tests.conftest import tiny_frames

YEARS = np.arange(2016, 2031)
finite = st.floats(0, 5000, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(arrays(float, 8, elements=finite), arrays(float, 8, elements=st.floats(2010, 2035)),
       arrays(float, 8, elements=st.floats(0, 800)))
def test_completions_never_exceed_dwellings(dw, first, rate):
    built = completions(dw, np.floor(first), rate, YEARS)
    assert (built >= -1e-9).all()
    assert (built.sum(axis=1) <= dw + 1e-6).all()


def _region(dwellings: float, capacity: float = 210.0):
    frames = tiny_frames()
    frames["sites"].loc[0, ["dwellings", "build_rate"]] = [dwellings, 50.0]
    frames["schools"].loc[0, "capacity_primary"] = capacity
    return region_from_frames(frames, source="tiny")


@settings(max_examples=15, deadline=None)
@given(st.floats(0, 3000))
def test_pupils_scale_linearly_with_dwellings(d):
    one = pp.forecast(_region(100.0)).shortfall["housing_pupils"].to_numpy()
    frames = tiny_frames()
    frames["sites"].loc[0, ["dwellings", "build_rate"]] = [100.0 * (1 + d / 100), 50.0 * (1 + d / 100)]
    many = pp.forecast(region_from_frames(frames, source="tiny")).shortfall["housing_pupils"].to_numpy()
    np.testing.assert_allclose(many, one * (1 + d / 100), rtol=1e-9, atol=1e-9)


def test_zero_dwellings_add_no_pupils():
    res = pp.forecast(_region(0.0))
    assert (res.shortfall["housing_pupils"] == 0).all()
    assert res.contributions["contribution"].sum() == 0
    assert res.sites["contribution_total"].sum() == 0


@settings(max_examples=200, deadline=None)
@given(arrays(float, (4, 4), elements=st.floats(0, 1)), arrays(float, (4, 6), elements=finite))
def test_flows_conserve_pupils(raw, resident):
    shares = raw / np.maximum(raw.sum(axis=1, keepdims=True), 1.0)  # each row sums to <= 1
    np.fill_diagonal(shares, 0)
    m = shares.copy()
    m[np.arange(4), np.arange(4)] = 1 - shares.sum(axis=1)
    moved = apply_flows(resident, m)
    np.testing.assert_allclose(moved.sum(axis=0), resident.sum(axis=0), rtol=1e-9, atol=1e-6)
    assert (moved >= -1e-9).all()


@settings(max_examples=200, deadline=None)
@given(arrays(float, (3, 5), elements=finite), arrays(float, (3, 5), elements=finite),
       st.floats(0, 0.2), arrays(float, (3, 5), elements=st.floats(0, 500)))
def test_shortfall_never_negative_and_more_capacity_never_raises_need(pupils, capacity, headroom, extra):
    fe = np.array([210.0, 150.0, 210.0])
    a = shortfall(pupils, capacity, headroom, fe)
    b = shortfall(pupils, capacity + extra, headroom, fe)
    assert (a.places_needed >= 0).all() and (a.spare_places >= 0).all()
    assert (b.places_needed <= a.places_needed + 1e-9).all()


@settings(max_examples=10, deadline=None)
@given(st.floats(0, 400))
def test_more_capacity_never_raises_places_needed_end_to_end(extra):
    a = pp.forecast(_region(1000.0, 210.0)).shortfall["places_needed"].to_numpy()
    b = pp.forecast(_region(1000.0, 210.0 + extra)).shortfall["places_needed"].to_numpy()
    assert (b <= a + 1e-9).all()
