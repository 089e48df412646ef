"""Finance: the funding gap per council and year, contributions, unfunded sites, costs."""

from __future__ import annotations

import streamlit as st

from placeplan.app import charts, edits, explain_panel, state
from placeplan.app.widgets import (
    download_xlsx,
    editor,
    result_warnings,
    table,
    uncertainty_controls,
)
from placeplan.io.tables import results_tables
from placeplan.model.summary import FUNDING_PARTS, funding_totals

#: Columns of the funding gap table the page does not show as columns (the note is shown
#: once above the table; early years say "not costed" in the note).
NOT_SHOWN = ("basic_need_note", "early_years")


def page() -> None:
    reg, s = state.region(), state.scenario()
    res = state.results()
    st.header("Finance: funding gap")
    fg = res.funding_gap
    st.caption("Per council, summed over all forecast years: new places built (not the peak), their cost, and "
               "how it is funded. Unallocated funding: grant received but not yet needed at the end of the forecast.")
    totals = funding_totals(fg).rename(columns={"places_needed": "new_places_built_(sum_over_years)"})
    first = ["council", "funding_gap"]  # the answer first, then its parts
    table(totals[first + [c for c in totals.columns if c not in first]], money=FUNDING_PARTS[1:] + ("unallocated_funding",))
    result_warnings(res.warnings, "the funding gaps and contributions")
    charts.gap_by_year(fg)
    st.caption("Funding gap = cost of new places − developer contributions − Basic Need − other funding, per council "
               "and year, never below zero; funding not yet needed is shown as unallocated funding. Costs in the "
               "price base of the cost table.")
    if len(fg):
        st.info(str(fg["basic_need_note"].iloc[0]))
    st.markdown("**Range of the funding gap** (Monte Carlo)")
    ranges = uncertainty_controls("fin")
    if ranges is not None:
        table(ranges.funding_gap_total, money=tuple(ranges.funding_gap_total.columns))
    by_council(res)

    st.subheader("Cost assumptions")
    st.caption("Cost per place by council, phase and project, before the location factor (cost used = cost per place "
               "× location factor). Edit a cost or a factor to test it; the council's code is last.")
    edited = editor("costs", [s.costs, state.region_key()], lambda: edits.costs_table(reg, s),
                    disabled=["council", "phase", "project_type", "price_base", "council_code"],
                    column_config=COST_COLUMNS)
    new = s if edited is None else edits.scenario_from_costs_table(reg, s, edited)
    if new != s:
        state.set_scenario(new)
        st.rerun()
    tables = results_tables(res, ("funding_gap", "contributions", "small_sites", "provenance"), ranges=ranges)
    download_xlsx(st, "Download funding (XLSX, with provenance)", tables, "placeplan_funding.xlsx", "dl_funding_xlsx")


@st.fragment
def by_council(res) -> None:
    """The gap per year, its calculation, contributions and small sites of the council the
    user picks (a fragment: choosing another council or site redraws this part only)."""
    reg, fg = state.region(), res.funding_gap
    council = st.selectbox("Council", ["all"] + sorted(fg["council"].unique()), key="fin_council")
    view = fg if council == "all" else fg[fg["council"] == council]
    st.caption("Per council and year. New places built: places that must open that year (the rise in places "
               "needed above its highest so far: a place built stays built). Cost of places for housing: the part "
               "of the cost that housing's pupils cause; not sought: its part no contribution pays for (sites below "
               "the threshold, uncharged phases). "
               "Basic Need and other funding as allocated in the year, and as used against the cost.")
    table(view.drop(columns=[c for c in NOT_SHOWN if c in view.columns])
          .rename(columns={"places_needed": "new_places_built_(in_the_year)"}), height=300)
    if council != "all":
        st.markdown("**Show the calculation** of this council's funding gap.")
        explain_panel.council_panel(fg, council, "fin_explain_year")

    st.subheader("Contributions expected per site, phase and receiving council")
    con = res.contributions
    if council != "all":
        code = reg.councils.set_index("council").loc[council, "council_code"]
        con = con[(con["council_code"] == code) | (con["receiving_council_code"] == code)]
    st.caption("Contribution sought: the site's share of the places its pupils need × cost per place, capped by the "
               "DfE formula cap; unfunded cost: what the places cost beyond it. Receiving council: whose schools "
               "the pupils go to.")
    first = ["site", "council", "phase", "receiving_council", "dwellings", "places", "contribution", "formula_cap",
             "unfunded_cost"]
    names = dict(zip(reg.councils["council_code"], reg.councils["council"]))
    con = con.assign(council=con["council_code"].map(names)).sort_values("contribution", ascending=False)
    table(con[[c for c in first if c in con.columns] + [c for c in con.columns if c not in first]],
          money=("formula_cap", "contribution", "unfunded_cost"), height=300)
    explain_panel.site_panel(con[con["dwellings"] > 0].sort_values("contribution", ascending=False), "fin_explain_site")
    st.subheader("Unfunded: sites below the threshold")
    st.caption(f"Sites under {state.assumptions().contribution_threshold:g} dwellings pay no contribution; "
               "their pupils still need places.")
    table(res.small_sites, money=("unfunded_cost",))


COST_COLUMNS = {
    "council": st.column_config.TextColumn("Council"),
    "phase": st.column_config.TextColumn("Phase"),
    "project_type": st.column_config.TextColumn("Project"),
    "cost_per_place": st.column_config.NumberColumn("Cost per place (£)", format="£%,.0f", min_value=0),
    "location_factor": st.column_config.NumberColumn("Location factor", format="%.2f", min_value=0),
    "price_base": st.column_config.TextColumn("Price base"),
    "council_code": st.column_config.TextColumn("Council code"),
}
