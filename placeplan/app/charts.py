"""Charts as Vega-Lite specs written out: building them through Altair (st.line_chart,
st.bar_chart) validated a JSON schema on every rerun, 100-300 ms of an edit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

YEAR_AXIS = {"field": "academic_year", "type": "ordinal", "title": "academic year"}


def line_chart(wide: pd.DataFrame, y_title: str) -> None:
    """One line per column of ``wide`` (indexed by academic year)."""
    long = wide.rename_axis("academic_year").reset_index().melt("academic_year", var_name="series", value_name="value")
    st.vega_lite_chart(long, {
        "mark": {"type": "line", "point": True, "tooltip": True},
        "encoding": {"x": YEAR_AXIS, "y": {"field": "value", "type": "quantitative", "title": y_title},
                     "color": {"field": "series", "type": "nominal", "title": None}},
    }, width="stretch")


def fan_chart(demand: pd.DataFrame, band: pd.DataFrame) -> None:
    """Demand against capacity with the P10-P90 band of pupils (a fan chart).

    ``demand`` is :func:`placeplan.model.summary.demand_against_capacity`; ``band`` the
    area's rows of the Monte Carlo shortfall, both indexed by academic year.
    """
    years = demand.index
    data = pd.DataFrame({
        "academic_year": years,
        "P10": band["pupils_p10"].reindex(years).to_numpy(),
        "P90": band["pupils_p90"].reindex(years).to_numpy(),
        "P50": band["pupils_p50"].reindex(years).to_numpy(),
        "central forecast": demand["pupils_forecast"].to_numpy(),
        "capacity": demand["capacity"].to_numpy(),
        "capacity less headroom": demand["capacity_after_headroom"].to_numpy(),
    })
    st.vega_lite_chart(data, {
        "layer": [
            {"mark": {"type": "area", "opacity": 0.25},
             "encoding": {"x": YEAR_AXIS, "y": {"field": "P10", "type": "quantitative", "title": "pupils / places"},
                          "y2": {"field": "P90"}}},
            {"transform": [{"fold": ["P50", "central forecast", "capacity", "capacity less headroom"]}],
             "mark": {"type": "line", "tooltip": True},
             "encoding": {"x": YEAR_AXIS, "y": {"field": "value", "type": "quantitative"},
                          "color": {"field": "key", "type": "nominal", "title": None}}},
        ],
    }, width="stretch")
    st.caption("Shaded: P10-P90 of pupils over the Monte Carlo draws.")


def demand_chart(demand: pd.DataFrame) -> None:
    """Demand against capacity of one area without ranges (one line per series)."""
    line_chart(demand.rename(columns={
        "pupils_forecast": "pupils forecast",
        "baseline_pupils": "baseline (today's pupils aged on)",
        "capacity": "capacity",
        "capacity_after_headroom": "capacity less headroom",
    }), "pupils / places")


def gap_by_year(funding_gap: pd.DataFrame) -> None:
    """The funding gap per council and year in £m, bars side by side (a colour-blind-safe
    palette: Okabe-Ito)."""
    data = funding_gap[["academic_year", "council"]].assign(gap_m=funding_gap["funding_gap"] / 1e6)
    st.vega_lite_chart(data, {
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {"x": YEAR_AXIS, "xOffset": {"field": "council"},
                     "y": {"field": "gap_m", "type": "quantitative", "aggregate": "sum", "title": "funding gap (£m)",
                           "axis": {"format": ",.0f"}},
                     "color": {"field": "council", "type": "nominal", "title": None,
                               "scale": {"range": ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]}}},
    }, width="stretch")


__all__ = ["YEAR_AXIS", "demand_chart", "fan_chart", "gap_by_year", "line_chart"]
