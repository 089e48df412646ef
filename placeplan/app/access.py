"""Who may change what: the scenario edits a signed-in user is allowed (no Streamlit here)."""

from __future__ import annotations

import json

from placeplan.io.roles import User
from placeplan.model.region import Region
from placeplan.model.scenario import Scenario

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
    "new_school_fe": "childrens_services",
}


def _rows(rows: list[dict]) -> set[str]:
    return {json.dumps(r, sort_keys=True, default=str) for r in rows}


def refused_edits(region: Region, before: Scenario, after: Scenario, user: User) -> list[str]:
    """What in ``after`` (compared with ``before``) this user may not change; empty if all allowed."""
    out: list[str] = []
    site_council = dict(zip(region.sites["site_id"].astype(str), region.sites["council_code"].astype(str)))
    area_council = dict(zip(region.planning_areas["planning_area_code"].astype(str),
                            region.planning_areas["council_code"].astype(str)))
    names = dict(zip(region.councils["council_code"].astype(str), region.councils["council"].astype(str)))

    def need(role: str, council: str, what: str) -> None:
        if not user.can(role, council):
            out.append(f"{user.email} may not change {what} of {names.get(council, council)} "
                       f"(needs the {role.replace('_', ' ')} role for that council)")

    for row in _rows(after.add_sites) ^ _rows(before.add_sites):
        site = json.loads(row)
        need("planner", str(site.get("council_code")), f"site {site.get('site_id')}")
    for sid in set(after.remove_sites) ^ set(before.remove_sites):
        need("planner", site_council.get(sid, "?"), f"site {sid}")
    for sid in set(after.edit_sites) | set(before.edit_sites):
        if after.edit_sites.get(sid) != before.edit_sites.get(sid):
            need("planner", site_council.get(sid, "?"), f"site {sid}")
    for row in _rows(after.capacity_changes) ^ _rows(before.capacity_changes):
        change = json.loads(row)
        need("childrens_services", area_council.get(str(change.get("planning_area_code")), "?"),
             f"capacity in planning area {change.get('planning_area_code')}")
    for key in ("costs", "funding"):
        for row in _rows(getattr(after, key)) ^ _rows(getattr(before, key)):
            need("finance", str(json.loads(row).get("council_code")), key)
    for code in set(after.background_rates) | set(before.background_rates):
        if after.background_rates.get(code) != before.background_rates.get(code):
            need("planner", code, "the background build rate")
    for key in set(after.assumptions) | set(before.assumptions):
        if after.assumptions.get(key) != before.assumptions.get(key):
            role = ASSUMPTION_ROLE.get(key, "admin")
            if not any(user.can(role, c) for c in names):
                out.append(f"{user.email} may not change the assumption {key} (needs the {role.replace('_', ' ')} role)")
    return sorted(set(out))
