"""The whole forecast as a chain of named steps.

baseline -> site pupils -> placement -> flows -> capacity and shortfall -> funding.
Each step is a function of its own module; this module only composes them, and the
Monte Carlo (:mod:`placeplan.model.uncertainty`) composes the same functions over draws.
See docs/architecture.md.
"""

from __future__ import annotations

import numpy as np

from placeplan.model.baseline import baseline
from placeplan.model.capacity import Shortfall, region_capacity, shortfall
from placeplan.model.completions import paid_share, region_netting_warning
from placeplan.model.constants import PHASES
from placeplan.model.flows import apply_flows, flows_operator
from placeplan.model.funding import (
    area_costs_per_place,
    contributions_by_year,
    cost_lookup,
    cost_per_place,
    funding_by_year,
    funding_gap,
    group_sum,
    lacking_places,
    place_costs,
    site_contributions,
    site_costs_per_place,
)
from placeplan.model.geography import area_pupils, placement_warnings, site_weights
from placeplan.model.index import RegionIndex, region_index
from placeplan.model.region import Assumptions, Region
from placeplan.model.results import ForecastArrays, Results, results
from placeplan.model.yields import region_yield_basis, site_pupils

__all__ = ["forecast", "forecast_arrays", "funding_arrays", "Results", "ForecastArrays"]


def forecast(region: Region, assumptions: Assumptions | None = None, scenario_name: str = "base") -> Results:
    """Run the whole forecast for a region.

    Parameters
    ----------
    region : Region
        A validated region with sites and zones placed (``site_areas``, ``zone_areas``).
    assumptions : Assumptions, optional
        Defaults to the region's stored assumptions.
    scenario_name : str
        Recorded in the provenance.

    Returns
    -------
    Results
    """
    a = assumptions or region.assumptions()
    arrays = forecast_arrays(region, a)
    netting = region_netting_warning(region, arrays.idx.councils, arrays.idx.council_names, a)
    return results(region, a, arrays, scenario_name, list(placement_warnings(region)) + ([netting] if netting else []))


def forecast_arrays(region: Region, a: Assumptions) -> ForecastArrays:
    """The arrays of every step of the forecast (what :class:`Results` tables are built from)."""
    idx = region_index(region, a.horizon)
    base, _ = baseline(region, idx, a)
    dwellings, built, yields, pupils = site_pupils(region, idx, a)
    weights = site_weights(region, idx.areas)
    housing = apply_flows(area_pupils(pupils, weights), flows_operator(region, idx.areas))
    sf = shortfall((base + housing).sum(axis=2), region_capacity(region, idx), a.headroom, idx.places_per_fe)
    money = funding_arrays(region, idx, a, sf, weights, dwellings, built, yields, pupils)
    return ForecastArrays(idx=idx, baseline=base, housing=housing, shortfall=sf, dwellings=dwellings, built=built,
                          yields=yields, pupils=pupils, yield_basis=region_yield_basis(region, a), **money)


def funding_arrays(region: Region, idx: RegionIndex, a: Assumptions, sf: Shortfall, weights: dict,
                   dwellings: np.ndarray, built: np.ndarray, yields: np.ndarray, pupils: np.ndarray) -> dict:
    """Cost of the places needed, contributions sought and received, grants and the gap
    (the funding fields of :class:`ForecastArrays`)."""
    n_c = len(idx.councils)
    lookup = cost_lookup(region, idx.councils, a.price_base)
    site_council = idx.councils.get_indexer(region.sites["council_code"].astype(str))
    send_pupils = group_sum(pupils[:, PHASES.index("send"), :], site_council, n_c)
    expansion, new_school = area_costs_per_place(lookup, idx.area_phase, idx.area_council, n_c)
    new_c, cost_c = place_costs(sf.places_needed, send_pupils, expansion, new_school,
                                cost_per_place(lookup, "send", "expansion", n_c), idx.places_per_fe, a.new_school_fe,
                                idx.area_council, a.cost_lead_years)
    short_area = sf.places_needed.max(axis=1) > 0 if len(idx.years) else np.zeros(len(idx.areas), dtype=bool)
    sought, unfunded, large = site_contributions(dwellings, yields, site_costs_per_place(lookup, site_council, n_c),
                                                 lacking_places(weights, short_area), a.contribution_threshold)
    contrib = contributions_by_year(sought.sum(axis=1), paid_share(built, dwellings), site_council, n_c)
    basic_need, other = funding_by_year(region, idx.councils, idx.years)
    return dict(sought=sought, unfunded=unfunded, large=large, site_council=site_council, new_places=new_c, cost=cost_c,
                contributions=contrib, basic_need=basic_need, other_funding=other,
                funding_gap=funding_gap(cost_c, contrib, basic_need, other))
