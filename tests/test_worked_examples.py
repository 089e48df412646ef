"""Every worked example in DOMAIN.md, reproduced exactly."""

import numpy as np
import pytest

from placeplan.model import baseline as bl
from placeplan.model.funding import contribution


def test_grade_progression_published_example():
    # Enrolment 2021-23 for grades K, 1, 2 (an R package's test suite).
    history = np.array([[[100, 90, 80], [110, 95, 88], [120, 99, 91]]], dtype=float)
    ratios = bl.average_ratios(bl.survival_ratios(history), "mean")
    assert ratios[0, 0] == pytest.approx(0.925, abs=1e-12)
    assert ratios[0, 1] == pytest.approx(0.96783626, abs=1e-8)
    out = bl.grade_progression(history[:, -1], ratios, np.array([[130.0, 140.0]]))
    assert out[0, 0] == pytest.approx([130, 111, 95.8158], abs=5e-5)
    assert out[0, 1] == pytest.approx([140, 120.25, 107.4298], abs=5e-5)


def test_leeds_contribution_2014():
    # 100 dwellings x 0.25 x 0.97 x £12,257 = £297,232.25 primary; secondary £179,149.30.
    assert float(contribution(100, 0.25, 12_257, 0.97)) == pytest.approx(297_232.25, abs=0.005)
    assert float(contribution(100, 0.10, 18_469, 0.97)) == pytest.approx(179_149.30, abs=0.005)


def test_north_yorkshire_costs_2025_26(tiny_region):
    """England 2022/23 scorecard costs x location factor 0.95, SEND = 4 x primary expansion."""
    import pandas as pd

    from placeplan.model.funding import cost_lookup
    from placeplan.model.funding import cost_per_place as _cpp
    from placeplan.model.index import region_index

    costs = pd.DataFrame(
        [
            ("A", "primary", "expansion", 19_989.0),
            ("A", "primary", "new_school", 23_865.0),
            ("A", "secondary", "expansion", 27_492.0),
            ("A", "secondary", "new_school", 28_912.0),
        ],
        columns=["council_code", "phase", "project_type", "cost_per_place"],
    ).assign(location_factor=0.95, price_base="2022/23")
    region = tiny_region.replace(costs=costs)
    a = region.assumptions()
    lookup = cost_lookup(region, region_index(region, a.horizon).councils, a.price_base)
    assert lookup[("primary", "expansion")][0] == 18_990
    assert round(lookup[("primary", "new_school")][0]) == 22_672
    assert round(lookup[("secondary", "expansion")][0]) == 26_117
    assert round(lookup[("secondary", "new_school")][0]) == 27_466
    assert _cpp(lookup, "send", "expansion", 2)[0] == 75_960


def test_ratio_methods_by_hand():
    r = np.array([[[0.9], [1.0], [1.2]]])  # three years of one ratio
    assert bl.average_ratios(r, "mean")[0, 0] == pytest.approx(31 / 30)
    assert bl.average_ratios(r, "median")[0, 0] == pytest.approx(1.0)
    assert bl.average_ratios(r, "last")[0, 0] == pytest.approx(1.2)
    assert bl.average_ratios(r, "geometric")[0, 0] == pytest.approx((0.9 * 1.0 * 1.2) ** (1 / 3))
    assert bl.average_ratios(r, "weighted")[0, 0] == pytest.approx((0.9 * 1 + 1.0 * 2 + 1.2 * 3) / 6)
    assert bl.average_ratios(r, "mean", years=2)[0, 0] == pytest.approx(1.1)
    with pytest.raises(ValueError):
        bl.average_ratios(r, "mode")
