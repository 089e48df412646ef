"""Turning what a user edits in a table into scenario changes (no Streamlit here)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from placeplan.model.constants import parse_academic_year
from placeplan.model.region import Region
from placeplan.model.scenario import Scenario, apply_scenario

SITE_COLUMNS = ["site_id", "site", "council_code", "dwellings", "status", "first_year", "build_rate",
                "share_houses", "affordable_share"]
NEW_SITE_COLUMNS = ["easting", "northing", "planning_area_code"]
NUMERIC = {"dwellings", "first_year", "build_rate", "share_houses", "affordable_share", "easting", "northing"}


def sites_table(region: Region, scenario: Scenario) -> pd.DataFrame:
    """The scenario's sites as an editable table (new sites carry their location columns)."""
    changed, _ = apply_scenario(region, scenario)
    s = changed.sites
    out = pd.DataFrame({c: s[c] if c in s else np.nan for c in SITE_COLUMNS})
    out["easting"] = s.geometry.x.round(0).where(s.geometry.geom_type == "Point") if len(s) else []
    out["northing"] = s.geometry.y.round(0).where(s.geometry.geom_type == "Point") if len(s) else []
    added = {str(a["site_id"]): a for a in scenario.add_sites}
    out["planning_area_code"] = [added.get(str(i), {}).get("planning_area_code") for i in out["site_id"]]
    return out.reset_index(drop=True)


def _value(v):
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def scenario_from_sites_table(region: Region, scenario: Scenario, table: pd.DataFrame) -> Scenario:
    """The scenario whose sites are those of ``table`` (edits, additions, removals vs the base region).

    Rows without a ``site_id`` are ignored (a half-typed new row). Compared column by
    column, so only changed cells are visited.
    """
    base = region.sites.set_index(region.sites["site_id"].astype(str))
    rows = table[table["site_id"].notna() & (table["site_id"].astype(str).str.strip() != "")].copy()
    rows.index = rows["site_id"].astype(str).str.strip()
    remove = sorted(set(base.index) - set(rows.index))
    known = rows.index.isin(base.index)
    old, new = base.reindex(rows.index[known]), rows[known]
    edits: dict[str, dict] = {}
    for col in SITE_COLUMNS[1:]:
        if col == "council_code" or col not in new:
            continue
        n = new[col]
        o = old[col] if col in old else pd.Series(np.nan, index=old.index)
        if col in NUMERIC:
            nv = pd.to_numeric(n, errors="coerce").to_numpy(dtype=float)
            ov = pd.to_numeric(o, errors="coerce").to_numpy(dtype=float)
            changed = np.isfinite(nv) & ~(np.isclose(nv, ov) & np.isfinite(ov))
        else:
            nv = n.astype(object).to_numpy()
            ov = o.astype(object).to_numpy()
            changed = pd.notna(nv) & (nv != ov)
        for sid, value in zip(new.index[changed], nv[changed]):
            edits.setdefault(sid, {})[col] = _cast(col, value)
    adds = []
    for sid, r in rows[~known].iterrows():  # new rows: a handful at most
        add = {"site_id": sid}
        for col in SITE_COLUMNS[1:] + NEW_SITE_COLUMNS:
            v = _value(r.get(col))
            if v is not None:
                add[col] = _cast(col, v)
        adds.append(add)
    kept = {k: v for k, v in scenario.trajectories.items() if k in set(rows.index)}  # a deleted site's goes too
    return dataclasses.replace(scenario, add_sites=adds, remove_sites=remove, edit_sites=edits, trajectories=kept)


def _cast(col: str, value):
    value = _value(value)
    if col == "first_year":
        return int(value)
    return float(value) if col in NUMERIC else str(value)


def scenario_from_capacity_table(scenario: Scenario, table: pd.DataFrame) -> Scenario:
    rows = []
    for _, r in table.iterrows():
        if _value(r.get("planning_area_code")) is None or _value(r.get("places")) is None:
            continue
        rows.append({
            "planning_area_code": str(r["planning_area_code"]),
            "phase": str(_value(r.get("phase")) or "primary"),
            "academic_year": parse_academic_year(r["academic_year"]),
            "places": float(r["places"]),
            "project_type": str(_value(r.get("project_type")) or "expansion"),
            "description": str(_value(r.get("description")) or ""),
        })
    return dataclasses.replace(scenario, capacity_changes=rows)


