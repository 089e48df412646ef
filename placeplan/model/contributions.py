"""Developer contributions a council can defend (CIL Regulations 2010, reg. 122).

Per *receiving* planning area (where the pupils go to school, after flows, so across
council borders), phase and year: the places needed because of the housing pipeline are
shared among the sites whose pupils arrive there in those years, in proportion to their
pupils, priced at the cost of the project that provides them, and capped by DfE's formula.
The money is credited to the council whose schools take the pupils. Early years and SEND
have no capacity in the data: every pupil from housing needs a place in its site's
council, and the same sharing applies with the council as the receiving unit.

A site's pupils in a receiving unit are one row of ``(site, unit)`` *pairs* (sparse: a site
sends pupils to a handful of areas); every function takes optional leading axes (the
Monte Carlo's draws) on its per-pair and per-unit arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from placeplan.model.funding import contribution as dfe_formula
from placeplan.model.funding import group_sum, new_places

__all__ = ["Pairs", "Attribution", "school_pairs", "council_pairs", "pair_pupils", "housing_need",
           "housing_places", "attribute", "dfe_formula", "long_table"]


@dataclass(frozen=True)
class Pairs:
    """Where each site's pupils go: (site, receiving unit) pairs, (K,) each.

    ``site``, ``unit`` and ``share`` (of the site's pupils of the unit's phase that attend
    the unit); ``council`` of the unit; ``phase_rows`` the positions in ``PHASES`` of the
    pupils the unit takes (a primary area: primary; a secondary area: secondary and sixth
    form; early years, SEND: their own).
    """

    site: np.ndarray
    unit: np.ndarray
    share: np.ndarray
    council: np.ndarray
    n_unit: int
    phase_rows: tuple


def school_pairs(weights: dict, flows, area_council: np.ndarray, area_phase: np.ndarray) -> dict[str, Pairs]:
    """Pairs of each area phase from the sites' planning-area weights and the flow matrix.

    ``arrivals = weights[phase] @ F``, with ``F[i, j]`` the share of area *i*'s pupils
    attending area *j* (:func:`placeplan.model.flows.flows_operator`): flows conserve pupils,
    so a placed site's shares sum to 1.

    >>> w = {"primary": sparse.csr_matrix([[1.0, 0.0]]), "secondary": sparse.csr_matrix((1, 2))}
    >>> p = school_pairs(w, sparse.csr_matrix([[0.0, 1.0], [0.0, 1.0]]), np.array([0, 1]), np.array(["primary"] * 2))
    >>> p["primary"].unit.tolist(), p["primary"].council.tolist()
    ([1], [1])
    """
    from placeplan.model.geography import school_phases

    out = {}
    for ph, members in school_phases().items():
        w = sparse.coo_matrix(sparse.csr_matrix(weights[ph], dtype=float) @ flows)
        keep = w.data > 0
        out[ph] = Pairs(w.row[keep], w.col[keep], w.data[keep], np.asarray(area_council)[w.col[keep]],
                        w.shape[1], tuple(members))
    return out


def council_pairs(site_council: np.ndarray, phase_row: int, n_council: int) -> Pairs:
    """Pairs of a phase planned per council (early years, SEND): each site's own council."""
    sc = np.asarray(site_council)
    ok = np.flatnonzero(sc >= 0)
    return Pairs(ok, sc[ok], np.ones(len(ok)), sc[ok], n_council, (phase_row,))


def pair_pupils(pairs: Pairs, pupils: np.ndarray) -> np.ndarray:
    """Each pair's pupils by year, (..., K, Y): ``share * pupils of the unit's phases``.

    ``pupils`` is (..., S, P, Y) (:func:`placeplan.model.yields.site_pupils`).
    """
    per_site = np.asarray(pupils, dtype=float)[..., list(pairs.phase_rows), :].sum(axis=-2)
    return pairs.share[:, None] * per_site[..., pairs.site, :]


