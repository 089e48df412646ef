"""Finance: the funding gap per council and year, contributions, unfunded sites, costs."""

from __future__ import annotations

import streamlit as st

from placeplan.app import charts, edits, explain_panel, state
from placeplan.app.widgets import download_xlsx, editor, fmt, uncertainty_controls
from placeplan.io.tables import results_tables
from placeplan.model.summary import FUNDING_PARTS, funding_totals


def page() -> None:
    reg, s = state.region(), state.scenario()
    res = state.results()
    st.header("Finance: funding gap")
    fg = res.funding_gap
    st.caption("Per council, summed over all forecast years: new places built (not the peak), their cost, and "
               "how it is funded.")
    st.dataframe(fmt(funding_totals(fg).rename(columns={"places_needed": "new_places_built_(sum_over_years)"}),
                     money=FUNDING_PARTS[1:] + ("unallocated_funding",)), hide_index=True, width="stretch")
    charts.gap_by_year(fg)
    st.caption("Funding gap = cost of new places − developer contributions − Basic Need − other funding, per council "
               "and year, never below zero; funding not yet needed is shown as unallocated funding. Costs in the "
               "price base of the cost table.")
    if len(fg):
        st.info(str(fg["basic_need_note"].iloc[0]))
    st.markdown("**Range of the funding gap** (Monte Carlo)")
    ranges = uncertainty_controls("fin")
    if ranges is not None:
        st.dataframe(fmt(ranges.funding_gap_total, money=tuple(ranges.funding_gap_total.columns)), hide_index=True,
                     width="stretch")
    council = st.selectbox("Council", ["all"] + sorted(fg["council"].unique()), key="fin_council")
    view = fg if council == "all" else fg[fg["council"] == council]
    st.dataframe(fmt(view, money=tuple(view.columns)), hide_index=True, width="stretch", height=300)
    if council != "all":
        st.markdown("**Show the calculation** of this council's funding gap.")
        explain_panel.council_panel(fg, council, "fin_explain_year")

    st.subheader("Contributions expected per site, phase and receiving council")
    con = res.contributions
    if council != "all":
        code = reg.councils.set_index("council").loc[council, "council_code"]
        con = con[(con["council_code"] == code) | (con["receiving_council_code"] == code)]
    st.dataframe(fmt(con.sort_values("contribution", ascending=False),
                     money=("formula_cap", "contribution", "unfunded_cost")),
                 hide_index=True, width="stretch", height=300)
    explain_panel.site_panel(con[con["dwellings"] > 0].sort_values("contribution", ascending=False), "fin_explain_site")
    st.subheader("Unfunded: sites below the threshold")
    st.caption(f"Sites under {state.assumptions().contribution_threshold:g} dwellings pay no contribution; "
               "their pupils still need places.")
    st.dataframe(fmt(res.small_sites, money=("unfunded_cost",)), hide_index=True, width="stretch")

    st.subheader("Cost assumptions")
    edited = editor("costs", [s.costs, state.region_key()], lambda: edits.costs_table(reg, s),
                    disabled=["council_code", "phase", "project_type", "price_base"])
    new = s if edited is None else edits.scenario_from_costs_table(reg, s, edited)
    if new != s:
        state.set_scenario(new)
        st.rerun()
    tables = results_tables(res, ("funding_gap", "contributions", "small_sites", "provenance"), ranges=ranges)
    download_xlsx(st, "Download funding (XLSX, with provenance)", tables, "placeplan_funding.xlsx", "dl_funding_xlsx")
