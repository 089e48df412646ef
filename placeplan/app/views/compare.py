"""Compare two scenarios: what changed in the inputs (in words) and what it does to places
needed per planning area and year, and to each council's funding gap."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from placeplan.app import charts, state
from placeplan.app.display import money
from placeplan.app.widgets import table
from placeplan.model.changes import changes_in_words
from placeplan.model.comparison import compare
from placeplan.model.scenario import Scenario
from placeplan.model.summary import peak_places_needed


def section(sa: Scenario, sb: Scenario) -> None:
    """The comparison of scenarios ``sa`` (A) and ``sb`` (B) on the current region."""
    st.markdown("**What changed in the inputs** (A → B)")
    words = changes_in_words(state.region(), sa, sb)
    if not words:
        st.write("The two scenarios have the same inputs.")
    for line in words:
        st.text("• " + line)
    ra, rb = state.forecast_of(sa), state.forecast_of(sb)
    pa, pb = peak_places_needed(ra.shortfall), peak_places_needed(rb.shortfall)
    st.markdown("**Places needed per council** — peak over years, summed over planning areas (DfE SCAP)")
    peaks = pa.groupby("council")["places_needed"].sum().to_frame("A").join(pb.groupby("council")["places_needed"].sum().rename("B"))
    cols = st.columns(len(peaks))
    for col, (council, row) in zip(cols, peaks.iterrows()):
        change = row["B"] - row["A"]
        col.metric(str(council), f"{row['B']:,.0f}", delta=None if round(change) == 0 else f"{change:+,.0f} vs A",
                   delta_color="inverse")
    diff = compare(ra, rb, "A", "B")
    per_area(diff["shortfall"])
    fund = diff["funding_gap"].groupby("council")[["funding_gap_A", "funding_gap_B", "funding_gap_change"]].sum()
    st.markdown("**Funding gap per council** — sum over all forecast years")
    st.dataframe(pd.DataFrame({"Council": fund.index, "A": fund["funding_gap_A"].map(money),
                               "B": fund["funding_gap_B"].map(money), "Change": fund["funding_gap_change"].map(money)}),
                 hide_index=True, width="stretch")


@st.fragment
def per_area(short: pd.DataFrame) -> None:
    """Places needed per planning area and year in a council the user picks, A against B
    (a fragment: choosing another council or area redraws this part only)."""
    council = st.selectbox("Council", sorted(short["council"].unique()), key="cmp_council")
    mine = short[short["council"] == council]
    by_year = mine.groupby("academic_year")[["places_needed_A", "places_needed_B"]].sum()
    charts.line_chart(by_year.rename(columns={"places_needed_A": "A", "places_needed_B": "B"}),
                      "places needed (sum of areas in each year)")
    changed = mine[mine["places_needed_change"].abs() >= 0.5]
    st.caption(f"{changed['planning_area_code'].nunique():,} planning area(s) of {council} change in at least one year.")
    if len(changed):
        area_chart(mine, changed)
        table(changed[["planning_area", "planning_area_code", "phase", "academic_year", "places_needed_A",
                       "places_needed_B", "places_needed_change"]], height=260)


def area_chart(mine: pd.DataFrame, changed: pd.DataFrame) -> None:
    """Places needed in A and B, year by year, in one planning area the user picks among those
    that change (the one changing most first)."""
    most = changed.assign(size=changed["places_needed_change"].abs()).sort_values("size", ascending=False)
    areas = most[["planning_area_code", "planning_area", "phase"]].drop_duplicates("planning_area_code")
    labels = dict(zip(areas["planning_area_code"], areas["planning_area"] + " (" + areas["phase"] + ")"))
    code = st.selectbox("Planning area (those that change, the largest change first)", list(labels),
                        format_func=labels.get, key="cmp_area")
    one = mine[mine["planning_area_code"] == code].set_index("academic_year")
    charts.line_chart(one[["places_needed_A", "places_needed_B"]].rename(
        columns={"places_needed_A": "A", "places_needed_B": "B"}), "places needed in this area")


__all__ = ["area_chart", "per_area", "section"]