def scenario_from_costs_table(region: Region, scenario: Scenario, table: pd.DataFrame) -> Scenario:
    """Cost rows that differ from the region's become the scenario's cost overrides."""
    key = ["council_code", "phase", "project_type"]
    base = region.costs.set_index(key)
    rows = []
    for _, r in table.iterrows():
        k = (str(r["council_code"]), *(str(r[c]).replace(" ", "_") for c in key[1:]))  # "new school" as shown
        cpp, factor = float(r["cost_per_place"]), float(r["location_factor"])
        if k in base.index:
            b = base.loc[k]
            if math.isclose(float(b["cost_per_place"]), cpp) and math.isclose(float(b["location_factor"]), factor):
                continue
            price_base = str(b["price_base"])
        else:
            price_base = str(region.costs["price_base"].iloc[0]) if len(region.costs) else ""
        rows.append({"council_code": k[0], "phase": k[1], "project_type": k[2], "cost_per_place": cpp,
                     "location_factor": factor, "price_base": price_base, "source": "scenario edit"})
    return dataclasses.replace(scenario, costs=rows)


def costs_table(region: Region, scenario: Scenario) -> pd.DataFrame:
    """The scenario's cost per place as a table for people: council by name, phase and
    project in words ("new school"), the council's code last (what an edit is matched on)."""
    changed, _ = apply_scenario(region, scenario)
    cols = ["council_code", "phase", "project_type", "cost_per_place", "location_factor", "price_base"]
    out = changed.costs[cols].copy()
    names = dict(zip(region.councils["council_code"].astype(str), region.councils["council"].astype(str)))
    out.insert(0, "council", out["council_code"].astype(str).map(names).fillna(out["council_code"].astype(str)))
    for col in ("phase", "project_type"):
        out[col] = out[col].astype(str).str.replace("_", " ")
    out = out.sort_values(["council", "phase", "project_type"])
    return out[["council", *cols[1:], "council_code"]].reset_index(drop=True)


def edits_not_applying(region: Region, scenario: Scenario) -> tuple[Scenario, list[str]]:
    """The scenario without the edits that name what ``region`` lacks (a site, planning area
    or council), and a line saying each one dropped: after a switch to another region, the
    user is offered this instead of a forecast that cannot run. Set lookups only (cheap on
    every rerun)."""
    sites = set(region.sites["site_id"].astype(str))
    areas = set(region.planning_areas["planning_area_code"].astype(str))
    councils = set(region.councils["council_code"].astype(str))
    dropped: list[str] = []

    def keep(ok: bool, what: str) -> bool:
        if not ok:
            dropped.append(what)
        return ok

    edit = {k: v for k, v in scenario.edit_sites.items() if keep(str(k) in sites, f"edit of site {k}")}
    remove = [k for k in scenario.remove_sites if keep(str(k) in sites, f"removal of site {k}")]
    new_ids = {str(r.get("site_id")) for r in scenario.add_sites}
    traj = {k: v for k, v in scenario.trajectories.items() if keep(str(k) in sites | new_ids, f"trajectory of site {k}")}
    add = [r for r in scenario.add_sites
           if keep(("council_code" not in r or str(r["council_code"]) in councils)
                   and all(str(r[c]) in areas for c in ("planning_area_code", "primary_planning_area",
                                                         "secondary_planning_area") if r.get(c) is not None),
                   f"new site {r.get('site_id')}")]
    capacity = [r for r in scenario.capacity_changes
                if keep(str(r.get("planning_area_code")) in areas, f"capacity change in {r.get('planning_area_code')}")]
    money = {key: [r for r in getattr(scenario, key)
                   if keep(str(r.get("council_code")) in councils, f"{key} row of {r.get('council_code')}")]
             for key in ("costs", "funding")}
    rates = {k: v for k, v in scenario.background_rates.items() if keep(str(k) in councils, f"background rate of {k}")}
    kept = dataclasses.replace(scenario, edit_sites=edit, remove_sites=remove, add_sites=add,
                               capacity_changes=capacity, background_rates=rates, trajectories=traj, **money)
    return kept, dropped


def with_assumptions(scenario: Scenario, **changes) -> Scenario:
    """The scenario with assumption overrides changed (None removes one)."""
    a = dict(scenario.assumptions)
    for k, v in changes.items():
        if v is None:
            a.pop(k, None)
        else:
            a[k] = v
    return dataclasses.replace(scenario, assumptions=a)


# the one upload check, in the library (tests/test_corpus.py and tests/test_edits.py run it)
from placeplan.io.upload import MAX_UPLOAD_BYTES, Upload, check_upload  # noqa: E402, F401
