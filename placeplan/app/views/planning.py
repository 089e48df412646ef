"""Planning: the scenario's levers and sites, and what they do to places needed."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

import placeplan as pp
from placeplan.app import charts, edits, maps, state
from placeplan.app.views import sites_upload
from placeplan.app.views.trajectory import trajectory_editor
from placeplan.app.widgets import editor, fmt, plain, show_problems
from placeplan.io.schema import STATUSES
from placeplan.model.geography import placement_in_words
from placeplan.model.postcodes import place_postcode
from placeplan.model.scenario import Scenario
from placeplan.model.settings import setting
from placeplan.model.summary import demand_against_capacity

#: Widgets whose values the form callbacks read back from the session state.
ADD = {name: f"add_{name}" for name in ("id", "name", "council", "dwellings", "first", "rate", "how", "east", "north",
                                        "area", "postcode", "clicked")}
#: How "Add a site" places the new site (the first is the default)
PLACE_BY_MAP = "the area clicked on the map"
PLACE_BY = ("postcode", "planning area", PLACE_BY_MAP, "easting/northing")


def edit_key(field: str, sid: str) -> str:
    """Key of an "Edit one site" input: it carries the site id so it shows that site's values."""
    return f"edit_site_{field}_{sid}"


def page() -> None:
    st.header("Planning: development scenario")
    levers_and_effect()
    planning_map(state.results().shortfall)
    reg, s = state.region(), state.scenario()
    table = sites_table()
    edit_one_site(reg, table)
    with st.expander("Add a site"):
        add_site_form(reg)
    all_sites(reg, s, table)
    with st.expander("Load your council's sites file (CSV or XLSX, see the templates)"):
        sites_upload.section()


@st.cache_resource(max_entries=32, show_spinner=False)
def _sites_table(region_key: str, changes: str, _region: pp.Region, _scenario: Scenario) -> pd.DataFrame:
    return edits.sites_table(_region, _scenario)


def sites_table() -> pd.DataFrame:
    """The current scenario's sites as a table, kept until the sites or their changes
    differ (drawn on every run; shared: do not change it in place)."""
    s = state.scenario()
    return _sites_table(state.region_key(), state.site_changes_key(s), state.region(), s)


def edit_one_site(reg: pp.Region, table: pd.DataFrame) -> None:
    st.subheader("Edit one site")
    ids = table["site_id"].astype(str).tolist()
    labels = {i: f"{i} — {n}" for i, n in zip(ids, table["site"].astype(str))}
    sid = st.selectbox("Site", ids, format_func=lambda i: labels.get(i, i), key="edit_site_id")
    row = table.set_index(table["site_id"].astype(str)).loc[sid] if sid else None
    with st.form("edit_site"):
        f1, f2, f3, f4 = st.columns(4)
        f1.number_input("Site dwellings", 0, 100000, int(row["dwellings"]) if row is not None else 0,
                        key=edit_key("dwellings", sid))
        f2.number_input("First completions (start year of academic year)", 1990, 2100,
                        int(row["first_year"]) if row is not None else reg.base_year, key=edit_key("first", sid))
        f3.number_input("Site build rate (dwellings a year)", 0, 10000, int(row["build_rate"]) if row is not None else 0,
                        key=edit_key("rate", sid))
        status = row["status"] if row is not None and row["status"] in STATUSES else STATUSES[0]
        f4.selectbox("Status", STATUSES, index=STATUSES.index(status), key=edit_key("status", sid))
        # applied in a callback, before the next run draws the page: the levers and effect
        # above show the edit in that one run (a rerun after drawing would cost a second)
        st.form_submit_button("Apply to the scenario", on_click=apply_site_form, args=(sid,))
    if row is not None:
        trajectory_editor(reg, sid, str(row["site"]), float(row["dwellings"]))


