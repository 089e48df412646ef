"""Cost of new places, developer contributions, grants and the funding gap.

Every function takes optional leading axes (the Monte Carlo's draws) unless it says
otherwise: areas or councils are the second-to-last axis, years the last.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from placeplan.model.constants import AREA_PHASE_OF, PHASES
from placeplan.model.util import cached_on

if TYPE_CHECKING:
    from placeplan.model.region import Region

__all__ = [
    "price_index", "cost_lookup", "cost_per_place", "area_costs_per_place", "site_costs_per_place",
    "new_places", "project_type_is_new_school", "place_costs", "shift_earlier",
    "contribution", "lacking_places", "site_contributions", "contributions_by_year",
    "funding_by_year", "funding_gap", "group_sum",
]

#: A SEND place costs about 4 primary places (North Yorkshire, citing DfE).
SEND_COST_RATIO = 4.0


# --------------------------------------------------------------------------- cost per place


def price_index(meta: dict[str, str]) -> dict[str, float]:
    """Price index by price base (``"2024/25" -> 1.0``) from the region's ``meta``; may be empty."""
    raw = meta.get("price_index")
    return {k: float(v) for k, v in json.loads(raw).items()} if raw else {}


def cost_lookup(region: Region, councils: pd.Index, price_base: str | None) -> dict[tuple[str, str], np.ndarray]:
    """Cost per place per council, (C,), for each (phase, project type) given (cached).

    Notes
    -----
    ``cost = round(cost_per_place * location_factor * index[price_base] / index[own base])``:
    councils quote cost per place to the pound after the location factor (North
    Yorkshire). Without an index, or for a base it lacks, costs keep their own base.
    Councils without a cost are NaN.
    """
    return cached_on((region.costs, region.councils, region.meta), ("costs", price_base),
                     lambda: _cost_lookup(region.costs, councils, price_index(region.meta_dict), price_base))


def _cost_lookup(costs: pd.DataFrame, councils: pd.Index, index: dict, price_base: str | None):
    out: dict[tuple[str, str], np.ndarray] = {}
    ci = councils.get_indexer(costs["council_code"].astype(str))
    factor = costs["location_factor"].to_numpy(dtype=float) if "location_factor" in costs else np.ones(len(costs))
    inflate = np.ones(len(costs))
    if price_base and index:
        inflate = np.array([index.get(price_base, np.nan) / index.get(str(pb), np.nan) for pb in costs["price_base"]])
        inflate = np.where(np.isfinite(inflate), inflate, 1.0)
    value = np.round(costs["cost_per_place"].to_numpy(dtype=float) * factor * inflate)
    for (phase, ptype), rows in costs.groupby(["phase", "project_type"]).groups.items():
        arr = np.full(len(councils), np.nan)
        pos = costs.index.get_indexer(rows)
        ok = ci[pos] >= 0
        arr[ci[pos][ok]] = value[pos][ok]
        out[(phase, ptype)] = arr
    return out


def cost_per_place(lookup: dict, phase: str, project_type: str, n_council: int) -> np.ndarray:
    """Cost per place per council, (C,), with the fallbacks for what a region does not give.

    A SEND place without its own cost is :data:`SEND_COST_RATIO` primary expansion places;
    a sixth-form place without its own cost is a secondary place; otherwise 0. A council
    without a cost (NaN) gets 0.
    """
    if (phase, project_type) in lookup:
        return np.nan_to_num(lookup[(phase, project_type)])
    if phase == "send" and ("primary", "expansion") in lookup:
        return SEND_COST_RATIO * np.nan_to_num(lookup[("primary", "expansion")])
    if phase == "sixth_form":
        return cost_per_place(lookup, "secondary", project_type, n_council)
    return np.zeros(n_council)


def area_costs_per_place(lookup: dict, area_phase: np.ndarray, area_council: np.ndarray,
                         n_council: int) -> tuple[np.ndarray, np.ndarray]:
    """Cost per place of an expansion and of a new school in each planning area, two (A,)."""
    expansion = np.zeros(len(area_phase))
    new_school = np.zeros(len(area_phase))
    for phase in ("primary", "secondary"):
        sel = area_phase == phase
        expansion = np.where(sel, cost_per_place(lookup, phase, "expansion", n_council)[area_council], expansion)
        new_school = np.where(sel, cost_per_place(lookup, phase, "new_school", n_council)[area_council], new_school)
    return expansion, new_school


