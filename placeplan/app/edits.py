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
    return dataclasses.replace(scenario, add_sites=adds, remove_sites=remove, edit_sites=edits)


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
        k = tuple(str(r[c]) for c in key)
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
    changed, _ = apply_scenario(region, scenario)
    cols = ["council_code", "phase", "project_type", "cost_per_place", "location_factor", "price_base"]
    return changed.costs[cols].sort_values(cols[:3]).reset_index(drop=True)


def with_assumptions(scenario: Scenario, **changes) -> Scenario:
    """The scenario with assumption overrides changed (None removes one)."""
    a = dict(scenario.assumptions)
    for k, v in changes.items():
        if v is None:
            a.pop(k, None)
        else:
            a[k] = v
    return dataclasses.replace(scenario, assumptions=a)


MAX_UPLOAD_BYTES = 50 * 1024**2


@dataclasses.dataclass
class Upload:
    """What an uploaded file turned out to be: a region, sites, a scenario, or problems."""

    kind: str
    region: Region | None = None
    scenario: Scenario | None = None
    problems: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)
    name: str = ""  #: the file's name as uploaded


def check_upload(name: str, data: bytes, region: Region, kind: str | None = None) -> Upload:
    """Read an uploaded file with the library's own readers; never raises for bad content.

    The file is written to a private temporary folder under its own extension, read,
    and removed. Nothing is unpickled or executed: CSV, XLSX (openpyxl), GeoPackage
    (GDAL) and JSON readers only.
    """
    from pathlib import Path

    suffix = Path(name).suffix.lower()
    kind = kind or {".gpkg": "region", ".json": "scenario"}.get(suffix, "sites")
    checked = _check(name, suffix, kind, data, region)
    return dataclasses.replace(checked, name=name)


def _check(name: str, suffix: str, kind: str, data: bytes, region: Region) -> Upload:
    import shutil
    import tempfile
    from pathlib import Path

    import placeplan as pp
    from placeplan.errors import Problem, ValidationError
    from placeplan.io.tables import placement_warnings

    if len(data) > MAX_UPLOAD_BYTES:
        return Upload(kind, problems=[Problem(name, "", None, None, f"the file is {len(data) / 1024**2:.0f} MB; "
                                                                    f"the limit is {MAX_UPLOAD_BYTES // 1024**2} MB")])
    folder = Path(tempfile.mkdtemp(prefix="placeplan-upload-"))
    path = folder / f"upload{suffix}"
    try:
        path.write_bytes(data)
        try:
            if kind == "region":
                new = pp.load_region(path)
                return Upload(kind, region=new.replace(source=name), warnings=placement_warnings(new, name))
            if kind == "scenario":
                from placeplan.io.store import import_scenario

                doc = import_scenario(data, name)
                apply_scenario(region, doc)
                return Upload(kind, scenario=doc)
            sites, traj = pp.read_sites(path)
            new = pp.with_sites(region, sites, traj, name)
            return Upload(kind, region=new, warnings=placement_warnings(new, name))
        except ValidationError as exc:
            return Upload(kind, problems=[dataclasses.replace(p, file=name if (not p.file or str(folder) in p.file) else p.file)
                                          for p in exc.problems])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
