"""Children's services: places against pupils per planning area and year, and capacity changes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import placeplan as pp
from placeplan.app import charts, edits, explain_panel, maps, state
from placeplan.app.widgets import (
    csv_bytes,
    download_xlsx,
    editor,
    plain,
    result_warnings,
    show_problems,
    table,
    uncertainty_controls,
)
from placeplan.io.schema import PROJECT_TYPES
from placeplan.io.tables import results_tables
from placeplan.model.constants import PLACES_PER_FE, academic_year_label
from placeplan.model.settings import setting
from placeplan.model.summary import demand_against_capacity

RANGE_COLUMNS = ("_p10", "_p50", "_p90")


def page() -> None:
    st.header("Children's services: places against pupils")
    c1, c2 = st.columns([1, 3])
    with c1:
        headroom = headroom_input()
    res = state.results()
    sf = res.shortfall
    c2.markdown(plain(headline(sf)))
    view = filtered(sf)
    scap_table(view)
    result_warnings(res.warnings, "these places needed")
    st.markdown("**How sure?** Monte Carlo ranges of pupils, spare places and places needed, and the probability "
                "that each area runs short.")
    ranges = uncertainty_controls("cs")
    tables = results_tables(res, ("shortfall", "provenance"), ranges=ranges)
    if ranges is not None:
        key = ["planning_area_code", "academic_year"]
        spread = [c for c in tables["shortfall"].columns if c.endswith(RANGE_COLUMNS) or c == "probability_short"]
        view = view.merge(tables["shortfall"][key + spread], on=key, how="left")
    fe = ", ".join(f"{n} places {phase}" for phase, n in PLACES_PER_FE.items())
    # a toggle, not an expander: a collapsed expander still sends (and the browser lays out)
    # all its rows on every rerun
    if st.toggle(f"Show every figure per area and year ({len(view):,} rows)", key="cs_every"):
        st.caption(f"Headroom {headroom:.1%}. Forms of entry: {fe}.")
        table(view, height=360)
    d1, d2 = st.columns(2)
    download_xlsx(d1, "Download shortfall (XLSX, with provenance)", {"shortfall": view, "provenance": tables["provenance"]},
                  "placeplan_shortfall.xlsx", "dl_shortfall_xlsx")
    d2.download_button("Download shortfall (CSV)", lambda: csv_bytes(view), "placeplan_shortfall.csv", "text/csv",
                       key="dl_shortfall_csv", on_click="ignore")
    demand(sf, headroom, ranges)
    capacity_changes(sf)


def scap_table(view: pd.DataFrame) -> None:
    """Places needed SCAP-style: planning areas down, years across, shortfall cells coloured,
    with the peak as forms of entry."""
    st.subheader("Places needed by planning area and year")
    st.caption("Places needed = pupils forecast + operating margin − capacity, never below zero, per area and year "
               "(spare places in one area never offset another's). Coloured: a shortfall (1 place or more). Peak FE: the largest year as forms of entry.")
    if view.empty:
        st.write("No planning areas match the filters.")
        return
    grid = view.pivot_table(index=["planning_area", "planning_area_code", "phase"], columns="academic_year",
                            values="places_needed", aggfunc="sum", sort=False)
    per_fe = grid.index.get_level_values("phase").map(PLACES_PER_FE).to_numpy(dtype=float)
    grid.insert(0, "Peak FE", grid.max(axis=1).to_numpy() / per_fe)
    grid = grid.reset_index().rename(columns={"planning_area": "Planning area", "planning_area_code": "Code",
                                              "phase": "Phase"})
    grid = grid[[c for c in grid.columns if c != "Code"] + ["Code"]]  # the code last, as in every table
    years = [c for c in grid.columns if c not in ("Planning area", "Code", "Phase", "Peak FE")]
    styled = (grid.style.format({y: "{:,.0f}" for y in years} | {"Peak FE": "{:,.1f}"})
              .map(lambda v: "background-color: #f4a582; color: #000" if v >= 0.5 else "", subset=years))
    st.dataframe(styled, hide_index=True, width="stretch", height=320)


def headline(sf: pd.DataFrame) -> str:
    """The answer first: how many planning areas run short, and the worst one."""
    short = sf[sf["places_needed"] >= 0.5]
    areas = sf["planning_area_code"].nunique()
    if short.empty:
        return f"No planning area of the {areas:,} needs places in any forecast year at this headroom."
    worst = short.loc[short["places_needed"].idxmax()]
    fe = worst["places_needed"] / PLACES_PER_FE[worst["phase"]]
    return (f"{short['planning_area_code'].nunique():,} of {areas:,} planning areas need places in at least one "
            f"year. Most: {worst['planning_area']} ({worst['phase']}), {worst['places_needed']:,.0f} places "
            f"({fe:.1f} forms of entry) in {worst['academic_year']}.")


def headroom_input() -> float:
    """The headroom setting, written straight into the current scenario's assumptions."""
    a = state.assumptions()
    spec = setting("headroom")
    h = st.number_input(f"{spec.label} (%)", spec.min * 100, spec.max * 100, round(a.headroom * 100, 3), spec.step * 100,
                        key="headroom_pct", help=spec.help)
    if abs(h / 100 - a.headroom) > 1e-12 and state.set_scenario(edits.with_assumptions(state.scenario(), headroom=h / 100)):
        return h / 100
    return a.headroom


