"""What differs between two scenarios, in the planner's words.

``"RAF Henlow: 913 → 1,500 dwellings"``, ``"Headroom (operating margin): 2% → 5%"``: one
sentence per change, with site, council and planning-area names from the region and
settings labelled as :data:`~placeplan.model.settings.SETTINGS` labels them. The table of
changes for a machine is :func:`~placeplan.model.comparison.scenario_changes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from placeplan.model.constants import academic_year_label
from placeplan.model.settings import SETTINGS

if TYPE_CHECKING:
    from placeplan.model.region import Region
    from placeplan.model.scenario import Scenario

__all__ = ["changes_in_words", "value_in_words"]

_SITE_WORDS = {"dwellings": "dwellings", "build_rate": "dwellings a year", "first_year": "first completions",
               "status": "status", "site": "name", "council_code": "council", "delay_years": "years of delay"}


def value_in_words(name: str, value) -> str:
    """A setting's or a site field's value for people: shares as %, numbers with separators."""
    if value is None:
        return "not set"
    s = SETTINGS.get(name)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k} {value_in_words('', v)}" for k, v in sorted(value.items())) or "none"
    if isinstance(value, (int, float)):
        if s is not None and s.unit and "share" in s.unit:
            return f"{value:.1%}".replace(".0%", "%")
        if name == "first_year":
            return academic_year_label(int(value))
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3g}"
        return f"{text} {s.unit}" if s is not None and s.unit in ("years", "dwellings") else text
    return str(value)


def _capacity_key(r: dict) -> tuple:
    return str(r.get("planning_area_code")), str(r.get("phase")), r.get("academic_year"), r.get("places")


def _trajectory_words(region: Region, s: Scenario, sid: str, most: int = 4) -> str:
    """A site's completions in scenario ``s`` in a few words: its trajectory year by year
    (the first ``most`` years), or its build rate and first year."""
    if sid in s.trajectories and s.trajectories[sid]:
        years = {str(k): float(v) for k, v in s.trajectories[sid].items()}
    else:
        tr = region.trajectories
        mine = tr[tr["site_id"].astype(str) == sid] if len(tr) and sid not in s.trajectories else tr.iloc[0:0]
        years = {academic_year_label(int(y)): float(n) for y, n in zip(mine["academic_year"], mine["dwellings"])}
    if years:
        shown = [f"{y} {value_in_words('', n)}" for y, n in sorted(years.items())]
        return "by year " + ", ".join(shown[:most]) + (", …" if len(shown) > most else "")
    site = {str(r.get("site_id")): r for r in s.add_sites}.get(sid, {})
    if not site and sid in set(region.sites["site_id"].astype(str)):
        site = region.sites.set_index(region.sites["site_id"].astype(str)).loc[sid].to_dict()
    site = {**site, **s.edit_sites.get(sid, {})}
    first = site.get("first_year")
    first = None if first is None else int(first) + int(site.get("delay_years", 0) or 0)
    rate = site.get("build_rate")
    return (f"{value_in_words('', rate) if rate is not None else 'its build rate'} a year"
            f"{'' if first is None else ' from ' + academic_year_label(first)}")


def changes_in_words(region: Region, a: Scenario, b: Scenario) -> list[str]:
    """One sentence per input that differs from scenario ``a`` to ``b`` (empty: the same).

    Site edits read the base value from the region where ``a`` leaves the site as it is.
    """
    sites = region.sites.set_index(region.sites["site_id"].astype(str))
    councils = dict(zip(region.councils["council_code"].astype(str), region.councils["council"]))
    areas = dict(zip(region.planning_areas["planning_area_code"].astype(str), region.planning_areas["planning_area"]))
    out: list[str] = []
    for k in sorted(set(a.assumptions) | set(b.assumptions)):
        va, vb = a.assumptions.get(k, getattr(region.assumptions(), k, None)), b.assumptions.get(k, getattr(region.assumptions(), k, None))
        if va != vb:
            label = SETTINGS[k].label if k in SETTINGS else k
            out.append(f"{label}: {value_in_words(k, va)} → {value_in_words(k, vb)}")

    def site_name(sid: str) -> str:
        return str(sites.loc[sid, "site"]) if sid in sites.index else sid

    for sid in sorted(set(a.edit_sites) | set(b.edit_sites)):
        ea, eb = a.edit_sites.get(sid, {}), b.edit_sites.get(sid, {})
        for f in sorted(set(ea) | set(eb)):
            base = sites.loc[sid, f] if sid in sites.index and f in sites.columns else (0 if f == "delay_years" else None)
            va, vb = ea.get(f, base), eb.get(f, base)
            if va != vb:
                out.append(f"{site_name(sid)}: {value_in_words(f, va)} → {value_in_words(f, vb)} {_SITE_WORDS.get(f, f)}")
    for sid in sorted(set(b.remove_sites) - set(a.remove_sites)):
        out.append(f"{site_name(sid)}: removed")
    for sid in sorted(set(a.remove_sites) - set(b.remove_sites)):
        out.append(f"{site_name(sid)}: kept (removed in the first)")
    added_a = {str(x.get("site_id")): x for x in a.add_sites}
    added_b = {str(x.get("site_id")): x for x in b.add_sites}
    for sid in sorted(set(added_b) - set(added_a)):
        x = added_b[sid]
        out.append(f"New site {x.get('site', sid)} ({councils.get(str(x.get('council_code')), x.get('council_code'))}): "
                   f"{value_in_words('dwellings', x.get('dwellings'))} dwellings")
    for sid in sorted(set(added_a) - set(added_b)):
        out.append(f"New site {added_a[sid].get('site', sid)}: not in the second")
    ka, kb = {_capacity_key(r) for r in a.capacity_changes}, {_capacity_key(r) for r in b.capacity_changes}
    for gone, rows in (("", kb - ka), ("no longer ", ka - kb)):
        for code, phase, year, places in sorted(rows, key=str):
            out.append(f"Capacity: {gone}{value_in_words('', places)} {phase} places in {areas.get(code, code)} "
                       f"from {academic_year_label(int(year))}")
    ca = {(r.get("council_code"), r.get("phase"), r.get("project_type")): r.get("cost_per_place") for r in a.costs}
    cb = {(r.get("council_code"), r.get("phase"), r.get("project_type")): r.get("cost_per_place") for r in b.costs}
    for k in sorted(set(ca) | set(cb), key=str):
        if ca.get(k) != cb.get(k):
            c, phase, project = k
            was = "as the region" if ca.get(k) is None else f"£{ca[k]:,.0f}"
            now = "as the region" if cb.get(k) is None else f"£{cb[k]:,.0f}"
            out.append(f"Cost per place, {councils.get(str(c), c)} {phase} {str(project).replace('_', ' ')}: {was} → {now}")
    for sid in sorted(set(a.trajectories) | set(b.trajectories)):
        was, now = _trajectory_words(region, a, sid), _trajectory_words(region, b, sid)
        if was != now:
            out.append(f"{site_name(sid)}: completions {now} (was {was})")
    if a.funding != b.funding:
        out.append(f"Funding rows: {len(a.funding)} → {len(b.funding)}")
    if a.background_rates != b.background_rates:
        out.append("Background building rates changed")
    return out