def apply_site_form(sid: str) -> None:
    """The "Edit one site" form's values, applied to the scenario (a form callback)."""
    if not sid:
        return
    reg, s = state.region(), state.scenario()
    t = sites_table().copy()
    i = t.index[t["site_id"].astype(str) == sid][0]
    values = st.session_state
    t.loc[i, ["dwellings", "first_year", "build_rate"]] = [float(values[edit_key("dwellings", sid)]),
                                                           int(values[edit_key("first", sid)]),
                                                           float(values[edit_key("rate", sid)])]
    t.loc[i, "status"] = values[edit_key("status", sid)]
    state.set_scenario(edits.scenario_from_sites_table(reg, s, t))


def add_site_form(reg: pp.Region) -> None:
    councils = reg.councils
    with st.form("add_site"):
        g1, g2, g3 = st.columns(3)
        g1.text_input("Site id", key=ADD["id"])
        g2.text_input("Name", key=ADD["name"])
        g3.selectbox("Council", councils["council_code"].tolist(),
                     format_func=dict(zip(councils["council_code"], councils["council"])).get, key=ADD["council"])
        h1, h2, h3 = st.columns(3)
        h1.number_input("New site dwellings", 1, 100000, 500, key=ADD["dwellings"])
        h2.number_input("First completions (year)", 1990, 2100, reg.base_year + 3, key=ADD["first"])
        h3.number_input("Build rate", 0, 10000, 100, key=ADD["rate"])
        how = list(PLACE_BY) if len(reg.postcodes) else [h for h in PLACE_BY if h != "postcode"]
        st.radio("Place it by", how, horizontal=True, key=ADD["how"],
                 help="Postcode: the region's postcode lookup gives the point. Planning area: the site goes into the "
                      "area chosen (the other phase's area by where that area lies). Map: the area last clicked on "
                      "the map above.")
        k1, k2 = st.columns([1, 3])
        if len(reg.postcodes):
            k1.text_input("Postcode", key=ADD["postcode"], placeholder="e.g. MK9 3EJ")
        labels = maps.area_labels(reg.planning_areas)
        k2.selectbox("Planning area (primary or secondary)", list(labels), format_func=labels.get, key=ADD["area"])
        clicked = st.session_state.get(ADD["clicked"])
        st.caption(plain(f"Clicked on the map: {labels.get(clicked, clicked)}") if clicked else
                   "Clicked on the map: none yet (click a planning area on the map above).")
        e1, e2 = st.columns(2)
        e1.number_input("Easting (metres, British National Grid EPSG:27700)", 0, 700000, 488000, key=ADD["east"])
        e2.number_input("Northing (metres)", 0, 1300000, 240000, key=ADD["north"])
        st.form_submit_button("Add to the scenario", on_click=apply_add_site_form)
    problems = st.session_state.pop(state.Key.ADD_SITE_PROBLEMS, None)
    if problems is not None:
        show_problems(problems)


def where_to_place(reg: pp.Region, v: dict) -> tuple[dict, str]:
    """The new site's location fields from the "Place it by" choice, and how it was placed
    in words (raises ValidationError naming what is missing)."""
    how = v.get("how") or "postcode"
    if how == "postcode":
        found = place_postcode(reg, v.get("postcode") or "")
        return {"easting": found.easting, "northing": found.northing}, f"by postcode {found.postcode}"
    if how == "easting/northing":
        return {"easting": float(v["east"]), "northing": float(v["north"])}, "by easting and northing"
    code = v.get("clicked") if how == PLACE_BY_MAP else v.get("area")
    if not code:
        raise pp.ValidationError([pp.Problem("", "sites", None, "planning_area_code",
                                             "click a planning area on the map first (or place the site another way)")])
    return {"planning_area_code": str(code)}, "in the area " + ("clicked on the map" if how == PLACE_BY_MAP else "chosen")


