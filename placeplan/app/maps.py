"""The map: planning areas coloured by a measure, council borders and housing sites.

Geometry is reprojected and simplified once per region (and the sites once per set of
site changes), in caches shared by every session.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import streamlit as st

import placeplan as pp
from placeplan.app import state
from placeplan.model.scenario import Scenario


@st.cache_resource(max_entries=16, show_spinner=False)
def _area_geojson(region_key: str, phase: str, _region: pp.Region):
    pa = _region.planning_areas
    pa = pa[(pa["phase"] == phase) & pa.geometry.notna()]
    g = pa[["planning_area_code", "planning_area", "council_code", "geometry"]].copy()
    g["geometry"] = g.geometry.simplify(30)
    return g.to_crs(4326)


def area_geojson(phase: str):
    """The session region's planning areas of ``phase`` in longitude/latitude (a copy to colour)."""
    return _area_geojson(state.region_key(), phase, state.region()).copy()


@st.cache_resource(max_entries=8, show_spinner=False)
def _council_lines(region_key: str, _region: pp.Region) -> dict:
    c = _region.councils[["council_code", "council", "geometry"]].copy()
    c["geometry"] = c.geometry.simplify(50).boundary
    return c.to_crs(4326).__geo_interface__


@st.cache_resource(max_entries=32, show_spinner=False)
def _site_points(region_key: str, changes: str, _region: pp.Region, _scenario: Scenario) -> pd.DataFrame:
    sc = _scenario
    changed = sc.add_sites or sc.remove_sites or sc.edit_sites
    sites = pp.apply_scenario(_region, sc)[0].sites if changed else _region.sites
    pts = sites.geometry.centroid.to_crs(4326)
    out = pd.DataFrame({"lon": pts.x.to_numpy(), "lat": pts.y.to_numpy(), "site": sites["site"].astype(str).to_numpy(),
                        "site_id": sites["site_id"].astype(str).to_numpy(),
                        "dwellings": sites["dwellings"].astype(float).to_numpy()})
    out["radius"] = 40 * np.sqrt(out["dwellings"].clip(lower=1))
    out["label"] = out["site_id"] + ": " + out["dwellings"].map("{:,.0f} dwellings".format)
    return out


def site_points() -> pd.DataFrame:
    """The current scenario's site centroids in longitude/latitude with map labels, kept
    until the sites change: reprojecting builds a transformer each time (about 60 ms)."""
    s = state.scenario()
    return _site_points(state.region_key(), state.site_changes_key(s), state.region(), s)


def colour(share: np.ndarray, short: bool) -> list[list[int]]:
    """Fill colours: reds deepening to ``share`` 1 where places are needed, green where
    none are; blues scaled to the largest value otherwise."""
    v = np.nan_to_num(share)
    if short:
        scale = np.clip(v, 0, 1)
        return [[230, int(220 - 180 * s), int(200 - 170 * s), 170] if x > 0 else [200, 230, 200, 120]
                for x, s in zip(v, scale)]
    scale = np.clip(v / max(v.max(), 1.0), 0, 1)
    return [[int(220 - 170 * s), int(230 - 100 * s), 240, 160] for s in scale]


def deck_class():
    """pydeck's Deck, serialised compactly (pydeck indents its JSON, which makes Python
    encode the map's GeoJSON in pure Python: about 60 ms of every Overview rerun), on an
    empty base map."""
    import pydeck as pdk
    from pydeck.bindings.json_tools import default_serialize

    class CompactDeck(pdk.Deck):
        def to_json(self) -> str:
            # with no map style Streamlit fetches a basemap style from cartocdn.com: give it an
            # empty inline one (nothing at run time may download; tests/test_e2e_hostile_text.py)
            text = json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))
            return '{"mapStyle":' + json.dumps(BLANK_STYLE, separators=(",", ":")) + "," + text[1:]

    return CompactDeck


#: a MapLibre style with nothing in it: no tiles, no request leaves the page
BLANK_STYLE = {"version": 8, "sources": {}, "layers": []}


def area_map(geo, height: int = 520) -> None:
    """Planning areas (``geo`` with ``fill`` and ``label`` columns), council borders and sites."""
    import pydeck as pdk

    bounds = geo.total_bounds
    view = pdk.ViewState(longitude=(bounds[0] + bounds[2]) / 2, latitude=(bounds[1] + bounds[3]) / 2, zoom=8.3)
    layers = [
        pdk.Layer("GeoJsonLayer", geo.__geo_interface__, pickable=True, stroked=True, filled=True,
                  get_fill_color="properties.fill", get_line_color=[90, 90, 90, 200], line_width_min_pixels=1),
        pdk.Layer("GeoJsonLayer", _council_lines(state.region_key(), state.region()), stroked=True, filled=False,
                  get_line_color=[20, 20, 20, 255], line_width_min_pixels=3),
        pdk.Layer("ScatterplotLayer", site_points(), get_position=["lon", "lat"], get_radius="radius",
                  get_fill_color=[60, 60, 160, 180], pickable=True),
    ]
    st.pydeck_chart(deck_class()(layers=layers, initial_view_state=view, map_style=None,
                                 tooltip={"text": "{planning_area}{site}\n{label}"}), height=height)


__all__ = ["area_geojson", "area_map", "colour", "deck_class", "site_points"]
