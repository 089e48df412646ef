"""Comparing scenarios: the effect of a scenario on places needed, two forecasts side by
side, and the inputs two scenarios differ in."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from placeplan.model.scenario import Scenario

__all__ = ["ShortfallEffect", "compare", "compare_shortfall", "council_peaks", "scenario_changes", "shortfall_effect"]


def compare_shortfall(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Pupils and places needed of two shortfall tables side by side (``_base``, ``_scenario``, ``_change``)."""
    key = ["council", "planning_area_code", "planning_area", "phase", "academic_year"]
    cols = ["pupils_forecast", "places_needed"]
    out = a[key + cols].merge(b[key + cols], on=key, how="outer", suffixes=("_base", "_scenario"))
    for c in cols:
        out[f"{c}_change"] = out[f"{c}_scenario"].fillna(0) - out[f"{c}_base"].fillna(0)
    return out


@dataclass(frozen=True)
class ShortfallEffect:
    """What a scenario does to places needed, against the base forecast.

    Attributes
    ----------
    by_council_phase : DataFrame
        Per council and phase: pupils and places needed, base, scenario and change.
    changed : DataFrame
        Every planning area and year whose places needed changed (by more than 0.05).
    peak_base, peak_scenario : Series
        Per council: the sum over its planning areas of each area's peak places needed.
    """

    by_council_phase: pd.DataFrame
    changed: pd.DataFrame
    peak_base: pd.Series
    peak_scenario: pd.Series


def council_peaks(council: np.ndarray, area_codes: np.ndarray, needed: np.ndarray, councils: pd.Index) -> pd.Series:
    peak = np.zeros(area_codes.max() + 1 if len(area_codes) else 0)
    np.maximum.at(peak, area_codes, needed)
    # the first row of each area gives its council (assigning in reverse, the first wins)
    first = np.zeros(len(peak), dtype=np.int64)
    first[area_codes[::-1]] = np.arange(len(area_codes))[::-1]
    return pd.Series(np.bincount(council[first], weights=peak, minlength=len(councils)), index=councils, name="places_needed")


def shortfall_effect(base: pd.DataFrame, scenario: pd.DataFrame) -> ShortfallEffect:
    """Compare two shortfall tables of one region: the effect of a scenario on places needed.

    Array arithmetic over the rows (the app runs it on every lever edit); falls back to
    a merge when the tables' rows do not line up (a scenario that adds planning areas).

    Parameters
    ----------
    base, scenario : DataFrame
        ``Results.shortfall`` of the base forecast and of the scenario.
    """
    key = ["planning_area_code", "academic_year"]
    cols = ["pupils_forecast", "places_needed"]
    aligned = len(base) == len(scenario) and all(base[k].equals(scenario[k]) for k in key)
    if not aligned:
        merged = compare_shortfall(base, scenario)
        b_rows = merged
        values = {f"{c}_{w}": merged[f"{c}_{w}"].fillna(0.0).to_numpy(dtype=float) for c in cols for w in ("base", "scenario")}
    else:
        b_rows = base
        values = {f"{c}_base": base[c].to_numpy(dtype=float) for c in cols}
        values.update({f"{c}_scenario": scenario[c].to_numpy(dtype=float) for c in cols})
    for c in cols:
        values[f"{c}_change"] = values[f"{c}_scenario"] - values[f"{c}_base"]
    order = [f"{c}_{w}" for c in cols for w in ("base", "scenario", "change")]

    council_codes, councils = pd.factorize(b_rows["council"], sort=True)
    phase_codes, phases = pd.factorize(b_rows["phase"], sort=True)
    n_c, n_p = len(councils), len(phases)
    group = council_codes * n_p + phase_codes
    present = np.bincount(group, minlength=n_c * n_p) > 0
    # one constructor call per table: pandas' cost here is per column inserted, not per row
    by = pd.DataFrame({
        "council": np.repeat(np.asarray(councils, dtype=object), n_p)[present],
        "phase": np.tile(np.asarray(phases, dtype=object), n_c)[present],
        **{name: np.bincount(group, weights=values[name], minlength=n_c * n_p)[present] for name in order},
    })
    moved = np.flatnonzero(np.abs(values["places_needed_change"]) > 0.05)
    changed = pd.DataFrame({
        **{c: b_rows[c].array.take(moved) for c in ("council", "planning_area_code", "planning_area", "phase", "academic_year")},
        **{name: values[name][moved] for name in order},
    })

    area_codes, _ = pd.factorize(b_rows["planning_area_code"])
    council_index = pd.Index(np.asarray(councils, dtype=object), name="council")
    return ShortfallEffect(
        by_council_phase=by,
        changed=changed,
        peak_base=council_peaks(council_codes, area_codes, values["places_needed_base"], council_index),
        peak_scenario=council_peaks(council_codes, area_codes, values["places_needed_scenario"], council_index),
    )


