"""Development headroom: how many more dwellings a planning area can take."""

from __future__ import annotations

import numpy as np
import pandas as pd


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
