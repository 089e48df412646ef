"""Cost per place, new places, grants and the funding gap: funding by year, counted once.

Every function takes optional leading axes (the Monte Carlo's draws) unless it says
otherwise: areas or councils are the second-to-last axis, years the last.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from placeplan.model.util import cached_on

if TYPE_CHECKING:
    from placeplan.model.region import Region

__all__ = [
    "price_index", "cost_lookup", "cost_per_place", "cost_by_type", "early_years_cost_per_place",
    "new_places", "shift_earlier", "contribution", "grants_by_year", "draw_down", "FundingByYear",
    "funding_by_year", "group_sum",
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


# --------------------------------------------------------------------------- places and their cost


def new_places(places_needed: np.ndarray) -> np.ndarray:
    """Places that must open each year: the rise in the running maximum of places needed.

    A place built stays built, so a need that falls and rises again is not paid twice.
    """
    built = np.maximum.accumulate(np.clip(places_needed, 0, None), axis=-1)
    return np.diff(built, axis=-1, prepend=0.0)


def shift_earlier(values: np.ndarray, years: int) -> np.ndarray:
    """Move spending ``years`` earlier along the last axis; what falls before year 0 lands in it."""
    if years <= 0:
        return values
    out = np.zeros_like(values)
    out[..., :-years] = values[..., years:]
    out[..., 0] += values[..., :years].sum(axis=-1)
    return out


def cost_by_type(lookup: dict, area_phase: np.ndarray, area_council: np.ndarray, n_council: int) -> np.ndarray:
    """Cost per place of each area's council by project type, (4, A), rows in
    :data:`placeplan.model.projects.PROJECT_TYPES` order; a missing temporary cost is NaN."""
    out = np.full((4, len(area_phase)), np.nan)
    for phase in ("primary", "secondary"):
        sel = np.asarray(area_phase) == phase
        for row, ptype in ((1, "temporary"), (2, "expansion"), (3, "new_school")):
            if ptype == "temporary" and (phase, ptype) not in lookup:
                continue
            out[row] = np.where(sel, cost_per_place(lookup, phase, ptype, n_council)[area_council], out[row])
    return out


def early_years_cost_per_place(lookup: dict, n_council: int) -> np.ndarray:
    """Early-years cost per place per council, (C,); NaN where the council sets none (not costed)."""
    for ptype in ("expansion", "new_school"):
        if ("early_years", ptype) in lookup:
            return lookup[("early_years", ptype)]
    return np.full(n_council, np.nan)


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


# --------------------------------------------------------------------------- grants and gap


def grants_by_year(region: Region, councils: pd.Index, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Basic Need grant and other funding per council and year allocated, two (C, Y) (cached)."""

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


def draw_down(pool: np.ndarray, need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spend money as it arrives on a need each year; what is left is kept for later years.

    Returns ``used`` and the ``balance`` carried at the end of each year (last axis = years):
    ``balance[t] = max(0, balance[t-1] + pool[t] - need[t])``, ``used = balance[t-1] + pool[t]
    - balance[t]``.  Money is never borrowed from a later year.

    Notes
    -----
    The recursion is a Lindley recursion; with ``S[t] = sum_{k<=t} (pool - need)`` its
    solution is ``balance[t] = S[t] - min(0, min_{k<=t} S[k])`` (vectorised, no loop over years).

    >>> used, bal = draw_down(np.array([10.0, 0, 0]), np.array([4.0, 4, 4]))
    >>> used.tolist(), bal.tolist()
    ([4.0, 4.0, 2.0], [6.0, 2.0, 0.0])
    """
    pool = np.asarray(pool, dtype=float)
    need = np.clip(np.asarray(need, dtype=float), 0.0, None)
    s = np.cumsum(pool - need, axis=-1)
    balance = s - np.minimum(np.minimum.accumulate(s, axis=-1), 0.0)
    before = np.concatenate([np.zeros(balance.shape[:-1] + (1,)), balance[..., :-1]], axis=-1)
    used = np.clip(before + pool - balance, 0.0, need)
    return used, balance


@dataclass(frozen=True)
class FundingByYear:
    """Per council and year (C, Y).

    ``gap = cost - contributions - basic_need_used - other_used >= 0``; ``unallocated`` is
    Basic Need and other funding received and not yet needed (a stock, carried forward).
    """

    cost: np.ndarray
    contributions: np.ndarray
    basic_need_non_housing: np.ndarray
    basic_need_housing: np.ndarray
    other_used: np.ndarray
    gap: np.ndarray
    unallocated: np.ndarray


def funding_by_year(
    cost: np.ndarray,
    housing_cost: np.ndarray,
    contributions: np.ndarray,
    basic_need: np.ndarray,
    other: np.ndarray,
) -> FundingByYear:
    """Set each source of money against the places it may pay for, in order.

    Parameters
    ----------
    cost : (C, Y) cost of every place opening (the projects' places and extra places,
        early years and SEND), in the year it is spent.
    housing_cost : (C, Y) the part of ``cost`` for places needed because of housing.
    contributions : (C, Y) contributions sought, dated like the places they pay for.
    basic_need, other : (C, Y) allocations, in the year allocated.

    Notes
    -----
    1. Contributions pay for housing's places: ``housing_left = housing_cost -
       contributions`` (never negative; contributions cannot exceed it by construction,
       any excess joins other funding).
    2. Basic Need is DfE's grant for places needed by a year; DfE expects places needed
       because of housing to be funded by developers, so it is set first against the places
       *not* attributable to housing (``cost - housing_cost``), then against any remainder
       (small sites' and uncharged places): one pool, drawn as allocated, kept when not
       needed (:func:`draw_down`).
    3. Other funding is drawn the same way against what is still unfunded.
    4. ``gap = what remains >= 0``; ``unallocated`` = balances carried, shown beside it.
    Every pound is counted once: money is drawn only against a need in the same or a later
    year.
    """
    cost = np.asarray(cost, dtype=float)
    housing = np.minimum(np.asarray(housing_cost, dtype=float), cost)
    contrib = np.asarray(contributions, dtype=float)
    paid = np.minimum(contrib, housing)
    non_housing = cost - housing
    need = non_housing + housing - paid
    bn_used, bn_left = draw_down(basic_need, need)
    bn_non = np.minimum(bn_used, non_housing)
    rest = need - bn_used
    other_used, other_left = draw_down(np.asarray(other, dtype=float) + (contrib - paid), rest)
    gap = np.clip(rest - other_used, 0.0, None)
    return FundingByYear(cost, paid, bn_non, bn_used - bn_non, other_used, gap, bn_left + other_left)


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
