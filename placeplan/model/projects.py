"""The project that fits the need: temporary places, permanent expansion or a new school.

One project per planning area and phase over the horizon, chosen from the shape of the
area's need (how long it lasts, how large it grows), then the places it builds each year
and their cost.  Pure functions over arrays; the settings (``temporary_max_years``,
``expansion_max_fe_*``, ``new_school_min_fe_*``) are checked in :mod:`placeplan.model.settings`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placeplan.model.funding import new_places

__all__ = ["NONE", "TEMPORARY", "EXPANSION", "NEW_SCHOOL", "PROJECT_TYPES", "Projects", "choose_projects",
           "area_project_settings", "project_cost_per_place"]

#: Project codes (index into :data:`PROJECT_TYPES`, the ``project_type`` of the costs table).
NONE, TEMPORARY, EXPANSION, NEW_SCHOOL = 0, 1, 2, 3
PROJECT_TYPES: tuple[str, ...] = ("none", "temporary", "expansion", "new_school")

@dataclass(frozen=True)
class Projects:
    """The project chosen per area and what it builds.

    Attributes
    ----------
    kind : (A,) int
        :data:`NONE`, :data:`TEMPORARY`, :data:`EXPANSION` or :data:`NEW_SCHOOL`.
    places : (A, Y)
        Places the need opens each year (the rise of its running peak).
    extra_places : (A, Y)
        Places a new school builds beyond the need, to reach its minimum size; in the year
        the school opens.  A council cost, never charged to a site (not needed by its pupils).
    years_short : (A,)
        Forecast years with a need.
    """

    kind: np.ndarray
    places: np.ndarray
    extra_places: np.ndarray
    years_short: np.ndarray


def choose_projects(
    places_needed: np.ndarray,
    places_per_fe: np.ndarray,
    expansion_max_fe: np.ndarray | float,
    new_school_min_fe: np.ndarray | float,
    temporary_max_years: int = 3,
    tol: float = 1e-9,
) -> Projects:
    """Choose the project that fits each area's need.

    Parameters
    ----------
    places_needed : (A, Y) or (D, A, Y) array
        ``max(0, pupils * (1 + headroom) - capacity)`` with the pipeline (capacity.shortfall);
        leading axes (Monte Carlo draws) are kept.
    places_per_fe : (A,) array
        210 primary, 150 secondary.
    expansion_max_fe, new_school_min_fe : (A,) array or float
        Per area, from the phase's settings.
    temporary_max_years : int
        A need with fewer years than this that has ended by the horizon is temporary.

    Returns
    -------
    Projects

    Notes
    -----
    With ``n`` the years with a need and ``peak`` its largest value:

    - ``n = 0``: no project;
    - ``0 < n < temporary_max_years`` and no need in the last forecast year: temporary
      places (a short bulge; DOMAIN.md, "Temporary or permanent"; the scorecards cost them
      separately). A need still there at the horizon is never temporary: the forecast
      cannot show it ends;
    - otherwise ``peak <= expansion_max_fe * FE``: permanent expansion;
    - otherwise a new school of ``max(ceil(peak / FE), new_school_min_fe)`` forms of entry,
      opening the year the running peak first passes the expansion limit (new schools come
      in realistic sizes; DOMAIN.md).

    Places open as the running peak of need rises (:func:`placeplan.model.funding.new_places`), whatever the
    project; the places a new school adds to reach its size are ``extra_places``.
    What it misses: a council may expand a neighbouring area's school instead, or phase a
    new school; those are choices a planner enters as capacity changes.

    Examples
    --------
    >>> need = np.array([[0, 30, 30, 0, 0], [0, 100, 200, 250, 250], [0, 300, 400, 420, 420.]])
    >>> p = choose_projects(need, np.array([210, 210, 210.]), 1.0, 2.0, temporary_max_years=3)
    >>> p.kind.tolist(), p.extra_places.sum(axis=1).tolist()
    ([1, 3, 3], [0.0, 170.0, 0.0])
    """
    need = np.clip(np.asarray(places_needed, dtype=float), 0, None)
    lead = need.shape[:-1]  # (A,) or (draws, A): Monte Carlo draws share the rule
    fe = np.asarray(places_per_fe, dtype=float)
    if need.shape[-1] == 0:
        zero = np.zeros(lead)
        return Projects(np.zeros(lead, dtype=int), need.copy(), need.copy(), zero.astype(int))
    short = need > tol
    years_short = short.sum(axis=-1)
    peak = need.max(axis=-1)
    limit = np.broadcast_to(np.asarray(expansion_max_fe, dtype=float) * fe, lead)
    temporary = (years_short > 0) & (years_short < temporary_max_years) & ~short[..., -1]
    school = ~temporary & (peak > limit + tol)
    kind = np.where(years_short == 0, NONE, np.where(temporary, TEMPORARY, np.where(school, NEW_SCHOOL, EXPANSION)))
    places = new_places(need)
    size = np.maximum(np.ceil(peak / fe - tol), np.broadcast_to(new_school_min_fe, lead)) * fe
    extra_total = np.where(kind == NEW_SCHOOL, np.clip(size - peak, 0, None), 0.0)
    opens = np.argmax(np.maximum.accumulate(need, axis=-1) > limit[..., None] + tol, axis=-1)
    extra = np.zeros_like(need)
    np.put_along_axis(extra, opens[..., None], extra_total[..., None], axis=-1)
    return Projects(kind.astype(int), places, extra, years_short)


def area_project_settings(a, area_phase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest expansion and smallest new school of each area's phase, forms of entry, two (A,)."""
    primary = np.asarray(area_phase) == "primary"
    return (np.where(primary, a.expansion_max_fe_primary, a.expansion_max_fe_secondary),
            np.where(primary, a.new_school_min_fe_primary, a.new_school_min_fe_secondary))


def project_cost_per_place(kind: np.ndarray, cost_by_type: np.ndarray) -> np.ndarray:
    """Cost per place of each area's project, (..., A).

    Parameters
    ----------
    kind : (..., A) int
        From :func:`choose_projects` (leading axes: Monte Carlo draws).
    cost_by_type : (4, A) array
        Cost per place of each area's council by project type, rows in :data:`PROJECT_TYPES`
        order (the ``none`` row is ignored).  A missing temporary cost (NaN) falls back to
        the expansion cost, so a bulge is never left unpriced.

    >>> costs = np.array([[0, 0], [9_935, np.nan], [21_014, 21_014], [25_089, 25_089.]])
    >>> project_cost_per_place(np.array([1, 1]), costs).tolist()
    [9935.0, 21014.0]
    """
    table = np.asarray(cost_by_type, dtype=float).copy()
    table[TEMPORARY] = np.where(np.isfinite(table[TEMPORARY]), table[TEMPORARY], table[EXPANSION])
    table[NONE] = table[EXPANSION]
    kind = np.asarray(kind)
    return np.nan_to_num(table[kind, np.arange(table.shape[1])])
