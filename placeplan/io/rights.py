"""Who may change what: the edits of a scenario a user may make, judged against the shared
base region (pure functions; the scenario store calls them before every save and delete).

A change is anything that differs between two versions of a scenario, counted as a multiset
(a row added twice is two changes). Each change needs a role for the council that owns what
it touches: a site is its council's (in the base region); a new site is the council's it
says *and* the council's whose area it lies in; a site's trajectory is an edit of the site; moving a site to another council needs the
planner role for both; capacity needs children's services for the planning area's council;
costs and funding need finance for the row's council; a region-wide assumption needs its
role for some council.
"""

from __future__ import annotations

import json
from collections import Counter

import geopandas as gpd
import numpy as np

from placeplan.io.roles import User
from placeplan.model.region import Region
from placeplan.model.scenario import Scenario

__all__ = ["ASSUMPTION_ROLE", "EDIT_ROLES", "council_to_record", "refused_deletion", "refused_edits", "view_only"]

#: Which role may set each assumption (region-wide settings of the scenario).
ASSUMPTION_ROLE = {
    "delay_years": "planner",
    "build_rate_multiplier": "planner",
    "yield_multipliers": "planner",
    "netting": "planner",
    "yield_basis": "planner",
    "headroom": "childrens_services",
    "price_base": "finance",
    "cost_lead_years": "finance",
    "contribution_threshold": "finance",
    "temporary_max_years": "childrens_services",
    "expansion_max_fe_primary": "childrens_services",
    "expansion_max_fe_secondary": "childrens_services",
    "new_school_min_fe_primary": "childrens_services",
    "new_school_min_fe_secondary": "childrens_services",
    "charge_early_years": "finance",
    "charge_send": "finance",
}
#: roles that may change something (every role but viewer)
EDIT_ROLES = ("planner", "childrens_services", "finance", "admin")


def _changed_rows(before: list[dict], after: list[dict]) -> list[dict]:
    """Rows in one list and not the other, counting repeats (a multiset difference)."""
    a = Counter(json.dumps(r, sort_keys=True, default=str) for r in after)
    b = Counter(json.dumps(r, sort_keys=True, default=str) for r in before)
    return [json.loads(row) for row in ((a - b) + (b - a))]


def _lookup(region: Region) -> tuple[dict, dict, dict]:
    sites = dict(zip(region.sites["site_id"].astype(str), region.sites["council_code"].astype(str)))
    areas = dict(zip(region.planning_areas["planning_area_code"].astype(str),
                     region.planning_areas["council_code"].astype(str)))
    names = dict(zip(region.councils["council_code"].astype(str), region.councils["council"].astype(str)))
    return sites, areas, names


def site_location_councils(region: Region, rows: list[dict]) -> list[set[str]]:
    """For each new site, the councils whose area holds it (by its planning areas, or by its
    point within the base region's council boundaries); empty when it is outside them all."""
    _, areas, _ = _lookup(region)
    out: list[set[str]] = [set() for _ in rows]
    pts, where = [], []
    for i, s in enumerate(rows):
        for key in ("planning_area_code", "primary_planning_area", "secondary_planning_area"):
            if s.get(key) is not None and str(s[key]) in areas:
                out[i].add(areas[str(s[key])])
        x, y = s.get("easting"), s.get("northing")
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and np.isfinite([x, y]).all():
            pts.append((float(x), float(y)))
            where.append(i)
    councils = region.councils
    if pts and len(councils) and isinstance(councils, gpd.GeoDataFrame) and councils.geometry.notna().any():
        points = gpd.GeoDataFrame({"row": where}, geometry=gpd.points_from_xy(*zip(*pts)), crs=councils.crs)
        hit = gpd.sjoin(points, councils[["council_code", "geometry"]], predicate="intersects")
        for row, code in zip(hit["row"], hit["council_code"].astype(str)):
            out[int(row)].add(code)
    return out


