"""Overview: headline figures per council and the map of planning areas."""

from __future__ import annotations

import numpy as np
import streamlit as st

from placeplan.app import explain_panel, maps, state
from placeplan.app.widgets import (
    checked_upload,
    plain,
    pounds_m,
    result_warnings,
    start_from_button,
    uncertainty_controls,
)
from placeplan.model.constants import PLACES_PER_FE
from placeplan.model.scenario import Scenario
from placeplan.model.summary import council_summary

MEASURES = ["places needed", "spare places", "probability of shortfall"]


def page() -> None:
    reg, res = state.region(), state.results()
    meta = reg.meta_dict
    st.header("Overview")
    st.write(plain(meta.get("region_name", reg.source)))
    st.info(plain(f"Data: {meta.get('base_census', '')}. {meta.get('limits', '')}"), icon="ℹ️")
    headlines(reg.councils["council"], council_summary(res.shortfall, res.funding_gap))
    st.caption("Places needed (peak): each planning area's largest places needed over the forecast years, summed over "
               "the council's areas (DfE SCAP). Funding gap: cost − contributions − Basic Need − other funding, summed "
               "over all forecast years.")
    result_warnings(res.warnings, "the places needed and funding gaps above")
    area_map(res.shortfall)
    with st.expander("Load your own region bundle (GeoPackage)"):
        upload_region()


def headlines(councils, summary) -> None:
    """Per council: peak places needed and forms of entry per phase, funding gap over all years
    (the measures named once above the cards, so a card's label fits a 1280-pixel screen)."""
    st.markdown("**Places needed at the peak** (the largest year) **and the funding gap over all years**, per council")
    for col, council in zip(st.columns(len(councils)), councils):
        row = summary.loc[council] if council in summary.index else None
        col.markdown("#### " + plain(council))
        for phase in ("primary", "secondary"):
            places = float(row[f"{phase}_places_needed"]) if row is not None else 0.0
            fe = float(row[f"{phase}_forms_of_entry"]) if row is not None else 0.0
            col.metric(f"{phase.capitalize()} places needed", f"{places:,.0f}",
                       help=f"Peak over the forecast years: {fe:.1f} forms of entry")
        col.metric("Funding gap", pounds_m(float(row["funding_gap"]) if row is not None else 0.0),
                   help="Summed over all forecast years")


def area_map(sf) -> None:
    years = sf["academic_year"].unique().tolist()
    c1, c2, c3 = st.columns(3)
    year = c1.selectbox("Year", years, index=min(4, len(years) - 1), key="map_year")
    phase = c2.selectbox("Phase", ["primary", "secondary"], key="map_phase")
    measure = c3.radio("Colour by", MEASURES, horizontal=True, key="map_measure")
    geo = maps.area_geojson(phase)
    probability = measure == "probability of shortfall"
    if probability:
        ranges = uncertainty_controls("map")
        if ranges is None:
            st.info("Compute the ranges to colour the map by the probability that each area runs short.")
        source, col = (None if ranges is None else ranges.shortfall), "probability_short"
    else:
        source, col = sf, "places_needed" if measure == "places needed" else "spare_places"
    if source is not None:
        shown = source[(source["academic_year"] == year) & (source["phase"] == phase)].set_index("planning_area_code")
        geo["value"] = shown[col].reindex(geo["planning_area_code"]).to_numpy()
    else:
        geo["value"] = np.nan
    value = geo["value"].to_numpy(dtype=float)
    if probability:
        geo["label"] = ["compute ranges first" if np.isnan(v) else f"{v:.0%} chance of a shortfall" for v in value]
        geo["fill"] = maps.colour(value, True)
    else:
        value = np.nan_to_num(value)
        geo["label"] = [f"{v:,.0f} {measure}" for v in value]
        short = measure == "places needed"
        geo["fill"] = maps.colour(value / PLACES_PER_FE[phase] if short else value, short)
    geo["tip"] = geo["planning_area"].astype(str) + " (" + geo["planning_area_code"].astype(str) + ")\n" + geo["label"] \
        + f", {year}"
    picked = maps.area_map(geo)
    maps.legend(measure != "spare places", "a form of entry or more" if measure == "places needed" else "certain")
    st.caption(f"Planning areas coloured by {measure} in {year} ({phase}); circles are housing sites sized by "
               "dwellings; thick lines are council borders. Planning-area polygons are derived from wards. "
               "Click an area to see its calculation.")
    if picked:
        names = dict(zip(geo["planning_area_code"], geo["planning_area"]))
        st.subheader("Selected planning area")
        st.text(f"{names.get(picked, picked)} ({picked})")
        explain_panel.area_panel(sf, picked, "map_explain_year")


def upload_region() -> None:
    checked = checked_upload("Region bundle", ["gpkg"], "region_upload", "region")
    if checked is None or checked.region is None:
        return
    new = checked.region
    start_from_button(f"Use {plain(new.source)} ({len(new.councils)} councils, {len(new.sites)} sites)", "use_region",
                      Scenario(name=""), new)
