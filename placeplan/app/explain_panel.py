"""The "show the calculation" panel: a figure and the parts it is made of (``pp.explain``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import placeplan as pp
from placeplan.app import state
from placeplan.app.display import money


def _number(value: float, unit: str) -> str:
    return money(value) if unit == "£" else f"{value:,.1f} {unit}"


def show(e) -> None:
    """An :class:`~placeplan.model.explain.Explanation`: the figure, its steps, its parts,
    and the check that the parts add up."""
    st.text(e.figure)
    c1, c2 = st.columns([1, 2])
    c1.metric("The figure", _number(e.value, e.unit))
    c2.caption(e.rule)
    steps = e.steps()
    fmt = money if e.unit == "£" else (lambda v: f"{v:,.1f}")
    steps = steps.assign(step=steps["step"].str[:1].str.upper() + steps["step"].str[1:])
    st.dataframe(steps.rename(columns={"step": "Step", "value": "Value"}).style.format({"Value": fmt}),
                 hide_index=True, width="stretch")
    spare = e.unit != "£" and e.total < 0 <= e.value
    st.text(f"The parts add up to {_number(e.total, e.unit)}"
            + ("" if abs(e.total - e.value) < 1e-6 else f"; {e.rule.split('=')[0].strip()} = {_number(e.value, e.unit)}")
            + (f" (below zero: {-e.total:,.0f} spare places, so none are needed)" if spare else ""))
    with st.expander("Every part (by NCY, site, flow, capacity change)"):
        parts = e.parts.rename(columns={"step": "Step", "item": "Item", "value": "Value"})
        st.dataframe(parts.style.format({"Value": fmt}), hide_index=True, width="stretch")


def area_panel(sf: pd.DataFrame, code: str, key: str) -> None:
    """Places needed in planning area ``code`` for a year the user picks, explained."""
    years = sf["academic_year"].drop_duplicates().tolist()
    one = sf[sf["planning_area_code"] == code]
    worst = one.loc[one["places_needed"].idxmax(), "academic_year"] if len(one) else years[0]
    year = st.selectbox("Show the calculation for the year", years, index=years.index(worst), key=key)
    try:
        e = state.explanation("area", code, year)
    except (KeyError, ValueError, pp.ValidationError) as exc:
        st.error(f"Cannot show the calculation: {exc}")
        return
    show(e)


def council_panel(fg: pd.DataFrame, council: str, key: str) -> None:
    """A council's funding gap (all years or one), explained."""
    years = ["all years"] + fg["academic_year"].drop_duplicates().tolist()
    year = st.selectbox("Show the calculation of the funding gap for", years, key=key)
    show(state.explanation("council", council, None if year == "all years" else year))


def site_panel(sites: pd.DataFrame, key: str) -> None:
    """A site's contribution sought, explained (the site chosen by name)."""
    if sites.empty:
        return
    labels = dict(zip(sites["site_id"].astype(str), sites["site"].astype(str) + " (" + sites["site_id"].astype(str) + ")"))
    site = st.selectbox("Show the calculation of a site's contribution", list(labels), format_func=labels.get, key=key)
    show(state.explanation("site", site))


__all__ = ["area_panel", "council_panel", "show", "site_panel"]
