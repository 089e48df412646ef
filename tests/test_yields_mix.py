"""Yields from whatever mix a site records; the yield profile's long-run tail; netting."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from placeplan.model.completions import net_of_background, netting_warning, trend_background
from placeplan.model.constants import PHASES
from placeplan.model.yields import CONVERGENCE_YEARS, profile_matrix, site_yields

PRIMARY = PHASES.index("primary")
SECONDARY = PHASES.index("secondary")

# the demo's yields (DfE pupil yield dashboard 2021/22, DOMAIN.md)
YIELDS = pd.DataFrame(
    [
        ("primary", "all", "all", 0.253), ("secondary", "all", "all", 0.125),
        ("primary", "type", "house", 0.356), ("primary", "type", "flat", 0.101),
        ("primary", "tenure", "affordable", 0.336), ("primary", "tenure", "market", 0.226),
        ("primary", "bedrooms", "1", 0.029), ("primary", "bedrooms", "2", 0.2),
        ("primary", "bedrooms", "3", 0.368), ("primary", "bedrooms", "4+", 0.402),
    ],
    columns=["phase", "dimension", "category", "pupils_per_dwelling"],
)
BEDS = ["share_1bed", "share_2bed", "share_3bed", "share_4bed"]


def test_flats_only_site_yields_the_flats_rate_by_default():
    sites = pd.DataFrame({"share_houses": [0.0]})
    y, basis = site_yields(sites, YIELDS, return_basis=True)  # default basis "bedrooms"
    assert y[0, PRIMARY] == pytest.approx(0.101)
    assert basis.tolist() == ["type"]


def test_each_site_takes_the_most_detailed_mix_it_has():
    sites = pd.DataFrame({
        "share_houses": [np.nan, 1.0, 1.0, np.nan, np.nan],
        "affordable_share": [np.nan, np.nan, 1.0, 0.0, np.nan],
        "share_1bed": [0.5, np.nan, np.nan, np.nan, np.nan], "share_2bed": [0.5, np.nan, np.nan, np.nan, np.nan],
        "share_3bed": [0.0, np.nan, np.nan, np.nan, np.nan], "share_4bed": [0.0, np.nan, np.nan, np.nan, np.nan],
    })
    y, basis = site_yields(sites, YIELDS, "bedrooms", return_basis=True)
    assert basis.tolist() == ["bedrooms", "type", "type+tenure", "tenure", "all"]
    assert y[:, PRIMARY] == pytest.approx([0.1145, 0.356, 0.356 * 0.336 / 0.253, 0.226, 0.253])
    # secondary: DfE gives no split, so the primary split's ratio scales it
    assert y[1, SECONDARY] == pytest.approx(0.125 * 0.356 / 0.253)
    # "type" prefers houses/flats where both are known; "all" ignores every mix
    both = pd.DataFrame({"share_houses": [0.0], **{c: [v] for c, v in zip(BEDS, [0, 0, 0, 1.0])}})
    assert site_yields(both, YIELDS, "type")[0, PRIMARY] == pytest.approx(0.101)
    assert site_yields(both, YIELDS, "bedrooms")[0, PRIMARY] == pytest.approx(0.402)
    assert site_yields(both, YIELDS, "all", return_basis=True)[1].tolist() == ["all"]
    with pytest.raises(ValueError, match="yield basis"):
        site_yields(both, YIELDS, "rooms")


@settings(max_examples=40, deadline=None)
@given(houses=st.floats(0, 1), affordable=st.one_of(st.none(), st.floats(0, 1)))
def test_every_mix_field_moves_the_yield(houses, affordable):
    """Editing a site's houses/flats or tenure share changes its yield (when the split differs)."""
    a = np.nan if affordable is None else affordable
    one = site_yields(pd.DataFrame({"share_houses": [houses], "affordable_share": [a]}), YIELDS)[0, PRIMARY]
    more = site_yields(pd.DataFrame({"share_houses": [min(houses + 0.5, 1.0) if houses < 0.5 else houses - 0.5],
                                     "affordable_share": [a]}), YIELDS)[0, PRIMARY]
    assert one != pytest.approx(more)
    if affordable is not None:
        other = site_yields(pd.DataFrame({"share_houses": [houses], "affordable_share": [1 - a if abs(a - 0.5) > 0.01 else 0.0]}),
                            YIELDS)[0, PRIMARY]
        assert (one != pytest.approx(other)) or houses == 0 and one == 0


