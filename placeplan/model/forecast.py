"""The whole forecast as a chain of named steps.

baseline -> site pupils -> placement -> flows -> capacity and shortfall -> projects ->
contributions -> funding by year. Each step is a function of its own module; this module
only composes them, and the Monte Carlo (:mod:`placeplan.model.uncertainty`) composes the
same functions over draws (:func:`funding_step` takes a leading draws axis).
See docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placeplan.model.baseline import baseline
from placeplan.model.capacity import Shortfall, region_capacity, shortfall
from placeplan.model.completions import region_netting_warning
from placeplan.model.constants import PHASES
from placeplan.model.contributions import (
    Pairs,
    attribute,
    council_pairs,
    housing_need,
    housing_places,
    pair_pupils,
    school_pairs,
)
from placeplan.model.flows import apply_flows, flows_operator
from placeplan.model.funding import (
    cost_by_type,
    cost_lookup,
    cost_per_place,
    early_years_cost_per_place,
    funding_by_year,
    grants_by_year,
    group_sum,
    new_places,
    shift_earlier,
)
from placeplan.model.geography import area_pupils, placement_warnings, site_weights
from placeplan.model.index import RegionIndex, region_index
from placeplan.model.projects import area_project_settings, choose_projects, project_cost_per_place
from placeplan.model.region import Assumptions, Region
from placeplan.model.results import ForecastArrays, Results, results
from placeplan.model.yields import region_yield_basis, site_pupils

__all__ = ["forecast", "forecast_arrays", "funding_inputs", "funding_step", "FundingInputs", "Results",
           "ForecastArrays", "KINDS"]

#: The kinds of place contributions are sought for: school areas, then per-council phases.
KINDS = ("primary", "secondary", "early_years", "send")


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
    flows = flows_operator(region, idx.areas)
    housing = apply_flows(area_pupils(pupils, weights), flows)
    base_tot, housing_tot = base.sum(axis=2), housing.sum(axis=2)
    sf = shortfall(base_tot + housing_tot, region_capacity(region, idx), a.headroom, idx.places_per_fe)
    fi = funding_inputs(region, idx, a, dwellings, yields)
    # Contributions: the pipeline's pupils from every home it builds; the need without the
    # pipeline is the trend without the building it carries (netting moves that building's
    # families from the trend to the sites, it does not make them nobody's).
    gross = site_pupils(region, idx, a, netted=False)[3] if a.netting else pupils
    gross_tot = apply_flows(area_pupils(gross, weights), flows).sum(axis=2) if a.netting else housing_tot
    money = funding_step(fi, idx, a, sf, base_tot + housing_tot - gross_tot, gross_tot,
                         {k: pair_pupils(p, gross) for k, p in fi.pairs.items()})
    return ForecastArrays(idx=idx, baseline=base, housing=housing, shortfall=sf, dwellings=dwellings, built=built,
                          yields=yields, pupils=pupils, yield_basis=region_yield_basis(region, a), funding=fi,
                          **money)


@dataclass(frozen=True)
class FundingInputs:
    """What the funding steps need that no Monte Carlo draw changes."""

    pairs: dict          # kind -> Pairs (site, receiving unit)
    cap: dict            # kind -> (K,) DfE's formula in places (share x dwellings x settled yield)
    pays: dict           # kind -> (K,) bool: site at or above the threshold and the phase charged
    costs: np.ndarray    # (4, A) cost per place by project type
    early_years_cpp: np.ndarray  # (C,) NaN = not costed
    send_cpp: np.ndarray         # (C,)
    expansion_max_fe: np.ndarray  # (A,)
    new_school_min_fe: np.ndarray  # (A,)
    large: np.ndarray    # (S,)
    site_council: np.ndarray  # (S,)
    basic_need: np.ndarray    # (C, Y) allocated
    other: np.ndarray         # (C, Y)


def funding_inputs(region: Region, idx: RegionIndex, a: Assumptions, dwellings: np.ndarray,
                   yields: np.ndarray) -> FundingInputs:
    """Pairs, caps, costs and grants of a region (the inputs of :func:`funding_step`)."""
    n_c = len(idx.councils)
    lookup = cost_lookup(region, idx.councils, a.price_base)
    site_council = idx.councils.get_indexer(region.sites["council_code"].astype(str))
    weights = site_weights(region, idx.areas)
    pairs: dict[str, Pairs] = dict(school_pairs(weights, flows_operator(region, idx.areas), idx.area_council,
                                                idx.area_phase))
    pairs["early_years"] = council_pairs(site_council, PHASES.index("early_years"), n_c)
    pairs["send"] = council_pairs(site_council, PHASES.index("send"), n_c)
    large = dwellings >= a.contribution_threshold
    charged = {"early_years": a.charge_early_years, "send": a.charge_send}
    cap = {k: p.share * dwellings[p.site] * yields[p.site][:, list(p.phase_rows)].sum(axis=1) for k, p in pairs.items()}
    pays = {k: large[p.site] & charged.get(k, True) for k, p in pairs.items()}
    exp_max, min_fe = area_project_settings(a, idx.area_phase)
    bn, other = grants_by_year(region, idx.councils, idx.years)
    return FundingInputs(pairs, cap, pays, cost_by_type(lookup, idx.area_phase, idx.area_council, n_c),
                         early_years_cost_per_place(lookup, n_c), cost_per_place(lookup, "send", "expansion", n_c),
                         exp_max, min_fe, large, site_council, bn, other)


def funding_step(fi: FundingInputs, idx: RegionIndex, a: Assumptions, sf: Shortfall, base_tot: np.ndarray,
                 housing_tot: np.ndarray, pupils: dict, cap_scale: dict | None = None) -> dict:
    """Projects, contributions and funding by year from one forecast (or a chunk of draws).

    Parameters
    ----------
    sf : Shortfall
        (..., A, Y) arrays; leading axes are draws.
    base_tot, housing_tot : (..., A, Y)
        Pupils without the pipeline and the pipeline's pupils, by receiving area.
    pupils : dict
        kind -> (..., K, Y) each pair's pupils (:func:`~placeplan.model.contributions.pair_pupils`).
    cap_scale : dict, optional
        kind -> (..., K) multiplier on the cap (a draw's yield multiplier).

    Returns
    -------
    dict of the funding fields of :class:`ForecastArrays` (per council and year, and the
    attributions of each kind).
    """
    n_c = len(idx.councils)
    proj = choose_projects(sf.places_needed, idx.places_per_fe, fi.expansion_max_fe, fi.new_school_min_fe,
                           a.temporary_max_years)
    price = project_cost_per_place(proj.kind, fi.costs)  # (..., A)
    need_with, need_housing = housing_need(base_tot, housing_tot, sf.capacity, a.headroom)
    school_new = housing_places(need_with, need_housing)
    ey_cpp = np.nan_to_num(fi.early_years_cpp)
    att, places_by_kind, price_by_kind = {}, {}, {}
    for kind, pairs in fi.pairs.items():
        q = pupils[kind]
        if kind in ("early_years", "send"):
            places = new_places(group_sum(q, pairs.unit, pairs.n_unit, axis=-2))
            cpp = np.broadcast_to(ey_cpp if kind == "early_years" else fi.send_cpp, places.shape[:-1])
            unit_council = np.arange(n_c)
        else:
            places = school_new * (idx.area_phase == kind)[:, None]
            cpp, unit_council = price, idx.area_council
        cap = fi.cap[kind] * cap_scale[kind] if cap_scale and kind in cap_scale else fi.cap[kind]
        att[kind] = attribute(pairs, q, places, cpp, cap, unit_council, n_c, fi.pays[kind])
        places_by_kind[kind], price_by_kind[kind] = places, cpp
    school_places = proj.places + proj.extra_places
    new_c = group_sum(school_places, idx.area_council, n_c, axis=-2)
    cost = group_sum(school_places * price[..., None], idx.area_council, n_c, axis=-2)
    for kind in ("early_years", "send"):
        new_c = new_c + places_by_kind[kind]
        cost = cost + places_by_kind[kind] * price_by_kind[kind][..., None]
    lead = a.cost_lead_years
    housing_cost = shift_earlier(sum(x.housing_cost for x in att.values()), lead)
    sought = shift_earlier(sum(x.sought_by_year for x in att.values()), lead)
    unfunded = shift_earlier(sum(x.unfunded_by_year for x in att.values()), lead)
    fby = funding_by_year(shift_earlier(cost, lead), housing_cost, sought, fi.basic_need, fi.other)
    return dict(projects=proj, attributions=att, new_places=new_c, cost=fby.cost, housing_cost=housing_cost,
                contributions=fby.contributions, unfunded=unfunded, basic_need=np.broadcast_to(fi.basic_need, fby.gap.shape),
                basic_need_used=fby.basic_need_non_housing + fby.basic_need_housing,
                other_funding=np.broadcast_to(fi.other, fby.gap.shape), other_used=fby.other_used,
                funding_gap=fby.gap, unallocated=fby.unallocated)