def site_costs_per_place(lookup: dict, site_council: np.ndarray, n_council: int) -> np.ndarray:
    """Expansion cost per place of each site's council and each phase, (S, P)."""
    return np.column_stack([cost_per_place(lookup, phase, "expansion", n_council)[site_council] for phase in PHASES]) \
        if len(site_council) else np.zeros((0, len(PHASES)))


# --------------------------------------------------------------------------- places and their cost


def new_places(places_needed: np.ndarray) -> np.ndarray:
    """Places that must open each year: the rise in the running maximum of places needed.

    A place built stays built, so a need that falls and rises again is not paid twice.
    """
    built = np.maximum.accumulate(np.clip(places_needed, 0, None), axis=-1)
    return np.diff(built, axis=-1, prepend=0.0)


def project_type_is_new_school(places_needed: np.ndarray, places_per_fe: np.ndarray, new_school_fe: float) -> np.ndarray:
    """True for areas whose peak need reaches ``new_school_fe`` forms of entry, (..., A)."""
    peak = places_needed.max(axis=-1) if places_needed.size else np.zeros(places_needed.shape[:-1])
    return peak >= new_school_fe * np.asarray(places_per_fe, dtype=float) - 1e-9


def shift_earlier(values: np.ndarray, years: int) -> np.ndarray:
    """Move spending ``years`` earlier along the last axis; what falls before year 0 lands in it."""
    if years <= 0:
        return values
    out = np.zeros_like(values)
    out[..., :-years] = values[..., years:]
    out[..., 0] += values[..., :years].sum(axis=-1)
    return out


def place_costs(
    places_needed: np.ndarray,
    send_pupils: np.ndarray,
    expansion_cpp: np.ndarray,
    new_school_cpp: np.ndarray,
    send_cpp: np.ndarray,
    places_per_fe: np.ndarray,
    new_school_fe: float,
    area_council: np.ndarray,
    lead_years: int,
) -> tuple[np.ndarray, np.ndarray]:
    """New places and their cost per council and year.

    Parameters
    ----------
    places_needed : (..., A, Y) array
    send_pupils : (..., C, Y) array
        SEND pupils from housing per council.
    expansion_cpp, new_school_cpp : (A,) arrays
        :func:`area_costs_per_place`.
    send_cpp : (C,) array
    places_per_fe : (A,) array
    new_school_fe : float
    area_council : (A,) int array
    lead_years : int
        Years before a place is needed that it is paid for.

    Returns
    -------
    new places (..., C, Y), cost (..., C, Y)

    Notes
    -----
    ``new = diff(cummax(places_needed))``; an area whose peak need reaches
    ``new_school_fe`` forms of entry pays the new-school cost per place, others the
    expansion cost. SEND places follow the same rule per council at the SEND cost.
    Costs move ``lead_years`` earlier.
    """
    n_council = len(send_cpp)
    new = new_places(places_needed)
    is_new = project_type_is_new_school(places_needed, places_per_fe, new_school_fe)
    cpp = np.where(is_new, new_school_cpp, expansion_cpp)
    send_new = new_places(send_pupils)
    places = group_sum(new, area_council, n_council, axis=-2) + send_new
    cost = group_sum(new * cpp[..., None], area_council, n_council, axis=-2) + send_new * send_cpp[:, None]
    return places, shift_earlier(cost, lead_years)


# --------------------------------------------------------------------------- contributions


