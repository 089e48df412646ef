"""Figures the pages, the CLI and the exports show, computed once from the result tables.

Pure functions over :class:`~placeplan.model.forecast.Results` tables (``shortfall``,
``funding_gap`` and :func:`~placeplan.model.scenario.compare` differences): the app's
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

from placeplan.model.constants import AREA_PHASES, PLACES_PER_FE
from placeplan.model.scenario import _peaks

#: Money columns of the funding gap table, summed per council.
FUNDING_PARTS: tuple[str, ...] = ("places_needed", "cost", "contributions", "basic_need", "other_funding", "funding_gap")


def forms_of_entry(places, phase) -> np.ndarray:
    """Places as forms of entry of their phase (``places / PLACES_PER_FE[phase]``).

    >>> float(forms_of_entry(420.0, "primary"))
    2.0
    """
    per_fe = np.vectorize(PLACES_PER_FE.__getitem__, otypes=[float])(np.asarray(phase, dtype=object))
    return np.asarray(places, dtype=float) / per_fe


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
    councils = pd.Index(sorted(pd.unique(shortfall["council"])), dtype=object)
    phases = pd.Index(AREA_PHASES, dtype=object)
    c = councils.get_indexer(shortfall["council"].to_numpy(dtype=object))
    p = phases.get_indexer(shortfall["phase"].to_numpy(dtype=object))
    group = pd.MultiIndex.from_product([councils, phases], names=["council", "phase"])
    area_codes, _ = pd.factorize(shortfall["planning_area_code"])
    needed = shortfall["places_needed"].to_numpy(dtype=float)
    peak = _peaks(c * len(phases) + p, area_codes, needed, group)
    short = np.zeros(area_codes.max() + 1 if len(area_codes) else 0, dtype=bool)
    short[area_codes[needed > 0]] = True
    first = np.zeros(len(short), dtype=np.int64)
    first[area_codes[::-1]] = np.arange(len(area_codes))[::-1]
    areas_short = np.bincount((c * len(phases) + p)[first], weights=short, minlength=len(group))
    out = group.to_frame(index=False)
    out["places_needed"] = peak.to_numpy()
    out["forms_of_entry"] = forms_of_entry(out["places_needed"], out["phase"])
    out["areas_short"] = areas_short.astype(np.int64)
    return out


def funding_totals(funding_gap: pd.DataFrame) -> pd.DataFrame:
    """Per council, summed over the forecast years: places needed, cost, contributions,
    Basic Need, other funding and the funding gap (``Results.funding_gap``)."""
    return funding_gap.groupby("council", sort=True)[list(FUNDING_PARTS)].sum().reset_index()


def council_summary(shortfall: pd.DataFrame, funding_gap: pd.DataFrame) -> pd.DataFrame:
    """One row per council: peak places needed, forms of entry and areas short per phase,
    and the funding gap's parts over all years.

    Columns ``primary_places_needed``, ``primary_forms_of_entry``, ``primary_areas_short``,
    the same for ``secondary``, then ``cost``, ``contributions``, ``basic_need``,
    ``other_funding`` and ``funding_gap``; indexed by council name, sorted.
    """
    peak = peak_places_needed(shortfall).set_index(["council", "phase"])
    wide = peak.unstack("phase")
    wide.columns = [f"{phase}_{measure}" for measure, phase in wide.columns]
    order = [f"{ph}_{m}" for ph in AREA_PHASES for m in ("places_needed", "forms_of_entry", "areas_short")]
    money = funding_totals(funding_gap).set_index("council").drop(columns="places_needed")
    out = wide[order].join(money, how="outer").fillna(0.0).rename_axis("council")
    shorts = [f"{ph}_areas_short" for ph in AREA_PHASES]
    return out.astype(dict.fromkeys(shorts, np.int64))


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
    """Totals of two forecasts' differences (from :func:`~placeplan.model.scenario.compare`
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
