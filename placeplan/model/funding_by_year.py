"""Funding by year, counted once: contributions, Basic Need, other funding and the gap.

Pure functions over (council, year) arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FundingByYear", "draw_down", "funding_by_year"]


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
