"""The region index: the order of councils, planning areas and years every array uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from placeplan.model.constants import N_NCY, PHASE_NCY, PLACES_PER_FE
from placeplan.model.util import cached_on

if TYPE_CHECKING:
    from placeplan.model.region import Region

__all__ = ["RegionIndex", "region_index", "grade_mask"]


@dataclass(frozen=True)
class RegionIndex:
    """Positions along the axes of the model's arrays.

    Attributes
    ----------
    councils : pd.Index
        Council codes (axis C).
    council_names : (C,) array
    areas : pd.Index
        Planning-area codes (axis A); codes are unique across phases.
    area_names, area_phase : (A,) arrays
    area_council : (A,) int array
        Position of each area's council in ``councils``.
    years : (Y,) int array
        Academic start years of the forecast.
    grade_mask : (A, G) bool array
        True for the NCYs the area's phase holds (primary R-Y6, secondary Y7-Y13).
    places_per_fe : (A,) float array
        Places in one form of entry for the area's phase (210 primary, 150 secondary).
    """

    councils: pd.Index
    council_names: np.ndarray
    areas: pd.Index
    area_names: np.ndarray
    area_phase: np.ndarray
    area_council: np.ndarray
    years: np.ndarray
    grade_mask: np.ndarray
    places_per_fe: np.ndarray


def grade_mask(area_phase: np.ndarray) -> np.ndarray:
    """(A, G) mask of the NCYs each planning area holds: primary R-Y6, secondary Y7-Y13."""
    primary = np.asarray(area_phase) == "primary"
    lo = PHASE_NCY["secondary"][0]
    mask = np.zeros((len(primary), N_NCY), dtype=bool)
    mask[primary, :lo] = True
    mask[~primary, lo:] = True
    return mask


def region_index(region: Region, horizon: int) -> RegionIndex:
    """The index of ``region`` for a forecast of ``horizon`` years (cached on its frames)."""
    return cached_on((region.councils, region.planning_areas, region.meta), ("index", horizon),
                     lambda: _make_index(region, horizon))


def _make_index(region: Region, horizon: int) -> RegionIndex:
    councils = pd.Index(region.councils["council_code"].astype(str))
    pa = region.planning_areas
    phase = pa["phase"].to_numpy(dtype=object)
    first = region.base_academic_year + 1
    return RegionIndex(
        councils=councils,
        council_names=region.councils["council"].to_numpy(dtype=object),
        areas=pd.Index(pa["planning_area_code"].astype(str)),
        area_names=pa["planning_area"].to_numpy(dtype=object),
        area_phase=phase,
        area_council=councils.get_indexer(pa["council_code"].astype(str)),
        years=np.arange(first, first + horizon),
        grade_mask=grade_mask(phase),
        places_per_fe=np.where(phase == "primary", PLACES_PER_FE["primary"], PLACES_PER_FE["secondary"]).astype(float),
    )
