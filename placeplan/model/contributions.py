"""Developer contributions a council can defend (CIL Regulations 2010, reg. 122).

Per *receiving* planning area (where the pupils go to school, after flows, so across
council borders), phase and year: the places needed because of the housing pipeline are
shared among the sites whose pupils arrive there in those years, in proportion to their
pupils, priced at the cost of the project that provides them, and capped by DfE's formula.
The money is credited to the council whose schools take the pupils.

Pure functions over arrays; the (site x area) weights are ``scipy.sparse`` (a site sends
pupils to a handful of areas).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from placeplan.model.funding import contribution as dfe_formula
from placeplan.model.funding import new_places

__all__ = ["Attribution", "arrival_weights", "attribute", "dfe_formula", "housing_need",
           "housing_places", "long_table", "without_capacity"]


def arrival_weights(site_weights, flows=None) -> sparse.csr_matrix:
    """(S, A) share of each site's pupils that go to school in each planning area.

    ``arrivals = site_weights @ F`` with ``site_weights[s, i]`` the share of site *s* in area
    *i* where its pupils live and ``F[i, j]`` the share of area *i*'s pupils attending area
    *j* (:func:`placeplan.model.flows.flow_matrix`).  Rows sum to the share of the site
    placed in a planning area (1 for a placed site): flows conserve pupils.

    >>> w = arrival_weights(np.array([[1.0, 0.0]]), sparse.csr_matrix([[0.0, 1.0], [0.0, 1.0]]))
    >>> w.toarray().tolist()
    [[0.0, 1.0]]
    """
    w = sparse.csr_matrix(site_weights, dtype=float)
    return w if flows is None else sparse.csr_matrix(w @ flows)


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


def without_capacity(site_pupils: np.ndarray, site_council: np.ndarray, n_council: int):
    """Arrivals (S, C) and new places (C, Y) for a phase with no capacity modelled.

    Early years and SEND places are planned per council (no planning areas, no capacity in
    the data), so every pupil from housing needs a place, in the site's council:
    ``places = new_places(sum of the council's sites' pupils)``.  Pass the result to
    :func:`attribute` with ``area_council = arange(C)``.

    >>> arr, places = without_capacity(np.array([[1.0, 3.0], [2.0, 2.0]]), np.array([0, 0]), 1)
    >>> places.tolist()
    [[3.0, 2.0]]
    """
    n_site = len(site_council)
    arrivals = sparse.csr_matrix((np.ones(n_site), (np.arange(n_site), np.asarray(site_council))), shape=(n_site, n_council))
    housing = np.asarray(arrivals.T @ np.asarray(site_pupils, dtype=float))
    return arrivals, new_places(housing)


@dataclass(frozen=True)
class Attribution:
    """Contributions of the sites of one phase.

    Attributes
    ----------
    places : (S,) places charged to each site (after the cap).
    amount : (S, C) what each site's share costs, by receiving council (all sites).
    sought : (S, C) ``amount`` of sites at or above the threshold, where charged.
    unfunded : (S, C) ``amount`` of the other sites: the cost nobody pays for.
    sought_by_year, unfunded_by_year : (C, Y) by the year the places open.
    housing_cost : (C, Y) cost of all the places housing needs.
    cap : (S,) DfE's formula, the most a site pays.
    """

    places: np.ndarray
    amount: np.ndarray
    sought: np.ndarray
    unfunded: np.ndarray
    sought_by_year: np.ndarray
    unfunded_by_year: np.ndarray
    housing_cost: np.ndarray
    cap: np.ndarray


def attribute(
    arrivals,
    site_pupils: np.ndarray,
    places: np.ndarray,
    cost_per_place: np.ndarray,
    pupils_cap: np.ndarray,
    area_council: np.ndarray,
    n_council: int,
    large: np.ndarray,
    charged: np.ndarray | bool = True,
) -> Attribution:
    """Share the places housing needs among the sites whose pupils arrive, and price them.

    Parameters
    ----------
    arrivals : (S, A) sparse
        :func:`arrival_weights`.
    site_pupils : (S, Y) array
        Each site's pupils of the phase (all of its areas), by year.
    places : (A, Y) array
        New places because of housing (:func:`housing_places`).
    cost_per_place : (A,) array
        Cost per place of each area's project (:func:`placeplan.model.projects.project_cost_per_place`);
        NaN = not costed (nothing charged, nothing counted).
    pupils_cap : (S,) array
        ``dwellings * yield`` of the phase (settled yield): DfE's formula in places.
    area_council : (A,) int
        Council of each receiving area.
    large : (S,) bool
        Sites at or above the contribution threshold.
    charged : bool or (C,) bool
        Whether the receiving council's policy charges this phase (early years, SEND).

    Returns
    -------
    Attribution

    Notes
    -----
    With ``W`` the arrivals, ``P`` the site pupils, ``H = W.T P`` the pipeline's pupils per
    area and year and ``N`` the new places housing needs:

    ``x[s, a, t] = N[a, t] * W[s, a] P[s, t] / H[a, t]``  (0 where ``H = 0``),

    each year's new places shared by the sites' pupils that year.  The cap is applied per
    site and receiving area, ``k[s, a] = W[s, a] * dwellings * yield``:
    ``places[s, a, t] = x[s, a, t] * min(1, k[s, a] / sum_t x[s, a, t])``, and
    ``amount = places * cost_per_place[a]``.  So ``sum_s amount <= N * cost`` (contributions
    never exceed the cost of the places housing needs), a site never pays more than
    ``dwellings * yield * cost per place * location factor`` (DfE, Securing developer
    contributions for education; the Leeds example), a site whose pupils spare places
    absorb pays nothing (``N = 0`` there), and raising a cost per place never lowers what is
    left for the council (every term is ``cost * places``).  Amounts are dated by the year
    the places open (when the money is needed; councils secure it by trigger points).
    What it misses: phasing of payments by S106 trigger; the share is by pupils in the year
    the places open, not a site's whole-life pupils.
    """
    w = sparse.coo_matrix(arrivals)
    rows, cols, share = w.row, w.col, w.data
    pupils = np.asarray(site_pupils, dtype=float)
    need = np.asarray(places, dtype=float)
    housing = np.asarray(sparse.csr_matrix(arrivals).T @ pupils)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(housing > 1e-12, need / housing, 0.0)
    x = share[:, None] * pupils[rows] * rate[cols]  # (nnz, Y) places per site and area
    total = x.sum(axis=1)
    k = share * np.asarray(pupils_cap, dtype=float)[rows]
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(total > k, k / np.where(total > 0, total, 1.0), 1.0)
    x = x * scale[:, None]
    cpp = np.asarray(cost_per_place, dtype=float)
    costed = np.isfinite(cpp)
    price = np.where(costed, cpp, 0.0)
    money = x * price[cols][:, None]
    n_site, n_year = pupils.shape
    council = np.asarray(area_council)[cols]
    amount = np.zeros((n_site, n_council))
    np.add.at(amount, (rows, council), money.sum(axis=1))
    pays = np.asarray(large, dtype=bool)[:, None] & np.broadcast_to(np.asarray(charged, dtype=bool), (n_council,))[None, :]
    by_year = np.zeros((2, n_council, n_year))
    np.add.at(by_year, (pays[rows, council].astype(int), council), money)
    places_site = np.bincount(rows, weights=x.sum(axis=1), minlength=n_site)
    housing_cost = np.zeros((n_council, n_year))
    np.add.at(housing_cost, np.asarray(area_council), need * price[:, None])
    cap = np.bincount(rows, weights=k * price[cols], minlength=n_site)
    return Attribution(places_site, amount, amount * pays, amount * ~pays, by_year[1], by_year[0], housing_cost, cap)


def long_table(site_ids: np.ndarray, council_codes: np.ndarray, phase: str, sought: np.ndarray) -> pd.DataFrame:
    """Rows ``site_id, phase, receiving_council_code, contribution`` where a site pays (> 0)."""
    s, c = np.nonzero(sought > 0)
    return pd.DataFrame({
        "site_id": np.asarray(site_ids, dtype=object)[s],
        "phase": phase,
        "receiving_council_code": np.asarray(council_codes, dtype=object)[c],
        "contribution": sought[s, c],
    })