def apply_add_site_form() -> None:
    """The "Add a site" form's values, checked and added to the scenario (a form callback);
    problems are kept to show under the form, and where the site went is confirmed."""
    reg, s = state.region(), state.scenario()
    v = {name: st.session_state.get(key) for name, key in ADD.items()}
    new_id = str(v["id"] or "").strip()
    site = {"site_id": new_id, "site": str(v["name"] or "").strip() or new_id, "council_code": v["council"],
            "dwellings": float(v["dwellings"]), "first_year": int(v["first"]), "build_rate": float(v["rate"]),
            "status": "allocated"}
    try:
        if not new_id:
            raise pp.ValidationError([pp.Problem("", "sites", None, "site_id", "give the new site an id")])
        where, how = where_to_place(reg, v)
        site.update(where)
        candidate = dataclasses.replace(s, add_sites=[*s.add_sites, site])
        Scenario.from_dict(candidate.to_dict())
        placed = pp.apply_scenario(reg, candidate)[0]
    except pp.ValidationError as exc:
        st.session_state[state.Key.ADD_SITE_PROBLEMS] = exc
    else:
        if state.set_scenario(candidate):
            state.confirm(f"{site['site']} placed {how}: {placement_in_words(placed, new_id)}")


def planning_map(sf: pd.DataFrame) -> None:
    """The map of peak places needed: a click chooses the area for "Add a site" and shows
    its demand against capacity."""
    st.subheader("Where places are needed")
    phase = st.radio("Map phase", ["primary", "secondary"], horizontal=True, key="plan_map_phase")
    picked = maps.peak_map(sf, phase, "plan_map")
    st.caption("Planning areas coloured by their peak places needed over the forecast years; circles are housing "
               "sites sized by dwellings; thick lines are council borders. Click an area to see its demand against "
               "capacity and to place a new site in it (Add a site, below).")
    if maps.new_pick(picked, "plan_map_last"):
        st.session_state[ADD["clicked"]] = picked
        st.session_state[ADD["how"]] = PLACE_BY_MAP
    code = st.session_state.get(ADD["clicked"])
    if code and (sf["planning_area_code"] == code).any():
        name = maps.area_labels(state.region().planning_areas).get(code, code)
        st.markdown(f"**Demand against capacity: {plain(name)}**")
        charts.demand_chart(demand_against_capacity(sf, code, state.assumptions().headroom))


def all_sites(reg: pp.Region, s: Scenario, table: pd.DataFrame) -> None:
    st.subheader("All sites")
    st.caption("Edit cells, add rows (give easting/northing or a planning area code) or delete rows; the results update.")
    edited = editor(
        "sites",
        [s.add_sites, s.remove_sites, s.edit_sites, state.region_key()],
        lambda: table,
        num_rows="dynamic",
        column_config={
            "status": st.column_config.SelectboxColumn("status", options=list(STATUSES)),
            "council_code": st.column_config.SelectboxColumn("council_code", options=reg.councils["council_code"].tolist()),
            "dwellings": st.column_config.NumberColumn("dwellings", min_value=0, step=1),
            "first_year": st.column_config.NumberColumn("first_year", min_value=1990, max_value=2100, step=1),
        },
    )
    try:
        from_table = s if edited is None else edits.scenario_from_sites_table(reg, s, edited)
        if from_table != s:
            pp.apply_scenario(reg, from_table)
            state.set_scenario(from_table)
            st.rerun()
    except pp.ValidationError as exc:
        show_problems(exc)
    except (ValueError, TypeError) as exc:
        st.error(plain(f"The table has a value that is not allowed: {exc}"))


@st.fragment
def levers_and_effect() -> None:
    """Levers and their effect rerun on their own: a lever edit does not redraw the sites table."""
    levers()
    for line in state.pop_confirmed():  # a lever's change, said here: a fragment's run does not redraw the top
        st.success(plain(f"Changed: {line}."), icon="✅")
    effect()


