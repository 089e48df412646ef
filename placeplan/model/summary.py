"""Figures the pages, the CLI and the exports show, computed once from the result tables.

Pure functions over :class:`~placeplan.model.forecast.Results` tables (``shortfall``,
``funding_gap`` and :func:`~placeplan.model.comparison.compare` differences): the app's
pages only format what these return, so a figure cannot differ between the page, the
command line and an export.

Notes
-----
*Peak places needed* of a council and phase is the sum over its planning areas of each
area's largest places needed over the forecast years (places cannot move between areas,
and a place built for the peak year serves every later year), the figure DfE's SCAP
return asks for. *Forms of entry* divide places by the places one form of entry holds,
:data:`~placeplan.model.constants.PLACES_PER_FE` (30 pupils a year group: 210 primary,
150 for an 11-16 secondary). *Capacity after headroom* is the most pupils a planning
area's capacity holds while keeping the operating margin: ``capacity / (1 + headroom)``,
because ``places_needed = max(0, pupils * (1 + headroom) - capacity)`` is zero exactly
while pupils stay at or below it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from placeplan.model.comparison import council_peaks
from placeplan.model.constants import AREA_PHASES, PLACES_PER_FE

#: Money columns of the funding gap table, summed per council.
FUNDING_PARTS: tuple[str, ...] = ("places_needed", "cost", "contributions", "basic_need", "other_funding", "funding_gap")


def forms_of_entry(places, phase) -> np.ndarray:
    """Places as forms of entry of their phase (``places / PLACES_PER_FE[phase]``).

    >>> float(forms_of_entry(420.0, "primary"))
    2.0
    """
    per_fe = np.vectorize(PLACES_PER_FE.__getitem__, otypes=[float])(np.asarray(phase, dtype=object))
    return np.asarray(places, dtype=float) / per_fe


def _peak_arrays(shortfall: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Councils (sorted), and per council x area phase: peak places needed, areas short."""
    council_codes, councils = pd.factorize(shortfall["council"], sort=True)
    phase_codes = pd.Index(AREA_PHASES).get_indexer(shortfall["phase"].to_numpy(dtype=object))
    group = council_codes * len(AREA_PHASES) + phase_codes
    n_group = len(councils) * len(AREA_PHASES)
    area_codes, _ = pd.factorize(shortfall["planning_area_code"])
    needed = shortfall["places_needed"].to_numpy(dtype=float)
    peak = council_peaks(group, area_codes, needed, pd.RangeIndex(n_group)).to_numpy()
    short = np.zeros(area_codes.max() + 1 if len(area_codes) else 0)
    short[area_codes[needed > 0]] = 1.0
    first = np.zeros(len(short), dtype=np.int64)
    first[area_codes[::-1]] = np.arange(len(area_codes))[::-1]
    areas_short = np.bincount(group[first], weights=short, minlength=n_group).astype(np.int64)
    return np.asarray(councils, dtype=object), peak, areas_short


def peak_places_needed(shortfall: pd.DataFrame) -> pd.DataFrame:
    """Per council and phase: the sum over planning areas of each area's peak places needed.

    Parameters
    ----------
    shortfall : DataFrame
        ``Results.shortfall``.

    Returns
    -------
    DataFrame
        ``council``, ``phase`` (every council with both area phases, zero where none is
        needed), ``places_needed``, ``forms_of_entry`` and ``areas_short`` (planning areas
        short in at least one year).
    """
    councils, peak, areas_short = _peak_arrays(shortfall)
    phases = np.tile(np.asarray(AREA_PHASES, dtype=object), len(councils))
    return pd.DataFrame({"council": np.repeat(councils, len(AREA_PHASES)), "phase": phases, "places_needed": peak,
                         "forms_of_entry": forms_of_entry(peak, phases), "areas_short": areas_short})