def refused_edits(region: Region, before: Scenario, after: Scenario, user: User) -> list[str]:
    """What in ``after`` (compared with ``before``) this user may not change; empty if all allowed.

    ``region`` must be the shared base region (never a session's or an upload's copy): it
    says whose each site and planning area is.
    """
    out: list[str] = []
    site_council, area_council, names = _lookup(region)

    def need(role: str, council: str, what: str) -> None:
        if not user.can(role, council):
            out.append(f"{user.email or 'this account'} may not change {what} of {names.get(council, council)} "
                       f"(needs the {role.replace('_', ' ')} role for that council)")

    added = _changed_rows(before.add_sites, after.add_sites)
    for site, located in zip(added, site_location_councils(region, added)):
        sid = site.get("site_id")
        for council in {str(site.get("council_code"))} | located:
            need("planner", council, f"site {sid}")
    for sid in (Counter(after.remove_sites) - Counter(before.remove_sites)) + (
            Counter(before.remove_sites) - Counter(after.remove_sites)):
        need("planner", site_council.get(str(sid), "?"), f"site {sid}")
    for sid in set(after.edit_sites) | set(before.edit_sites):
        new, old = after.edit_sites.get(sid) or {}, before.edit_sites.get(sid) or {}
        if new != old:
            need("planner", site_council.get(str(sid), "?"), f"site {sid}")
            for moved in {str(v.get("council_code")) for v in (new, old) if "council_code" in v}:
                need("planner", moved, f"site {sid} (moving it to another council)")
    added_council = {str(s.get("site_id")): str(s.get("council_code")) for s in (*before.add_sites, *after.add_sites)}
    for sid in set(after.trajectories) | set(before.trajectories):
        if after.trajectories.get(sid) != before.trajectories.get(sid):  # an edit of that site: its council's planner
            need("planner", site_council.get(str(sid), added_council.get(str(sid), "?")), f"site {sid}")
    for change in _changed_rows(before.capacity_changes, after.capacity_changes):
        code = change.get("planning_area_code")
        need("childrens_services", area_council.get(str(code), "?"), f"capacity in planning area {code}")
    for key in ("costs", "funding"):
        for row in _changed_rows(getattr(before, key), getattr(after, key)):
            need("finance", str(row.get("council_code")), key)
    for code in set(after.background_rates) | set(before.background_rates):
        if after.background_rates.get(code) != before.background_rates.get(code):
            need("planner", str(code), "the background build rate")
    for key in set(after.assumptions) | set(before.assumptions):
        if after.assumptions.get(key) != before.assumptions.get(key):
            role = ASSUMPTION_ROLE.get(key, "admin")
            if not any(user.can(role, c) for c in names):
                out.append(f"{user.email or 'this account'} may not change the assumption {key} "
                           f"(needs the {role.replace('_', ' ')} role)")
    return sorted(set(out))


def view_only(user: User) -> list[str]:
    """Why this user may not delete or restore anything: no editing role (viewers, and accounts
    not in the roles file); empty if they hold one."""
    if any(role in EDIT_ROLES for _, role in user.grants):
        return []
    return [f"{user.email or 'this account'} may only view scenarios (no editing role in the roles file)"]


def refused_deletion(region: Region, stored: Scenario, user: User) -> list[str]:
    """Why this user may not delete a scenario: they need an editing role, and the right to
    undo every change it holds."""
    return view_only(user) or refused_edits(region, stored, Scenario(name=stored.name), user)


def council_to_record(region: Region, user: User, asked: str = "") -> tuple[str, str | None]:
    """The council a save is recorded under, derived from the user's roles (never free text).

    Returns ``(council_code, problem)``: the council ``asked`` for if the user holds an editing
    role for it; else the one council they edit for; ``""`` for a user of every council who
    named none. ``problem`` says why ``asked`` cannot be recorded.
    """
    known = set(region.councils["council_code"].astype(str))
    mine = sorted({c for c, r in user.grants if r in EDIT_ROLES and c != "*"} & known)
    everywhere = any(c == "*" and r in EDIT_ROLES for c, r in user.grants) or "admin" in user.roles
    asked = (asked or "").strip()
    if asked:
        if asked in mine or (everywhere and asked in known):
            return asked, None
        return "", f"{user.email or 'this account'} has no editing role for council {asked!r}"
    if len(mine) == 1:
        return mine[0], None
    return "", None