PROFILE = pd.DataFrame({
    "phase": ["primary"] * 3 + ["secondary"] * 3,
    "years_since_completion": [0, 1, 2, 0, 1, 2],
    "multiplier": [0.6, 1.2, 0.9, 0.4, 1.0, 1.6],
})


@settings(max_examples=40, deadline=None)
@given(long_run=st.floats(0, 3), years=st.integers(3, 60), n=st.integers(3, 90))
def test_profile_tail_converges_and_keeps_the_first_years(long_run, years, n):
    m = profile_matrix(PROFILE, n, long_run=long_run, converge_years=years)
    held = profile_matrix(PROFILE, n, long_run=None)
    assert np.array_equal(m[:, :3], held[:, :3])  # the given years are unchanged
    p = PHASES.index("secondary")
    last = PROFILE["multiplier"].iloc[-1]
    tail = m[p, 2:]
    assert np.all(np.diff(tail) * np.sign(long_run - last) >= -1e-12)  # moves one way only
    if n > years:
        assert m[p, years:] == pytest.approx(long_run)  # reached by converge_years, then held
    lo, hi = sorted((last, long_run))
    assert np.all((tail >= lo - 1e-12) & (tail <= hi + 1e-12))
    assert np.all(m[PHASES.index("send")] == 1.0)  # no profile: 1


def test_profile_tail_default_and_per_phase():
    m = profile_matrix(PROFILE, 40)
    p = PHASES.index("secondary")
    # default: from 1.6 at year 2 to 1.0 at year 30, linearly
    assert m[p, 16] == pytest.approx(1.6 + (1.0 - 1.6) * 14 / 28)
    assert m[p, CONVERGENCE_YEARS:] == pytest.approx(1.0)
    m = profile_matrix(PROFILE, 40, long_run={"secondary": 1.2}, converge_years={"secondary": 12})
    assert m[p, 12:] == pytest.approx(1.2)
    assert m[PRIMARY, 3:] == pytest.approx(0.9)  # a phase not in the dict holds its last value


@settings(max_examples=80, deadline=None)
@given(built=arrays(float, (5, 4), elements=st.floats(0, 1e4)),
       council=arrays(int, 5, elements=st.integers(-1, 2)),
       background=arrays(float, 3, elements=st.one_of(st.floats(-1e4, 1e4), st.just(np.nan))))
def test_netting_never_adds(built, council, background):
    net = net_of_background(built, council, background)
    assert np.all(net <= built + 1e-9)
    assert np.all(net >= 0)
    assert np.array_equal(net[council < 0], built[council < 0])  # no council: nothing to net against


def test_zero_background_nets_nothing_and_trend_background_scales():
    built = np.array([[60.0, 100.0], [40.0, 0.0]])
    np.testing.assert_allclose(net_of_background(built, np.array([0, 0]), np.array([0.0])), built)
    np.testing.assert_allclose(trend_background(np.array([800.0, np.nan, -5]), 0.5), [400.0, 0.0, 0.0])


def test_netting_warning():
    assert netting_warning(False, ["Bedford"], []) is None
    assert netting_warning(True, ["Bedford", "Luton"], ["Bedford", "Luton"]) is None
    text = netting_warning(True, ["Bedford", "Luton"], ["Bedford"])
    assert "Luton" in text and "Bedford" not in text and "in full" in text
    assert "any council" in netting_warning(True, ["Bedford"], [])
