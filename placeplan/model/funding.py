"""Cost of new places, developer contributions and the funding gap."""

from __future__ import annotations

import numpy as np


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


def new_places(places_needed: np.ndarray) -> np.ndarray:
    """Places that must open each year: the rise in the running maximum of places needed.

    A place built stays built, so a need that falls and rises again is not paid twice.
    """
    built = np.maximum.accumulate(np.clip(places_needed, 0, None), axis=-1)
    return np.diff(built, axis=-1, prepend=0.0)


def project_type_is_new_school(places_needed: np.ndarray, places_per_fe: np.ndarray, new_school_fe: float) -> np.ndarray:
    """True for areas whose peak need reaches ``new_school_fe`` forms of entry."""
    peak = places_needed.max(axis=-1) if places_needed.size else np.zeros(places_needed.shape[0])
    return peak >= new_school_fe * np.asarray(places_per_fe, dtype=float) - 1e-9


def shift_earlier(values: np.ndarray, years: int) -> np.ndarray:
    """Move spending ``years`` earlier along the last axis; what falls before year 0 lands in it."""
    if years <= 0:
        return values
    out = np.zeros_like(values)
    out[..., :-years] = values[..., years:]
    out[..., 0] += values[..., :years].sum(axis=-1)
    return out


def funding_gap(cost: np.ndarray, contributions: np.ndarray, basic_need: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``funding gap = cost of places - contributions - Basic Need - other funding``.

    Negative values are a surplus, kept so that years can be summed.
    """
    return cost - contributions - basic_need - other


def group_sum(values: np.ndarray, index: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum rows of ``values`` into groups (e.g. areas into councils) without a Python loop."""
    out = np.zeros((n_groups,) + values.shape[1:])
    np.add.at(out, index, values)
    return out
