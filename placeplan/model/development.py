"""Development capacity: how many more dwellings a planning area can take.

(The Results table keeps its name, ``development_headroom``; in the model, ``headroom``
is only the operating margin of spare places, :attr:`Assumptions.headroom`.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from placeplan.model.constants import PHASES
from placeplan.model.yields import all_dwellings_yields

if TYPE_CHECKING:
    from placeplan.model.capacity import Shortfall
    from placeplan.model.index import RegionIndex
    from placeplan.model.region import Assumptions, Region

__all__ = ["development_headroom", "spare_after_headroom", "area_yields", "development_capacity"]


def development_headroom(
    council_code: np.ndarray,
    planning_area_code: np.ndarray,
    planning_area: np.ndarray,
    phase: np.ndarray,
    spare_after_headroom: np.ndarray,
    pupils_per_dwelling: np.ndarray,
    places_per_fe: np.ndarray,
) -> pd.DataFrame:
    """Dwellings each area can take before it runs short, and from how many a new school is needed.

    ``dwellings_before_shortfall = floor(min over years of spare places after headroom / yield)``;
    a one-form-entry school (210 primary, 150 secondary places) is needed from
    ``(spare + places of one FE) / yield`` dwellings.

    Parameters
    ----------
    spare_after_headroom : (A, Y) array
        ``max(0, capacity - forecast * (1 + headroom))`` per area and year.
    pupils_per_dwelling : (A,) array
        Yield of the area's phase at the chosen mix.
    """
    spare = spare_after_headroom.min(axis=1) if spare_after_headroom.shape[1] else np.zeros(len(phase))
    y = np.asarray(pupils_per_dwelling, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.where(y > 0, np.floor(spare / y), np.inf)
        per_fe = np.where(y > 0, places_per_fe / y, np.inf)
        new_school = np.where(y > 0, np.ceil((spare + places_per_fe) / y), np.inf)
    return pd.DataFrame(
        {
            "council_code": council_code,
            "planning_area_code": planning_area_code,
            "planning_area": planning_area,
            "phase": phase,
            "min_spare_places": spare,
            "pupils_per_dwelling": y,
            "dwellings_before_shortfall": before,
            "dwellings_per_form_of_entry": per_fe,
            "dwellings_needing_new_school": new_school,
        }
    )


def spare_after_headroom(sf: Shortfall, headroom: float) -> np.ndarray:
    """``max(0, capacity - pupils * (1 + headroom))`` per area and year, (..., A, Y)."""
    return np.clip(sf.capacity - sf.pupils * (1 + headroom), 0, None)


def area_yields(phase_yields: np.ndarray, area_phase: np.ndarray) -> np.ndarray:
    """Pupils per dwelling of each planning area's phase, (A,): primary areas the primary
    yield, secondary areas the secondary plus sixth-form yields."""
    return np.where(area_phase == "primary", phase_yields[PHASES.index("primary")],
                    phase_yields[PHASES.index("secondary")] + phase_yields[PHASES.index("sixth_form")])


def development_capacity(region: Region, idx: RegionIndex, sf: Shortfall, a: Assumptions) -> pd.DataFrame:
    """The ``development_headroom`` table of a forecast: :func:`development_headroom` at the
    all-dwellings yield of each area's phase."""
    return development_headroom(
        idx.councils.to_numpy(dtype=object)[idx.area_council], idx.areas.to_numpy(dtype=object), idx.area_names,
        idx.area_phase, spare_after_headroom(sf, a.headroom), area_yields(all_dwellings_yields(region, a), idx.area_phase),
        idx.places_per_fe,
    )