def compare(a, b, name_a: str = "A", name_b: str = "B") -> dict[str, pd.DataFrame]:
    """Difference tables between two forecasts (``b - a``).

    Returns
    -------
    dict with ``shortfall`` (per council, planning area, phase and year) and
    ``funding_gap`` (per council and year), each with both values and the change.
    """
    key = ["council_code", "council", "planning_area_code", "planning_area", "phase", "academic_year"]
    cols = ["pupils_forecast", "capacity", "places_needed", "forms_of_entry_needed"]
    sa = a.shortfall[key + cols]
    sb = b.shortfall[key + cols]
    short = sa.merge(sb, on=key, how="outer", suffixes=(f"_{name_a}", f"_{name_b}"))
    for c in cols:
        short[f"{c}_change"] = short[f"{c}_{name_b}"].fillna(0) - short[f"{c}_{name_a}"].fillna(0)
    fkey = ["council_code", "council", "academic_year"]
    fcols = ["places_needed", "cost", "contributions", "basic_need", "other_funding", "funding_gap"]
    fund = a.funding_gap[fkey + fcols].merge(
        b.funding_gap[fkey + fcols], on=fkey, how="outer", suffixes=(f"_{name_a}", f"_{name_b}")
    )
    for c in fcols:
        fund[f"{c}_change"] = fund[f"{c}_{name_b}"].fillna(0) - fund[f"{c}_{name_a}"].fillna(0)
    return {"shortfall": short, "funding_gap": fund}


def scenario_changes(a: Scenario, b: Scenario, name_a: str | None = None, name_b: str | None = None) -> pd.DataFrame:
    """What differs between two scenarios' inputs, one row per changed item.

    Columns are ``change`` and the two scenarios' names (``A``/``B`` when they clash).
    """
    name_a = name_a or a.name or "A"
    name_b = name_b or b.name or "B"
    if name_a == name_b or "change" in (name_a, name_b):
        name_a, name_b = "A", "B"
    rows = []
    da, db = a.to_dict(), b.to_dict()
    for key in ("assumptions",):
        for k in sorted(set(da[key]) | set(db[key])):
            if da[key].get(k) != db[key].get(k):
                rows.append((f"{key}.{k}", json.dumps(da[key].get(k)), json.dumps(db[key].get(k))))
    for key in ("edit_sites", "trajectories"):
        ea, eb = da[key], db[key]
        for sid in sorted(set(ea) | set(eb)):
            if ea.get(sid) != eb.get(sid):
                rows.append((f"{key}.{sid}", json.dumps(ea.get(sid), sort_keys=True), json.dumps(eb.get(sid), sort_keys=True)))
    for key in ("add_sites", "costs", "capacity_changes", "funding"):
        ja = {json.dumps(x, sort_keys=True) for x in da[key]}
        jb = {json.dumps(x, sort_keys=True) for x in db[key]}
        for x in sorted(ja - jb):
            rows.append((key, x, ""))
        for x in sorted(jb - ja):
            rows.append((key, "", x))
    for k in sorted(set(da["background_rates"]) | set(db["background_rates"])):
        if da["background_rates"].get(k) != db["background_rates"].get(k):
            rows.append((f"background_rates.{k}", json.dumps(da["background_rates"].get(k)), json.dumps(db["background_rates"].get(k))))
    ra, rb = set(da["remove_sites"]), set(db["remove_sites"])
    for sid in sorted(ra ^ rb):
        rows.append(("remove_sites", sid if sid in ra else "", sid if sid in rb else ""))
    return pd.DataFrame(rows, columns=["change", name_a, name_b])