def levers() -> None:
    reg, s = state.region(), state.scenario()
    st.subheader("Scenario levers")
    a = state.assumptions()
    c1, c2, c3, c4 = st.columns(4)
    d, r, y = setting("delay_years"), setting("build_rate_multiplier"), setting("yield_multipliers")
    delay = c1.number_input(f"{d.label} ({d.unit})", int(d.min), int(d.max), int(a.delay_years), int(d.step),
                            key="lever_delay", help=d.help)
    rate = c2.number_input(r.label, r.min, r.max, float(a.build_rate_multiplier), r.step, key="lever_rate", help=r.help)
    ym = a.yield_multipliers
    ymp = c3.number_input(f"{y.label}: primary", y.min, y.max, float(ym.get("primary", 1.0)), y.step or 0.05,
                          key="lever_ypri", help=y.help)
    yms = c4.number_input(f"{y.label}: secondary", y.min, y.max, float(ym.get("secondary", 1.0)), y.step or 0.05,
                          key="lever_ysec", help=y.help)
    netting = st.checkbox("Net off each council's background build rate (the trend already holds past building)",
                          value=bool(a.netting), key="lever_netting")
    rates = dict(s.background_rates)
    own = dict(zip(reg.background_rates["council_code"].astype(str), reg.background_rates["dwellings_per_year"]))
    if netting:  # the region's own rates unless the scenario changes them (only changes are kept)
        cols = st.columns(len(reg.councils))
        for col, (code, name) in zip(cols, zip(reg.councils["council_code"], reg.councils["council"])):
            rates[code] = col.number_input(plain(f"{name}: background dwellings a year"), 0.0, 20000.0,
                                           float(rates.get(code, own.get(code, 0.0))), 50.0, key=f"bg_{code}")
            if code in own and rates[code] == float(own[code]):
                del rates[code]
    mult = {k: v for k, v in {"primary": ymp, "secondary": yms}.items() if abs(v - 1.0) > 1e-12}
    new = edits.with_assumptions(
        s,
        delay_years=int(delay) if delay else None,
        build_rate_multiplier=float(rate) if abs(rate - 1.0) > 1e-12 else None,
        yield_multipliers=mult or None,
        netting=None if bool(netting) == bool(reg.assumptions().netting) else bool(netting),  # only a change is kept
    )
    new = dataclasses.replace(new, background_rates=rates if netting else {})
    if new != s:
        state.set_scenario(new)


def effect() -> None:
    reg = state.region()
    res, base = state.results(), state.base_results()
    st.subheader("Effect of the scenario")
    eff = pp.shortfall_effect(base.shortfall, res.shortfall)
    st.markdown("**Places needed (peak), per council**")  # the measure once; metric labels just the council (no truncation)
    for col, council in zip(st.columns(len(reg.councils)), reg.councils["council"]):
        now, was = float(eff.peak_scenario.get(council, 0.0)), float(eff.peak_base.get(council, 0.0))
        col.metric(plain(council), f"{now:,.0f}",
                   delta=None if round(now - was) == 0 else f"{now - was:+,.0f} vs base",
                   delta_color="inverse", help="Sum over planning areas of each area's peak places needed, both phases")
    st.caption("Places needed above: each planning area's peak over the forecast years, summed over the council's "
               "areas, both phases (the DfE SCAP measure). The table below sums over every area and every year "
               "(pupil-years and place-years), a measure of how much and how long.")
    summed = eff.by_council_phase.rename(columns=lambda c: c if c in ("council", "phase") else f"{c}_(sum_over_years)")
    st.dataframe(fmt(summed), hide_index=True, width="stretch")
    if len(eff.changed):
        st.caption("Planning areas and years whose places needed changed:")
        st.dataframe(fmt(eff.changed[["council", "planning_area", "phase", "academic_year", "pupils_forecast_change",
                                      "places_needed_base", "places_needed_scenario", "places_needed_change"]]),
                     hide_index=True, width="stretch", height=240)
    st.subheader("Development headroom per planning area")
    st.caption("Dwellings each area can take (at the all-dwellings yield) before it runs short in any year, "
               "and from how many a new one-form-entry school is needed.")
    st.dataframe(fmt(res.development_headroom, digits=0), hide_index=True, width="stretch", height=300)