def contribution(
    dwellings: np.ndarray | float,
    pupils_per_dwelling: np.ndarray | float,
    cost_per_place: np.ndarray | float,
    location_factor: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Developer contribution for one phase (DfE, Securing developer contributions for education).

    ``contribution = dwellings * yield * cost per place * location factor``.

    >>> round(float(contribution(100, 0.25, 12257, 0.97)), 2)
    297232.25
    """
    return (
        np.asarray(dwellings, dtype=float)
        * np.asarray(pupils_per_dwelling, dtype=float)
        * np.asarray(cost_per_place, dtype=float)
        * np.asarray(location_factor, dtype=float)
    )


def lacking_places(weights: dict, short_area: np.ndarray) -> np.ndarray:
    """Share of each site's dwellings in planning areas short of places, per phase, (S, P).

    A site pays for a phase only where its area lacks places in some year; SEND always.
    """
    n_site = next(iter(weights.values())).shape[0]
    out = np.ones((n_site, len(PHASES)))
    for p, phase in enumerate(PHASES):
        if phase != "send":
            out[:, p] = weights[AREA_PHASE_OF[phase]] @ short_area.astype(float)
    return out


def site_contributions(dwellings: np.ndarray, yields: np.ndarray, cpp: np.ndarray, lacking: np.ndarray,
                       threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contribution sought from each site and phase, what small sites leave unfunded, and
    which sites reach the threshold.

    Returns
    -------
    sought (S, P), unfunded (S, P), large (S,)

    Notes
    -----
    ``c[s, p] = dwellings[s] * yield[s, p] * cost[s, p] * lacking[s, p]``; sites with
    fewer than ``threshold`` dwellings pay nothing (DfE: 10), so ``c`` is unfunded.
    """
    contrib = contribution(dwellings[:, None], yields, cpp) * lacking
    large = dwellings >= threshold
    return contrib * large[:, None], contrib * ~large[:, None], large


def contributions_by_year(sought_total: np.ndarray, paid: np.ndarray, site_council: np.ndarray,
                          n_council: int) -> np.ndarray:
    """Contributions received per council and year, (C, Y): each site pays as it builds.

    ``paid`` is :func:`placeplan.model.completions.paid_share`, (S, Y).
    """
    return group_sum(sought_total[:, None] * paid, site_council, n_council)


# --------------------------------------------------------------------------- grants and gap


def funding_by_year(region: Region, councils: pd.Index, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Basic Need grant and other funding per council and year, two (C, Y) (cached)."""

    def compute():
        shape = (len(councils), len(years))
        bn, other = np.zeros(shape), np.zeros(shape)
        f = region.funding
        if f.empty:
            return bn, other
        ci = councils.get_indexer(f["council_code"].astype(str))
        yrs = f["academic_year"].to_numpy(dtype=int)
        yi = np.searchsorted(years, yrs)
        ok = (ci >= 0) & np.isin(yrs, years)
        is_bn = f["source"].astype(str).str.lower().eq("basic_need").to_numpy()
        amount = f["amount"].to_numpy(dtype=float)
        np.add.at(bn, (ci[ok & is_bn], yi[ok & is_bn]), amount[ok & is_bn])
        np.add.at(other, (ci[ok & ~is_bn], yi[ok & ~is_bn]), amount[ok & ~is_bn])
        return bn, other

    return cached_on((region.funding, region.councils, region.meta), ("funding", len(years)), compute)


def funding_gap(cost: np.ndarray, contributions: np.ndarray, basic_need: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``funding gap = cost of places - contributions - Basic Need - other funding``.

    Negative values are a surplus, kept so that years can be summed.
    """
    return cost - contributions - basic_need - other


def group_sum(values: np.ndarray, index: np.ndarray, n_groups: int, axis: int = 0) -> np.ndarray:
    """Sum ``values`` along ``axis`` into groups (areas into councils) without a Python loop.

    Each group adds its members in order, from 0, so the sums are the same bits whichever
    of the two equivalent paths runs: ``np.add.at`` for small arrays, a sparse
    (groups x members) product for large ones (many draws), where ``add.at`` is slow.
    A negative index counts from the end, as in numpy.
    """
    moved = np.moveaxis(np.asarray(values, dtype=float), axis, 0)
    if moved.size <= _SMALL:
        out = np.zeros((n_groups,) + moved.shape[1:])
        np.add.at(out, index, moved)
    else:
        index = np.asarray(index, dtype=np.int64)
        index = np.where(index < 0, index + n_groups, index)
        members = sparse.csr_matrix((np.ones(len(index)), (index, np.arange(len(index)))), shape=(n_groups, len(index)))
        out = (members @ moved.reshape(len(index), -1)).reshape((n_groups,) + moved.shape[1:])
    return np.moveaxis(out, 0, axis)


_SMALL = 100_000
