"""Development capacity that holds: homes a planning area can take before it runs short.

(The Results table keeps its name, ``development_headroom``; in the model, ``headroom``
is only the operating margin of spare places, :attr:`Assumptions.headroom`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from placeplan.model.geography import school_phases
from placeplan.model.yields import all_dwellings_yields, profile_matrix

if TYPE_CHECKING:
    from placeplan.model.capacity import Shortfall
    from placeplan.model.index import RegionIndex
    from placeplan.model.region import Assumptions, Region

__all__ = ["DevelopmentCapacity", "peak_pupils_per_dwelling", "dwellings_before_shortfall", "spare_after_headroom",
           "development_capacity"]

#: Years of the yield profile searched for its peak.
PROFILE_YEARS = 30


def spare_after_headroom(sf: Shortfall, headroom: float) -> np.ndarray:
    """``max(0, capacity - pupils * (1 + headroom))`` per area and year, (..., A, Y)."""
    return np.clip(sf.capacity - sf.pupils * (1 + headroom), 0, None)


def peak_pupils_per_dwelling(yields: np.ndarray, profile: np.ndarray, phase_rows: np.ndarray) -> np.ndarray:
    """Pupils per dwelling at the peak of the yield profile, per area.

    Parameters
    ----------
    yields : (P,) array
        Settled pupils per dwelling of each pupil phase at the chosen mix.
    profile : (P, n) array
        Yield multiplier by years since completion (:func:`placeplan.model.yields.profile_matrix`).
    phase_rows : (A, P) bool array
        Which pupil phases each area holds (primary area: primary; secondary area:
        secondary and sixth form).

    Notes
    -----
    ``peak[a] = max_t sum_{p in a} yields[p] * profile[p, t]``: the pupils a home yields in
    the year its phases together peak (DfE yield dashboard: yields change with time since
    completion; the demo's profile peaks at x1.2 primary, x1.35 secondary).

    >>> prof = np.array([[0.5, 1.2, 1.0], [0.2, 0.6, 1.35]])
    >>> peak_pupils_per_dwelling(np.array([0.253, 0.125]), prof, np.array([[1, 0], [0, 1]], bool)).round(4).tolist()
    [0.3036, 0.1688]
    """
    per_year = np.asarray(yields, dtype=float)[:, None] * np.asarray(profile, dtype=float)  # (P, n)
    return (np.asarray(phase_rows, dtype=float) @ per_year).max(axis=1)


@dataclass(frozen=True)
class DevelopmentCapacity:
    """Per area (A,).

    Attributes
    ----------
    min_spare_places : places spare after the margin in the tightest year.
    pupils_per_dwelling : peak pupils per dwelling.
    dwellings_before_shortfall : homes the area takes with no shortfall in any year.
    dwellings_per_form_of_entry : homes whose pupils (with margin) fill one form of entry.
    dwellings_needing_new_school : homes from which a shortfall of one form of entry (a
        1FE school: 210 primary, 150 secondary places) opens.
    """

    min_spare_places: np.ndarray
    pupils_per_dwelling: np.ndarray
    dwellings_before_shortfall: np.ndarray
    dwellings_per_form_of_entry: np.ndarray
    dwellings_needing_new_school: np.ndarray


def dwellings_before_shortfall(
    pupils: np.ndarray,
    capacity: np.ndarray,
    headroom: float,
    peak_per_dwelling: np.ndarray,
    places_per_fe: np.ndarray,
) -> DevelopmentCapacity:
    """Homes each area can take at a given mix before it runs short.

    Parameters
    ----------
    pupils, capacity : (A, Y) arrays
        Forecast (with the pipeline) and places, per receiving area.
    headroom : float
        Operating margin (DfE Basic Need 2%, councils 4-5%).
    peak_per_dwelling : (A,) array
        :func:`peak_pupils_per_dwelling`.
    places_per_fe : (A,) array
        210 primary, 150 secondary.

    Notes
    -----
    ``spare = min_t max(0, capacity - pupils (1 + h))``, ``q = peak (1 + h)`` places each home
    takes at its peak with the margin. ``n`` homes add ``n peak`` pupils, and no year is short
    while ``n q <= spare``:

    - ``dwellings_before_shortfall = floor(spare / q)``
    - ``dwellings_per_form_of_entry = FE / q``
    - ``dwellings_needing_new_school = ceil((spare + FE) / q)``: the shortfall reaches one
      form of entry.

    Taking the profile's peak and the margin is what makes the figure hold: spare / average
    yield overstates it by ``peak (1 + h)`` (x1.224 primary at 2%).  All homes at their peak
    at once is the cautious case (a slow build-out spreads the peaks).

    >>> out = dwellings_before_shortfall(np.array([[900.0]]), np.array([[1100.0]]), 0.02, np.array([0.3036]), np.array([210.]))
    >>> int(out.dwellings_before_shortfall[0]), int(out.dwellings_needing_new_school[0])
    (587, 1266)
    """
    margin = 1.0 + headroom
    spare_t = np.clip(np.asarray(capacity, dtype=float) - np.asarray(pupils, dtype=float) * margin, 0.0, None)
    spare = spare_t.min(axis=1) if spare_t.shape[1] else np.zeros(spare_t.shape[0])
    q = np.asarray(peak_per_dwelling, dtype=float) * margin
    fe = np.asarray(places_per_fe, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.where(q > 0, np.floor(spare / q + 1e-9), np.inf)
        per_fe = np.where(q > 0, fe / q, np.inf)
        school = np.where(q > 0, np.ceil((spare + fe) / q - 1e-9), np.inf)
    return DevelopmentCapacity(spare, q / margin, before, per_fe, school)


def development_capacity(region: Region, idx: RegionIndex, sf: Shortfall, a: Assumptions) -> pd.DataFrame:
    """The ``development_headroom`` table of a forecast: :func:`dwellings_before_shortfall`
    with the all-dwellings yields at the peak of the region's yield profile."""
    n_phase = len(all_dwellings_yields(region, a))
    rows = np.zeros((len(idx.areas), n_phase), dtype=bool)
    for ph, members in school_phases().items():
        rows[np.ix_(np.asarray(idx.area_phase) == ph, members)] = True
    peak = peak_pupils_per_dwelling(all_dwellings_yields(region, a), profile_matrix(region.yield_profile, PROFILE_YEARS),
                                    rows)
    out = dwellings_before_shortfall(sf.pupils, sf.capacity, a.headroom, peak, idx.places_per_fe)
    return pd.DataFrame({
        "council_code": idx.councils.to_numpy(dtype=object)[idx.area_council],
        "planning_area_code": idx.areas.to_numpy(dtype=object),
        "planning_area": idx.area_names,
        "phase": idx.area_phase,
        "min_spare_places": out.min_spare_places,
        "pupils_per_dwelling": out.pupils_per_dwelling,
        "dwellings_before_shortfall": out.dwellings_before_shortfall,
        "dwellings_per_form_of_entry": out.dwellings_per_form_of_entry,
        "dwellings_needing_new_school": out.dwellings_needing_new_school,
    })