def housing_need(
    base: np.ndarray,
    housing: np.ndarray,
    capacity: np.ndarray,
    headroom: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Need with the pipeline, and the part of it that is there because of housing.

    Parameters
    ----------
    base, housing, capacity : (A, Y) arrays
        Pupils without the pipeline, the pipeline's pupils (by receiving area) and places.
    headroom : float
        Operating margin (DfE Basic Need 2%).

    Returns
    -------
    need_with, need_housing : (A, Y) arrays

    Notes
    -----
    ``need_with = max(0, (base + housing)(1 + h) - capacity)``,
    ``need_without = max(0, base (1 + h) - capacity)``,
    ``need_housing = min(need_with - need_without, housing)``: never more places than the
    pipeline has pupils there (issue 13; reg. 122 "fairly and reasonably related in scale").
    Spare places after the margin absorb housing pupils first (DfE, Securing developer
    contributions for education: charge what forecast spare capacity cannot take).

    >>> w, h = housing_need(np.array([[100.0]]), np.array([[10.0]]), np.array([[108.0]]), 0.02)
    >>> round(float(w[0, 0]), 6), round(float(h[0, 0]), 6)   # 6 spare, 10 pupils: 4.2 places
    (4.2, 4.2)
    """
    margin = 1.0 + headroom
    with_ = np.clip((base + housing) * margin - capacity, 0.0, None)
    without = np.clip(base * margin - capacity, 0.0, None)
    return with_, np.minimum(with_ - without, np.clip(housing, 0.0, None))


def housing_places(need_with: np.ndarray, need_housing: np.ndarray) -> np.ndarray:
    """New places that open each year because of housing, (A, Y).

    ``min(new(need_housing), new(need_with))`` with ``new`` the rise of the running peak
    (:func:`placeplan.model.funding.new_places`): a place built stays built, and housing is
    never charged for more places than open that year (places already built for earlier
    need absorb its pupils).
    """
    return np.minimum(new_places(need_housing), new_places(need_with))


@dataclass(frozen=True)
class Attribution:
    """Contributions of one kind of place (leading axes kept).

    Attributes
    ----------
    places : (..., K) places charged to each pair (after the cap).
    amount : (..., K) what each pair's share costs (every site).
    cap : (..., K) DfE's formula for the pair, the most it pays.
    sought_by_year, unfunded_by_year : (..., C, Y) shares of sites that pay (at or above the
        threshold, where the council's policy charges the phase) and of the others, by the
        year the places open, per receiving council.
    housing_cost : (..., C, Y) cost of all the places housing needs.
    """

    places: np.ndarray
    amount: np.ndarray
    cap: np.ndarray
    sought_by_year: np.ndarray
    unfunded_by_year: np.ndarray
    housing_cost: np.ndarray


def attribute(
    pairs: Pairs,
    pupils: np.ndarray,
    places: np.ndarray,
    cost_per_place: np.ndarray,
    cap_places: np.ndarray,
    unit_council: np.ndarray,
    n_council: int,
    pays: np.ndarray,
) -> Attribution:
    """Share the places housing needs among the sites whose pupils arrive, and price them.

    Parameters
    ----------
    pairs : Pairs
    pupils : (..., K, Y) array
        :func:`pair_pupils`.
    places : (..., U, Y) array
        New places because of housing per receiving unit (:func:`housing_places`).
    cost_per_place : (..., U) array
        Cost per place of each unit's project; 0 where not costed.
    cap_places : (..., K) array
        ``share * dwellings * settled yield`` of the unit's phases: DfE's formula in places.
    unit_council : (U,) int
    n_council : int
    pays : (K,) bool
        The pair's site is at or above the threshold and the phase is charged.

    Returns
    -------
    Attribution

    Notes
    -----
    With ``q`` the pairs' pupils, ``H[u, t] = sum_{k in u} q[k, t]`` and ``N`` the new places:

    ``x[k, t] = N[u, t] q[k, t] / H[u, t]``  (0 where ``H = 0``),

    each year's new places shared by the sites' pupils that year; capped per pair,
    ``places[k, t] = x[k, t] min(1, cap[k] / sum_t x[k, t])``; ``amount = places * cost[u]``.
    So contributions never exceed the cost of the places housing needs, a site never pays
    more than ``dwellings * yield * cost per place`` (DfE, Securing developer contributions
    for education; the Leeds example), a site whose pupils spare places absorb pays
    nothing (``N = 0`` there), and raising a cost per place never lowers what is left for
    the council (every term is ``cost * places``). What it misses: phasing of payments by
    S106 trigger; the share is by pupils in the years the places open.
    """
    q = np.asarray(pupils, dtype=float)
    need = np.asarray(places, dtype=float)
    housing = group_sum(q, pairs.unit, pairs.n_unit, axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(housing > 1e-12, need / housing, 0.0)
    x = q * rate[..., pairs.unit, :]
    total = x.sum(axis=-1)
    k = np.asarray(cap_places, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(total > k, k / np.where(total > 0, total, 1.0), 1.0)
    x = x * scale[..., None]
    price = np.asarray(cost_per_place, dtype=float)[..., pairs.unit]
    money = x * price[..., None]
    pay = np.asarray(pays, dtype=bool)[:, None]
    sought = group_sum(money * pay, pairs.council, n_council, axis=-2)
    unfunded = group_sum(money * ~pay, pairs.council, n_council, axis=-2)
    housing_cost = group_sum(need * np.asarray(cost_per_place, dtype=float)[..., None], unit_council, n_council, axis=-2)
    return Attribution(x.sum(axis=-1), money.sum(axis=-1), k * price, sought, unfunded, housing_cost)


def long_table(pairs: Pairs, att: Attribution, phase: str, pays: np.ndarray) -> pd.DataFrame:
    """Rows ``site, phase, receiving council, places, cap, contribution, unfunded`` of the
    pairs with a share (positions; the forecast's tables add the codes)."""
    keep = att.amount > 0
    amount = att.amount[keep]
    paid = np.asarray(pays, dtype=bool)[keep]
    return pd.DataFrame({
        "site": pairs.site[keep], "phase": phase, "receiving_council": pairs.council[keep],
        "places": att.places[keep], "formula_cap": att.cap[keep],
        "contribution": np.where(paid, amount, 0.0), "unfunded_cost": np.where(paid, 0.0, amount),
    })
