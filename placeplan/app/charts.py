"""Charts as Vega-Lite specs written out: building them through Altair (st.line_chart,
st.bar_chart) validated a JSON schema on every rerun, 100-300 ms of an edit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

YEAR_AXIS = {"field": "academic_year", "type": "ordinal", "title": "academic year"}
#: Okabe-Ito: colours a colour-blind reader can tell apart (every chart's lines and bars).
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"]
#: Demand against capacity: the same colour for a series in every chart; capacity lines
#: dashed, so they differ by more than colour.
DEMAND_COLOURS = {"pupils forecast": "#0072B2", "central forecast": "#0072B2", "P50": "#56B4E9",
                  "baseline (today's pupils aged on)": "#009E73", "capacity": "#D55E00",
                  "capacity less headroom": "#E69F00"}
_DASHED = ("capacity", "capacity less headroom", "P50")


def _colour(series: list[str], colours: dict[str, str] | None = None) -> dict:
    colours = colours or {}
    spare = iter(c for c in OKABE_ITO if c not in colours.values())
    scale = {"domain": series, "range": [colours.get(s) or next(spare, "#000000") for s in series]}
    return {"field": "series", "type": "nominal", "title": None, "scale": scale, "sort": series}


def _dash(series: list[str]) -> dict:
    return {"field": "series", "type": "nominal", "title": None, "sort": series,
            "scale": {"domain": series, "range": [[6, 3] if s in _DASHED else [1, 0] for s in series]}}


def line_chart(wide: pd.DataFrame, y_title: str, colours: dict[str, str] | None = None) -> None:
    """One line per column of ``wide`` (indexed by academic year), in colour-blind-safe
    colours (``colours`` fixes some series' colours; capacity lines dashed)."""
    long = wide.rename_axis("academic_year").reset_index().melt("academic_year", var_name="series", value_name="value")
    series = [str(c) for c in wide.columns]
    st.vega_lite_chart(long, {
        "mark": {"type": "line", "point": True, "tooltip": True},
        "encoding": {"x": YEAR_AXIS, "y": {"field": "value", "type": "quantitative", "title": y_title},
                     "color": _colour(series, colours), "strokeDash": _dash(series)},
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
    series = ["central forecast", "P50", "capacity", "capacity less headroom"]
    st.vega_lite_chart(data, {
        "layer": [
            {"mark": {"type": "area", "opacity": 0.3, "color": "#56B4E9"},
             "encoding": {"x": YEAR_AXIS, "y": {"field": "P10", "type": "quantitative", "title": "pupils / places"},
                          "y2": {"field": "P90"}}},
            {"transform": [{"fold": series, "as": ["series", "value"]}],
             "mark": {"type": "line", "tooltip": True},
             "encoding": {"x": YEAR_AXIS, "y": {"field": "value", "type": "quantitative"},
                          "color": _colour(series, DEMAND_COLOURS), "strokeDash": _dash(series)}},
        ],
    }, width="stretch")
    st.caption("Shaded (light blue): P10–P90 of pupils over the Monte Carlo draws, the range 8 in 10 futures fall "
               "in. Dashed: P50 and the capacity lines.")


def demand_chart(demand: pd.DataFrame) -> None:
    """Demand against capacity of one area without ranges (one line per series)."""
    line_chart(demand.rename(columns={
        "pupils_forecast": "pupils forecast",
        "baseline_pupils": "baseline (today's pupils aged on)",
        "capacity": "capacity",
        "capacity_after_headroom": "capacity less headroom",
    }), "pupils / places", DEMAND_COLOURS)


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
                               "scale": {"range": OKABE_ITO}}},
    }, width="stretch")


__all__ = ["DEMAND_COLOURS", "OKABE_ITO", "YEAR_AXIS", "demand_chart", "fan_chart", "gap_by_year", "line_chart"]
