"""Capacity and shortfall per planning area, phase and year (DfE's logic)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from placeplan.model.util import cached_on

if TYPE_CHECKING:
    from placeplan.model.index import RegionIndex
    from placeplan.model.region import Region

__all__ = ["base_capacity", "capacity_by_year", "region_capacity", "Shortfall", "shortfall"]

#: School columns of places, and of the planning area they count in, per area phase.
CAPACITY_COLUMNS = (("capacity_primary", "primary_planning_area"), ("capacity_secondary", "secondary_planning_area"))


def base_capacity(schools: pd.DataFrame, areas: pd.Index) -> np.ndarray:
    """Base-year places per planning area, (A,): schools' primary and secondary capacity."""
    out = np.zeros(len(areas))
    for col, area_col in CAPACITY_COLUMNS:
        ai = areas.get_indexer(schools[area_col].astype("string").fillna(""))
        ok = ai >= 0
        np.add.at(out, ai[ok], np.nan_to_num(schools[col].to_numpy(dtype=float))[ok])
    return out


def capacity_by_year(
    base: np.ndarray,
    changes: pd.DataFrame,
    codes: pd.Index,
    phases: np.ndarray,
    years: np.ndarray,
) -> np.ndarray:
    """Return capacity per area and year: base plus every change in force by that year.

    A change of ``places`` (negative for a removal) counts from its academic year on.

    Parameters
    ----------
    base : (A,) array
    changes : DataFrame with ``planning_area_code, phase, academic_year, places``
    codes, phases : area codes and their phase
    years : (Y,) academic start years
    """
    out = np.repeat(np.asarray(base, dtype=float)[:, None], len(years), axis=1)
    if changes.empty:
        return out
    i = codes.get_indexer(changes["planning_area_code"])
    ok = i >= 0
    ok &= phases[np.clip(i, 0, None)] == changes["phase"].to_numpy()
    start = np.searchsorted(years, changes["academic_year"].to_numpy(dtype=int))
    step = np.zeros((len(codes), len(years) + 1))
    np.add.at(step, (i[ok], start[ok]), changes["places"].to_numpy(dtype=float)[ok])
    return out + np.cumsum(step[:, :-1], axis=1)


def region_capacity(region: Region, idx: RegionIndex) -> np.ndarray:
    """Places per planning area and year, (A, Y): base capacity (cached) plus changes."""
    base = cached_on((region.schools, region.planning_areas), ("capacity",),
                     lambda: base_capacity(region.schools, idx.areas))
    return capacity_by_year(base, region.capacity_changes, idx.areas, idx.area_phase, idx.years)


@dataclass(frozen=True)
class Shortfall:
    """Demand against capacity, each (..., A, Y); the derived arrays are computed when first read
    (the Monte Carlo reads only ``places_needed``)."""

    pupils: np.ndarray
    capacity: np.ndarray
    headroom: float
    places_per_fe: np.ndarray

    @cached_property
    def headroom_places(self) -> np.ndarray:
        """``pupils * headroom``: the operating margin kept."""
        return self.pupils * self.headroom

    @cached_property
    def places_needed(self) -> np.ndarray:
        """``max(0, pupils + headroom places - capacity)``."""
        return np.clip(self.pupils + self.headroom_places - self.capacity, 0.0, None)

    @cached_property
    def spare_places(self) -> np.ndarray:
        """``max(0, capacity - pupils)``."""
        return np.clip(self.capacity - self.pupils, 0.0, None)

    @cached_property
    def forms_of_entry_needed(self) -> np.ndarray:
        """``places_needed / places_per_fe``."""
        return self.places_needed / np.asarray(self.places_per_fe, dtype=float)[:, None]


def shortfall(
    pupils: np.ndarray,
    capacity: np.ndarray,
    headroom: float,
    places_per_fe: np.ndarray,
) -> Shortfall:
    """Compare forecast with capacity, keeping an operating margin (``headroom``).

    Parameters
    ----------
    pupils : (..., A, Y) array
        Forecast pupils; a leading draws axis is allowed.
    capacity : (A, Y) array
    headroom : float
        :attr:`Assumptions.headroom`, a share of the forecast.
    places_per_fe : (A,) array

    Notes
    -----
    ``places_needed = max(0, pupils * (1 + headroom) - capacity)`` per area and year; spare
    places in one area never offset a shortfall in another.  ``spare_places`` is
    ``max(0, capacity - pupils)``.  ``forms_of_entry_needed = places_needed / places_per_fe``
    (210 primary, 150 for an 11-16 secondary).
    """
    return Shortfall(pupils, capacity, headroom, places_per_fe)