def _council_sums(funding_gap: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    codes, councils = pd.factorize(funding_gap["council"], sort=True)
    return np.asarray(councils, dtype=object), {
        c: np.bincount(codes, weights=funding_gap[c].to_numpy(dtype=float), minlength=len(councils)) for c in FUNDING_PARTS}


def funding_totals(funding_gap: pd.DataFrame) -> pd.DataFrame:
    """Per council, summed over the forecast years: places needed, cost, contributions,
    Basic Need, other funding and the funding gap (``Results.funding_gap``), and the
    funding still unallocated at the end of the horizon."""
    councils, sums = _council_sums(funding_gap)
    out = pd.DataFrame({"council": councils, **sums})
    if "unallocated_funding" in funding_gap:  # a stock: what is left at the end of the horizon
        last = funding_gap.groupby("council", sort=True)["unallocated_funding"].last()
        out["unallocated_funding"] = last.reindex(councils).to_numpy(dtype=float)
    return out


def council_summary(shortfall: pd.DataFrame, funding_gap: pd.DataFrame) -> pd.DataFrame:
    """One row per council: peak places needed, forms of entry and areas short per phase,
    and the funding gap's parts over all years.

    Columns ``primary_places_needed``, ``primary_forms_of_entry``, ``primary_areas_short``,
    the same for ``secondary``, then ``cost``, ``contributions``, ``basic_need``,
    ``other_funding`` and ``funding_gap``; indexed by council name, sorted. (The shortfall
    and funding gap tables of one forecast hold the same councils.)
    """
    councils, peak, areas_short = _peak_arrays(shortfall)
    money_councils, sums = _council_sums(funding_gap)
    if not np.array_equal(councils, money_councils):
        raise ValueError("the shortfall and funding gap tables hold different councils")
    n_p = len(AREA_PHASES)
    columns = {}
    for j, phase in enumerate(AREA_PHASES):
        columns[f"{phase}_places_needed"] = peak[j::n_p]
        columns[f"{phase}_forms_of_entry"] = peak[j::n_p] / PLACES_PER_FE[phase]
        columns[f"{phase}_areas_short"] = areas_short[j::n_p]
    columns.update({c: sums[c] for c in FUNDING_PARTS[1:]})
    return pd.DataFrame(columns, index=pd.Index(councils, name="council"))


def capacity_after_headroom(capacity, headroom: float):
    """The most pupils ``capacity`` holds while keeping the ``headroom`` margin:
    ``capacity / (1 + headroom)`` (places are needed above it)."""
    return capacity / (1.0 + headroom)


def demand_against_capacity(shortfall: pd.DataFrame, planning_area_code: str, headroom: float) -> pd.DataFrame:
    """One planning area by academic year: pupils forecast, baseline pupils, capacity and
    capacity after headroom (indexed by ``academic_year``)."""
    one = shortfall[shortfall["planning_area_code"] == planning_area_code].set_index("academic_year")
    out = one[["pupils_forecast", "baseline_pupils", "capacity"]].copy()
    out["capacity_after_headroom"] = capacity_after_headroom(one["capacity"], headroom)
    return out


def compare_totals(diff: dict[str, pd.DataFrame], name_a: str = "A", name_b: str = "B") -> dict[str, pd.DataFrame]:
    """Totals of two forecasts' differences (from :func:`~placeplan.model.comparison.compare`
    with the same names).

    ``shortfall``: places needed per council and phase, summed over planning areas *and*
    years (place-years, not the peak); ``funding_gap``: per council over all years. Each
    with the two forecasts' values and the change (``b - a``).
    """
    places = [f"places_needed_{name_a}", f"places_needed_{name_b}", "places_needed_change"]
    money = [f"funding_gap_{name_a}", f"funding_gap_{name_b}", "funding_gap_change"]
    return {
        "shortfall": diff["shortfall"].groupby(["council", "phase"])[places].sum().reset_index(),
        "funding_gap": diff["funding_gap"].groupby("council")[money].sum().reset_index(),
    }


__all__ = [
    "FUNDING_PARTS",
    "capacity_after_headroom",
    "compare_totals",
    "council_summary",
    "demand_against_capacity",
    "forms_of_entry",
    "funding_totals",
    "peak_places_needed",
]