def filtered(sf: pd.DataFrame) -> pd.DataFrame:
    f1, f2, f3, f4 = st.columns([1, 1, 1.2, 1.2])
    councils = f1.multiselect("Council", sorted(sf["council"].unique()), key="cs_council")
    phases = f2.multiselect("Phase", ["primary", "secondary"], key="cs_phase")
    years = sf["academic_year"].unique().tolist()
    yr = f3.select_slider("Years", options=years, value=(years[0], years[-1]), key="cs_years")
    only_short = f4.checkbox("Only where places are needed", key="cs_short")
    keep = sf["academic_year"].isin(years[years.index(yr[0]):years.index(yr[1]) + 1])
    if councils:
        keep &= sf["council"].isin(councils)
    if phases:
        keep &= sf["phase"].isin(phases)
    if only_short:
        keep &= sf["places_needed"] > 0
    return sf[keep]


@st.fragment
def demand(sf: pd.DataFrame, headroom: float, ranges) -> None:
    """Demand against capacity of the area the user picks, and its calculation (a fragment:
    choosing another area or year redraws this part only)."""
    st.subheader("Demand against capacity")
    phase = st.radio("Map phase", ["primary", "secondary"], horizontal=True, key="cs_map_phase")
    picked = maps.peak_map(sf, phase, "cs_map", height=380)
    st.caption("Click a planning area to show its demand against capacity and its calculation below; areas are "
               "coloured by their peak places needed over the forecast years.")
    if maps.new_pick(picked, "cs_map_last"):
        st.session_state["cs_area"] = picked  # the area selectbox follows the click
    areas = sf[["planning_area_code", "planning_area", "phase"]].drop_duplicates()
    labels = dict(zip(areas["planning_area_code"], areas["planning_area"] + " (" + areas["phase"] + ")"))
    code = st.selectbox("Planning area", areas["planning_area_code"].tolist(), format_func=labels.get, key="cs_area")
    one = demand_against_capacity(sf, code, headroom)
    if ranges is not None:
        band = ranges.shortfall[ranges.shortfall["planning_area_code"] == code].set_index("academic_year")
        charts.fan_chart(one, band)
    else:
        charts.demand_chart(one)
    st.markdown("**Show the calculation**: how this area's places needed are made up in a year.")
    explain_panel.area_panel(sf, code, "cs_explain_year")


def capacity_changes(sf: pd.DataFrame) -> None:
    reg, s = state.region(), state.scenario()
    st.subheader("Planned capacity changes")
    st.caption("Expansions, new schools (positive places) and removals (negative), in force from their academic year. "
               "Add a row at the foot of the table; choose the planning area by name.")
    changes = pd.DataFrame(s.capacity_changes or [], columns=["planning_area_code", "phase", "academic_year", "places",
                                                              "project_type", "description"])
    changes["academic_year"] = changes["academic_year"].map(lambda y: academic_year_label(int(y)) if pd.notna(y) else y)
    # areas chosen by name: "Bedford: Queens Park… (primary, 8220003)", mapped back to the code
    areas = sf[["planning_area_code", "planning_area", "phase"]].drop_duplicates()
    label = dict(zip(areas["planning_area_code"], areas["planning_area"] + " (" + areas["phase"] + ", "
                     + areas["planning_area_code"] + ")"))
    code_of = {v: k for k, v in label.items()}
    changes["planning_area_code"] = changes["planning_area_code"].map(lambda c: label.get(c, c))
    changes = changes.rename(columns={"planning_area_code": "planning_area"})
    codes = list(label.values())
    edited = editor(
        "capacity", s.capacity_changes, lambda: changes, num_rows="dynamic",
        column_config={
            "planning_area": st.column_config.SelectboxColumn("Planning area", options=codes, width="large"),
            "phase": st.column_config.SelectboxColumn("Phase", options=["primary", "secondary"]),
            "academic_year": st.column_config.SelectboxColumn("Academic year", options=sf["academic_year"].unique().tolist()),
            "places": st.column_config.NumberColumn("Places (− a removal)", step=1),
            "project_type": st.column_config.SelectboxColumn("Project", options=list(PROJECT_TYPES)),
        },
    )
    try:
        if edited is not None:
            edited = edited.rename(columns={"planning_area": "planning_area_code"})
            edited["planning_area_code"] = edited["planning_area_code"].map(lambda v: code_of.get(v, v))
        new = s if edited is None else edits.scenario_from_capacity_table(s, edited)
        if new != s:
            pp.apply_scenario(reg, new)
            state.set_scenario(new)
            st.rerun()
    except (ValueError, TypeError) as exc:
        st.error(plain(f"A capacity change is not complete or not valid: {exc}"))
    except pp.ValidationError as exc:
        show_problems(exc)
