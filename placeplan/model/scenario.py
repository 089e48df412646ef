"""Scenarios: named documents of changes to a base region, applied by a pure function."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from placeplan.errors import Problem, ValidationError
from placeplan.model.constants import parse_academic_year
from placeplan.model.geography import place
from placeplan.model.region import Assumptions, Region
from placeplan.model.settings import check_settings
from placeplan.model.trajectory import read_trajectories, replace_trajectories, trajectory_problems

SITE_FIELDS = {
    "site": str,
    "council_code": str,
    "dwellings": float,
    "status": str,
    "first_year": int,
    "build_rate": float,
    "share_houses": float,
    "affordable_share": float,
    "share_1bed": float,
    "share_2bed": float,
    "share_3bed": float,
    "share_4bed": float,
}
#: Fields an ``edit_sites`` change may set (``delay_years`` moves ``first_year``).
EDITABLE: tuple[str, ...] = (*SITE_FIELDS, "delay_years")
#: Fields a new site (``add_sites``) may give.
NEW_SITE_FIELDS: tuple[str, ...] = ("site_id", *SITE_FIELDS, "easting", "northing", "planning_area_code",
                                    "primary_planning_area", "secondary_planning_area")
STATUSES = ("permissioned", "pending", "not_permissioned", "allocated", "under_construction", "completed")


@dataclass(frozen=True)
class Scenario:
    """A named set of changes to a base region.

    Attributes
    ----------
    name : str
    description : str
    add_sites : list of dict
        New sites: ``site_id``, ``site``, ``council_code``, ``dwellings``, and either
        ``easting``/``northing`` (EPSG:27700) or ``planning_area_code`` (for each phase,
        ``primary_planning_area``/``secondary_planning_area`` may be given instead).
    remove_sites : list of str
    edit_sites : dict
        site_id -> {field: value}; fields of :data:`SITE_FIELDS` and ``delay_years``.
    assumptions : dict
        Overrides of :class:`~placeplan.model.region.Assumptions`.
    costs : list of dict
        Rows replacing ``costs`` rows with the same council, phase and project type.
    capacity_changes : list of dict
        Rows added to ``capacity_changes``.
    funding : list of dict
        Rows added to ``funding``.
    background_rates : dict
        council_code -> completions a year, replacing ``background_rates`` (for netting).
    trajectories : dict
        site_id -> {academic year ``"2018/19"``: completions}, replacing that site's rows of
        ``trajectories`` ({} drops them: first year and build rate again). The completions
        step caps the running total at the site's dwellings (:mod:`placeplan.model.trajectory`).
    """

    name: str = "base"
    description: str = ""
    add_sites: list[dict] = field(default_factory=list)
    remove_sites: list[str] = field(default_factory=list)
    edit_sites: dict[str, dict] = field(default_factory=dict)
    assumptions: dict = field(default_factory=dict)
    costs: list[dict] = field(default_factory=list)
    capacity_changes: list[dict] = field(default_factory=list)
    funding: list[dict] = field(default_factory=list)
    background_rates: dict[str, float] = field(default_factory=dict)
    trajectories: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"placeplan_scenario": 1, **dataclasses.asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def label(self) -> str:
        """``name (digest)``: how the scenario is named in provenance."""
        return f"{self.name} ({self.digest()})"

    def digest(self) -> str:
        """Short hash of the scenario's content, for provenance."""
        body = json.dumps({k: v for k, v in self.to_dict().items() if k != "name"}, sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()[:12]

    @classmethod
    def from_dict(cls, doc: object, file: str = "") -> Scenario:
        """Build a scenario from its document, checking its shape and its assumptions.

        Checks the keys, the type of each part, the editable site fields, what a new site
        needs and the ``assumptions`` (against :data:`~placeplan.model.settings.SETTINGS`).
        The values of site edits and of rows are checked against the region bundle's
        schema by :func:`placeplan.io.scenario_file.scenario_from_dict`, which calls this;
        read documents with that (or :func:`placeplan.load_scenario`).

        Raises
        ------
        ValidationError
            Naming the key that is wrong.
        """
        problems: list[Problem] = []

        def bad(key: str, msg: str, row: int | None = None) -> None:
            problems.append(Problem(file, "scenario", row, key, msg))

        if not isinstance(doc, dict):
            raise ValidationError([Problem(file, "scenario", None, None, "a scenario must be a JSON object")])
        known = {f.name for f in dataclasses.fields(cls)} | {"placeplan_scenario"}
        for key in doc:
            if key not in known:
                bad(str(key), f"unknown key; expected one of {sorted(known)}")
        out: dict = {}
        for key in ("name", "description"):
            if key in doc:
                if not isinstance(doc[key], str):
                    bad(key, "must be text")
                else:
                    out[key] = doc[key]
        for key in ("add_sites", "costs", "capacity_changes", "funding"):
            value = doc.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                bad(key, "must be a list of objects")
            else:
                out[key] = value
        rates = doc.get("background_rates", {})
        if not isinstance(rates, dict) or not all(_is_number(v, 0) for v in rates.values()):
            bad("background_rates", "must map council codes to completions a year (numbers >= 0)")
        else:
            out["background_rates"] = {str(k): float(v) for k, v in rates.items()}
        rem = doc.get("remove_sites", [])
        if not isinstance(rem, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in rem):
            bad("remove_sites", "must be a list of site ids")
        else:
            out["remove_sites"] = [str(v) for v in rem]
        edits = doc.get("edit_sites", {})
        if not isinstance(edits, dict) or not all(isinstance(v, dict) for v in edits.values()):
            bad("edit_sites", "must map site ids to objects of changes")
        else:
            for sid, change in edits.items():
                for k in change:
                    if k not in EDITABLE:
                        bad(f"edit_sites.{sid}.{k}", f"cannot edit {k!r}; editable: {sorted(EDITABLE)}")
            out["edit_sites"] = {str(k): v for k, v in edits.items()}
        if "trajectories" in doc:
            out["trajectories"], found = read_trajectories(doc["trajectories"], file)
            problems.extend(found)
        assum = doc.get("assumptions", {})
        if not isinstance(assum, dict):
            bad("assumptions", "must be an object")
        else:
            problems.extend(check_settings(assum, file, "scenario", "assumptions."))
            out["assumptions"] = dict(assum)
        for i, s in enumerate(out.get("add_sites", [])):
            for req in ("site_id", "council_code", "dwellings"):
                if req not in s:
                    bad(req, "a new site needs this", row=i)
            located = ("easting" in s and "northing" in s) or "planning_area_code" in s or (
                "primary_planning_area" in s and "secondary_planning_area" in s
            )
            if not located:
                bad("easting", "a new site needs easting and northing, or a planning_area_code", row=i)
            for k in s:
                if k not in NEW_SITE_FIELDS:
                    bad(str(k), f"unknown field of a new site; known: {', '.join(NEW_SITE_FIELDS)}", row=i)
        if problems:
            raise ValidationError(problems)
        return cls(**out)

    @classmethod
    def from_json(cls, text: str, file: str = "") -> Scenario:
        """Thin compatibility: parse JSON with :func:`json.loads` and check with :meth:`from_dict`.

        Prefer :func:`placeplan.io.scenario_file.scenario_from_json`, which also bounds the
        document's size and depth, refuses duplicate keys and checks the values.
        """
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ValidationError([Problem(file, "scenario", None, None, f"not valid JSON: {exc}")]) from None
        return cls.from_dict(doc, file)


def _is_number(value: object, minimum: float | None = None) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if not np.isfinite(value):
        return False
    return minimum is None or value >= minimum


def apply_scenario(region: Region, scenario: Scenario) -> tuple[Region, Assumptions]:
    """Apply a scenario to a region; neither input is changed.

    Returns
    -------
    (Region, Assumptions)
        The changed region (new sites placed in planning areas) and its assumptions.

    Raises
    ------
    ValidationError
        When the scenario names sites, councils or planning areas the region lacks.
    """
    problems: list[Problem] = []
    sites = region.sites
    # an assumptions-only scenario (the app's levers) needs none of these lookups
    touches_sites = bool(scenario.remove_sites or scenario.edit_sites or scenario.add_sites or scenario.trajectories)
    ids = set(sites["site_id"].astype(str)) if touches_sites else set()
    needs_codes = scenario.add_sites or scenario.background_rates or scenario.edit_sites or scenario.costs or scenario.funding
    councils = set(region.councils["council_code"].astype(str)) if needs_codes else set()
    areas = region.planning_areas.set_index("planning_area_code") if (scenario.add_sites or scenario.capacity_changes) else None
    for sid in scenario.remove_sites:
        if sid not in ids:
            problems.append(Problem("", "scenario", None, "remove_sites", f"no site {sid!r} in the region"))
    for sid, change in scenario.edit_sites.items():
        if sid not in ids:
            problems.append(Problem("", "scenario", None, f"edit_sites.{sid}", f"no site {sid!r} in the region"))
        if "council_code" in change and str(change["council_code"]) not in councils:
            problems.append(Problem("", "scenario", None, f"edit_sites.{sid}.council_code",
                                    f"unknown council {change['council_code']!r}"))
    problems += trajectory_problems(region, scenario, ids)
    # rows name councils and planning areas the region has (else they would be silently ignored)
    for key, column, known in (("costs", "council_code", councils), ("funding", "council_code", councils),
                               ("capacity_changes", "planning_area_code", areas.index if areas is not None else ())):
        for i, row in enumerate(getattr(scenario, key)):
            if column in row and str(row[column]) not in known:
                problems.append(Problem("", "scenario", i, f"{key}.{column}", f"{row[column]!r} is not in the region"))
    seen: set[str] = set()
    for i, s in enumerate(scenario.add_sites):
        if str(s["site_id"]) in seen:
            problems.append(Problem("", "scenario", i, "site_id", f"site {s['site_id']!r} is added twice"))
        seen.add(str(s["site_id"]))
        if "first_year" in s and int(s["first_year"]) < region.base_academic_year:
            problems.append(Problem("", "scenario", i, "first_year",
                                    f"year {s['first_year']} is before the base year {region.base_year}"))
        if str(s["site_id"]) in ids and str(s["site_id"]) not in scenario.remove_sites:
            problems.append(Problem("", "scenario", i, "site_id", f"site {s['site_id']!r} already exists"))
        if str(s["council_code"]) not in councils:
            problems.append(Problem("", "scenario", i, "council_code", f"unknown council {s['council_code']!r}"))
        for key in ("planning_area_code", "primary_planning_area", "secondary_planning_area"):
            if key in s and str(s[key]) not in areas.index:
                problems.append(Problem("", "scenario", i, key, f"unknown planning area {s[key]!r}"))
    if problems:
        raise ValidationError(problems)

    new_sites = sites
    placement = region.site_areas
    trajectories = region.trajectories
    if scenario.remove_sites:
        keep = ~sites["site_id"].astype(str).isin(scenario.remove_sites)
        new_sites = sites[keep]
        kept = set(new_sites["site_id"].astype(str))
        if len(placement):
            placement = placement[placement["id"].isin(kept)]
        if len(trajectories):
            trajectories = trajectories[trajectories["site_id"].astype(str).isin(kept)]
    if scenario.edit_sites:
        new_sites = _edit_sites(new_sites, scenario.edit_sites)
    if scenario.add_sites:
        added, added_place = _new_sites(region, scenario.add_sites, areas)
        new_sites = pd.concat([new_sites, added], ignore_index=True)
        new_sites = gpd.GeoDataFrame(new_sites, geometry="geometry", crs=region.sites.crs)
        placement = pd.concat([placement, added_place], ignore_index=True)

    if scenario.trajectories or scenario.edit_sites:
        trajectories = replace_trajectories(trajectories, scenario)
    costs = region.costs
    if scenario.costs:
        over = pd.DataFrame(scenario.costs)
        key = ["council_code", "phase", "project_type"]
        merged = costs.merge(over[key].drop_duplicates(), on=key, how="left", indicator=True)
        costs = pd.concat([costs[(merged["_merge"] == "left_only").to_numpy()], over], ignore_index=True)
        costs = costs.fillna({"location_factor": 1.0, "price_base": costs["price_base"].iloc[0] if len(costs) else ""})
    capacity = region.capacity_changes
    if scenario.capacity_changes:
        extra = pd.DataFrame(scenario.capacity_changes)
        extra["academic_year"] = extra["academic_year"].map(parse_academic_year)
        capacity = pd.concat([capacity, extra], ignore_index=True)
    funding = region.funding
    if scenario.funding:
        extra = pd.DataFrame(scenario.funding)
        extra["academic_year"] = extra["academic_year"].map(parse_academic_year)
        funding = pd.concat([funding, extra], ignore_index=True)

    background = region.background_rates
    if scenario.background_rates:
        unknown = [c for c in scenario.background_rates if c not in councils]
        if unknown:
            raise ValidationError([Problem("", "scenario", None, "background_rates", f"unknown council {unknown[0]!r}")])
        background = pd.DataFrame(
            {"council_code": list(scenario.background_rates), "dwellings_per_year": list(scenario.background_rates.values())}
        )
    if new_sites is not sites:
        new_sites = new_sites.reset_index(drop=True)
    out = region.replace(
        sites=new_sites,
        site_areas=placement if placement is region.site_areas else placement.reset_index(drop=True),
        trajectories=trajectories,
        costs=costs,
        capacity_changes=capacity,
        funding=funding,
        background_rates=background,
    )
    return out, region.assumptions(**scenario.assumptions)


def _edit_sites(sites: gpd.GeoDataFrame, edits: dict[str, dict]) -> gpd.GeoDataFrame:
    """Apply field edits column by column (a copy; the input is unchanged)."""
    out = sites.copy()
    pos = pd.Index(out["site_id"].astype(str)).get_indexer(list(edits))
    changes: dict[str, dict[int, object]] = {}
    for p, change in zip(pos, edits.values()):
        if p < 0:
            continue
        for k, v in change.items():
            if k == "delay_years":
                changes.setdefault("__delay", {})[p] = int(v)
            else:
                changes.setdefault(k, {})[p] = SITE_FIELDS[k](v)
    for col, values in changes.items():
        idx = np.fromiter(values.keys(), dtype=int)
        if col == "__delay":
            arr = out["first_year"].to_numpy(copy=True)
            arr[idx] = arr[idx] + np.fromiter(values.values(), dtype=int)
            out["first_year"] = arr
            continue
        if col not in out:
            out[col] = np.nan if SITE_FIELDS[col] is float else None
        if SITE_FIELDS[col] is str:
            arr = out[col].astype(object).to_numpy(copy=True)
        else:
            arr = out[col].to_numpy(dtype=float, copy=True)
        arr[idx] = list(values.values())
        out[col] = arr if SITE_FIELDS[col] is not int else arr.astype(int)
    return out


def _new_sites(region: Region, rows: list[dict], areas: pd.DataFrame) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    records = []
    chosen = []
    for s in rows:
        rec = {"site_id": str(s["site_id"]), "site": str(s.get("site", s["site_id"]))}
        for k, kind in SITE_FIELDS.items():
            if k in s and k != "site":
                rec[k] = kind(s[k])
        rec.setdefault("status", "allocated")
        rec.setdefault("first_year", region.base_academic_year + 2)
        rec.setdefault("build_rate", default_build_rate(rec["dwellings"]))
        if "easting" in s and "northing" in s:
            rec["geometry"] = Point(float(s["easting"]), float(s["northing"]))
        else:
            codes = {
                ph: s.get(f"{ph}_planning_area", s.get("planning_area_code"))
                for ph in ("primary", "secondary")
            }
            given = next(c for c in codes.values() if c is not None)
            rec["geometry"] = areas.loc[str(given), "geometry"].representative_point()
            for ph, code in codes.items():
                if code is not None and areas.loc[str(code), "phase"] == ph:
                    chosen.append({"id": rec["site_id"], "phase": ph, "planning_area_code": str(code),
                                   "share": 1.0, "method": "chosen", "distance_m": 0.0})
        records.append(rec)
    frame = gpd.GeoDataFrame(pd.DataFrame(records), geometry="geometry", crs=region.sites.crs)
    placed = place(frame, region.planning_areas, "site_id")
    if chosen:
        ch = pd.DataFrame(chosen)
        placed = placed[~(placed["id"] + "|" + placed["phase"]).isin(ch["id"] + "|" + ch["phase"])]
        placed = pd.concat([placed, ch], ignore_index=True)
    return frame, placed


def default_build_rate(dwellings: float) -> float:
    """placeplan's default completions a year by site size (see docs/method.md)."""
    if dwellings <= 30:
        return float(max(dwellings, 1))
    if dwellings < 100:
        return 30.0
    if dwellings < 500:
        return 50.0
    return 100.0

