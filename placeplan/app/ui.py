"""The shared scenario workspace: one page per team, all on the same scenario.

Thin by design: the pages read and write a :class:`~placeplan.model.scenario.Scenario`
in the session and show tables the library computes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

import placeplan as pp
from placeplan.app import edits
from placeplan.app.access import refused_edits
from placeplan.io.roles import User, read_roles, roles_path, user_for
from placeplan.io.schema import PROJECT_TYPES, STATUSES
from placeplan.io.store import (
    ScenarioStore,
    StaleScenarioError,
    default_store_path,
    export_scenario,
    import_scenario,
)
from placeplan.io.tables import results_tables
from placeplan.model.constants import academic_year_label
from placeplan.model.scenario import Scenario, compare, scenario_changes
from placeplan.model.uncertainty import Uncertainty, monte_carlo

PAGES = ["Overview", "Planning", "Children's services", "Finance", "Scenarios"]
MAX_UPLOAD_MB = 50
BASE = "(base: no changes)"
CURRENT = "(current, unsaved)"


# --------------------------------------------------------------------------- state


@st.cache_resource(show_spinner="Loading the region…")
def demo_region(path: str | None) -> pp.Region:
    return pp.load_region(path)


@st.cache_resource
def store(path: str) -> ScenarioStore:
    return ScenarioStore(path)


def get_store() -> ScenarioStore:
    return store(str(default_store_path()))


def region() -> pp.Region:
    if "region" not in st.session_state:
        st.session_state.region = demo_region(os.environ.get("PLACEPLAN_REGION"))
    return st.session_state.region


def scenario() -> Scenario:
    if "scenario" not in st.session_state:
        st.session_state.scenario = Scenario(name="")
        st.session_state.loaded = None
    return st.session_state.scenario


def auth_configured() -> bool:
    """Sign-in is on when secrets.toml has an [auth] section (Streamlit's OpenID Connect)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: open mode
        return False


@st.cache_resource
def _roles(path: str, mtime: float) -> dict:
    return read_roles(path)


def current_user() -> User | None:
    """The signed-in user with their roles, or None when the app runs open."""
    if not auth_configured():
        return None
    path = roles_path()
    if path is None:
        try:
            path = Path(st.secrets["placeplan"]["roles_file"])
        except (KeyError, FileNotFoundError, AttributeError):
            path = None
    roles = _roles(str(path), path.stat().st_mtime) if path is not None and path.exists() else {}
    return user_for(str(st.user.get("email", "")), roles)


def set_scenario(new: Scenario) -> bool:
    """Make ``new`` the current scenario if the signed-in user may make that change."""
    user = st.session_state.get("_user")
    if user is not None and new != scenario():
        refused = refused_edits(region(), scenario(), new, user)
        if refused:
            st.session_state["_refused"] = refused
            st.session_state["_editor_nonce"] = st.session_state.get("_editor_nonce", 0) + 1
            return False
    st.session_state.scenario = new
    return True


def results() -> pp.Results:
    """Forecast of the current scenario; the model caches what an edit leaves unchanged."""
    return pp.forecast(region(), scenario())


def base_results() -> pp.Results:
    """The forecast of the region without changes (kept: every page compares with it)."""
    reg = region()
    kept = st.session_state.get("_base_results")
    if kept is None or kept[0] is not reg:
        kept = (reg, pp.forecast(reg))
        st.session_state["_base_results"] = kept
    return kept[1]


def _ranges_key(draws: int, seed: int) -> tuple:
    return (id(region()), scenario().to_json(), draws, seed)


def ranges(run: bool = False, draws: int = 1000, seed: int = 20151):
    """Monte Carlo ranges of the current scenario: computed on request (with a progress
    bar), then kept for this scenario until it changes."""
    key = _ranges_key(draws, seed)
    kept = st.session_state.get("_ranges")
    if kept is not None and kept[0] == key:
        return kept[1]
    if not run:
        return None
    reg = region()
    changed, a = pp.apply_scenario(reg, scenario())
    bar = st.progress(0.0, text=f"Drawing {draws:,} futures…")
    out = monte_carlo(changed, a, Uncertainty(draws=draws, seed=seed), chunk=max(100, draws // 10),
                      progress=lambda f: bar.progress(f, text=f"Drawing {draws:,} futures… {f:.0%}"))
    bar.empty()
    st.session_state["_ranges"] = (key, out)
    return out


def uncertainty_controls(where: str):
    """Draws and seed, a run button, and the ranges if already computed."""
    c1, c2, c3 = st.columns([1, 1, 2])
    draws = c1.number_input("Monte Carlo draws", 100, 20000, 1000, 100, key=f"mc_draws_{where}")
    seed = c2.number_input("Seed", 0, 2**31 - 1, 20151, key=f"mc_seed_{where}")
    run = c3.button("Compute ranges (P10/P50/P90)", key=f"mc_run_{where}")
    out = ranges(run, int(draws), int(seed))
    if out is None:
        c3.caption("Ranges show how sure each figure is: yields, whether and when sites are built, births and "
                   "migration are drawn around their central values (docs/uncertainty.md).")
    return out


def plain(text: str) -> str:
    """User text shown inside Markdown elements, with Markdown's special characters escaped
    (Streamlit never renders raw HTML unless asked; this also stops links and images)."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>~$" else ch for ch in str(text))


def pounds_m(value: float) -> str:
    """£ millions with the sign in front: -£38.0m."""
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value) / 1e6:,.1f}m"


def fmt(frame: pd.DataFrame, money: tuple[str, ...] = (), digits: int = 1) -> pd.DataFrame:
    """Floats rounded for display (pounds to the pound), in one pass."""
    floats = [c for c, t in frame.dtypes.items() if pd.api.types.is_float_dtype(t)]
    return frame.round({c: 0 if c in money else digits for c in floats})


def xlsx_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.xlsx"
        from placeplan.io.tables import export_tables

        export_tables(tables, path)
        return path.read_bytes()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    from placeplan.io.tables import neutralise

    return neutralise(frame).to_csv(index=False).encode("utf-8")


def editor(prefix: str, payload: object, make_table, **kwargs) -> pd.DataFrame:
    """A data editor whose key follows the scenario part it edits.

    When that part changes anywhere (this editor, a form, a loaded scenario), the key
    changes and the editor starts again from the scenario, so it never undoes a change
    made elsewhere.
    """
    payload = [payload, st.session_state.get("_editor_nonce", 0)]
    digest = hashlib.sha1(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:12]
    key = f"{prefix}_{digest}"
    inputs = st.session_state.setdefault("_editor_inputs", {})
    if inputs.get(prefix, (None,))[0] != key:
        inputs[prefix] = (key, make_table())
    edited = st.data_editor(inputs[prefix][1], key=key, hide_index=True, width="stretch", **kwargs)
    state = st.session_state.get(key) or {}
    touched = any(state.get(k) for k in ("edited_rows", "added_rows", "deleted_rows"))
    return edited if touched else None  # None: the table is as the scenario made it


def show_problems(exc: pp.ValidationError) -> None:
    st.error(f"{len(exc.problems)} problem(s) found; nothing was changed.")
    st.dataframe(
        pd.DataFrame([dataclasses.asdict(p) for p in exc.problems]).rename(columns=str.capitalize),
        hide_index=True,
        width="stretch",
    )


# --------------------------------------------------------------------------- chrome


def sidebar() -> str:
    st.sidebar.title("placeplan")
    default = st.query_params.get("page", "Overview")
    page = st.sidebar.radio("Page", PAGES, index=PAGES.index(default) if default in PAGES else 0, key="page")
    s = scenario()
    loaded = st.session_state.get("loaded")
    st.sidebar.markdown("**Scenario**")
    if loaded:
        st.sidebar.text(f"{loaded['name']} — version {loaded['version']} by {loaded['author']}")
    else:
        st.sidebar.write("New scenario (not saved)")
    n = len(s.add_sites) + len(s.remove_sites) + len(s.edit_sites) + len(s.capacity_changes) + len(s.costs) + len(s.assumptions)
    st.sidebar.caption(f"{n} change(s) from the base region")
    user = st.session_state.get("_user")
    if user is None:
        st.sidebar.text_input("Your name (recorded with each save)", key="author", value=os.environ.get("USER", ""))
        st.sidebar.caption("Open mode: no sign-in is configured, so anyone using this app can edit and save.")
    else:
        st.session_state["author"] = user.email
        st.sidebar.text(f"Signed in as {user.email}")
        st.sidebar.caption("Roles: " + ", ".join(sorted(f"{r} ({c})" for c, r in user.grants)))
        st.sidebar.button("Log out", on_click=st.logout, key="logout")
    if st.sidebar.button("Reset to the base region", key="reset"):
        st.session_state.loaded = None
        set_scenario(Scenario(name=""))
        st.rerun()
    return page


def footer() -> None:
    meta = region().meta_dict
    st.divider()
    st.caption(
        f"Data base year {meta.get('base_year', '?')} ({meta.get('base_census', '')}). "
        f"Sources: {meta.get('sources', 'not stated')}. Licence: {meta.get('licence', 'not stated')}. "
        f"placeplan {pp.__version__}."
    )
    for line in meta.get("attribution", "").split(" | "):
        if line:
            st.caption(line)


# --------------------------------------------------------------------------- overview


def _geo_cache() -> dict:
    return st.session_state.setdefault("_geo", {})


def area_geojson(reg: pp.Region, phase: str) -> dict:
    key = (id(reg.planning_areas), phase)
    cache = _geo_cache()
    if key not in cache:
        pa = reg.planning_areas[(reg.planning_areas["phase"] == phase) & reg.planning_areas.geometry.notna()]
        g = pa[["planning_area_code", "planning_area", "council_code", "geometry"]].copy()
        g["geometry"] = g.geometry.simplify(30)
        cache[key] = g.to_crs(4326)
    return cache[key]


def council_lines(reg: pp.Region) -> dict:
    key = ("councils", id(reg.councils))
    cache = _geo_cache()
    if key not in cache:
        c = reg.councils[["council_code", "council", "geometry"]].copy()
        c["geometry"] = c.geometry.simplify(50).boundary
        cache[key] = c.to_crs(4326).__geo_interface__
    return cache[key]


def deck_class():
    """pydeck's Deck, serialised compactly: pydeck indents its JSON, which makes Python
    encode the map's GeoJSON in pure Python (about 60 ms of every Overview rerun)."""
    import pydeck as pdk
    from pydeck.bindings.json_tools import default_serialize

    class CompactDeck(pdk.Deck):
        def to_json(self) -> str:
            return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))

    return CompactDeck


def site_changes_key(sc: Scenario) -> str:
    """The scenario's site changes as text: what per-session site caches are kept on."""
    return json.dumps([sc.add_sites, sc.remove_sites, sc.edit_sites], sort_keys=True, default=str)


def site_points(reg: pp.Region, sc: Scenario) -> pd.DataFrame:
    """The scenario's site centroids in longitude/latitude with map labels, kept until the
    sites change: reprojecting builds a transformer each time (about 60 ms)."""
    key = ("sites", id(reg.sites), site_changes_key(sc))
    cache = _geo_cache()
    hit = cache.get(key)
    if hit is not None and hit[0] is reg.sites:
        return hit[1]
    sites = reg.sites if not (sc.add_sites or sc.remove_sites or sc.edit_sites) else pp.apply_scenario(reg, sc)[0].sites
    pts = sites.geometry.centroid.to_crs(4326)
    out = pd.DataFrame({"lon": pts.x.to_numpy(), "lat": pts.y.to_numpy(), "site": sites["site"].astype(str).to_numpy(),
                        "site_id": sites["site_id"].astype(str).to_numpy(),
                        "dwellings": sites["dwellings"].astype(float).to_numpy()})
    out["radius"] = 40 * np.sqrt(out["dwellings"].clip(lower=1))
    out["label"] = out["site_id"] + ": " + out["dwellings"].map("{:,.0f} dwellings".format)
    for old in [k for k in cache if k[0] == "sites"]:  # only the latest sites are kept
        del cache[old]
    cache[key] = (reg.sites, out)
    return out


def colour(values: np.ndarray, short: bool) -> list[list[int]]:
    v = np.nan_to_num(values)
    if short:
        scale = np.clip(v / 210.0, 0, 1)
        return [[230, int(220 - 180 * s), int(200 - 170 * s), 170] if x > 0 else [200, 230, 200, 120]
                for x, s in zip(v, scale)]
    scale = np.clip(v / max(v.max(), 1.0), 0, 1)
    return [[int(220 - 170 * s), int(230 - 100 * s), 240, 160] for s in scale]


def page_overview() -> None:
    reg, res = region(), results()
    meta = reg.meta_dict
    st.header("Overview")
    st.write(meta.get("region_name", reg.source))
    st.info(f"Data: {meta.get('base_census', '')}. {meta.get('limits', '')}", icon="ℹ️")
    sf, fg = res.shortfall, res.funding_gap
    peak = sf.groupby(["council", "phase", "planning_area_code"])["places_needed"].max().groupby(["council", "phase"]).sum()
    money = fg.groupby("council")["funding_gap"].sum()
    cols = st.columns(len(reg.councils))
    for col, council in zip(cols, reg.councils["council"]):
        p = float(peak.get((council, "primary"), 0.0))
        s_ = float(peak.get((council, "secondary"), 0.0))
        col.subheader(council)
        col.metric("Primary places needed (peak)", f"{p:,.0f}", help=f"{p / 210:.1f} forms of entry")
        col.metric("Secondary places needed (peak)", f"{s_:,.0f}", help=f"{s_ / 150:.1f} forms of entry")
        col.metric("Funding gap, all years", pounds_m(money.get(council, 0.0)))

    years = sf["academic_year"].unique().tolist()
    c1, c2, c3 = st.columns(3)
    year = c1.selectbox("Year", years, index=min(4, len(years) - 1), key="map_year")
    phase = c2.selectbox("Phase", ["primary", "secondary"], key="map_phase")
    measure = c3.radio("Colour by", ["places needed", "spare places", "probability of shortfall"], horizontal=True,
                       key="map_measure")
    geo = area_geojson(reg, phase).copy()
    if measure == "probability of shortfall":
        rng_ = uncertainty_controls("map")
        if rng_ is None:
            st.info("Compute the ranges to colour the map by the probability that each area runs short.")
            source = None
        else:
            source = rng_.shortfall
        col = "probability_short"
    else:
        source = sf
        col = "places_needed" if measure == "places needed" else "spare_places"
    if source is not None:
        shown = source[(source["academic_year"] == year) & (source["phase"] == phase)].set_index("planning_area_code")
        geo["value"] = shown[col].reindex(geo["planning_area_code"]).to_numpy()
    else:
        geo["value"] = np.nan
    if measure == "probability of shortfall":
        geo["label"] = [f"{v:.0%} chance of a shortfall" for v in np.nan_to_num(geo["value"])]
        geo["fill"] = colour(np.nan_to_num(geo["value"].to_numpy(dtype=float)) * 210.0, True)
    else:
        geo["label"] = [f"{v:,.0f} {measure}" for v in np.nan_to_num(geo["value"])]
        geo["fill"] = colour(geo["value"].to_numpy(dtype=float), measure == "places needed")
    pts = site_points(reg, scenario())
    import pydeck as pdk

    bounds = geo.total_bounds
    view = pdk.ViewState(longitude=(bounds[0] + bounds[2]) / 2, latitude=(bounds[1] + bounds[3]) / 2, zoom=8.3)
    layers = [
        pdk.Layer("GeoJsonLayer", geo.__geo_interface__, pickable=True, stroked=True, filled=True,
                  get_fill_color="properties.fill", get_line_color=[90, 90, 90, 200], line_width_min_pixels=1),
        pdk.Layer("GeoJsonLayer", council_lines(reg), stroked=True, filled=False, get_line_color=[20, 20, 20, 255],
                  line_width_min_pixels=3),
        pdk.Layer("ScatterplotLayer", pts, get_position=["lon", "lat"], get_radius="radius",
                  get_fill_color=[60, 60, 160, 180], pickable=True),
    ]
    st.pydeck_chart(deck_class()(layers=layers, initial_view_state=view, map_style=None,
                             tooltip={"text": "{planning_area}{site}\n{label}"}), height=520)
    st.caption(f"Planning areas coloured by {measure} in {year} ({phase}); circles are housing sites sized by "
               "dwellings; thick lines are council borders. Planning-area polygons are derived from wards.")
    with st.expander("Load your own region bundle (GeoPackage)"):
        upload_region()


def _upload_to_temp(upload, suffix: str) -> Path | None:
    size = upload.size
    if size > MAX_UPLOAD_MB * 1024**2:
        st.error(plain(f"{upload.name} is {size / 1024**2:.0f} MB; the limit is {MAX_UPLOAD_MB} MB."))
        return None
    tmp = Path(tempfile.mkdtemp(prefix="placeplan-")) / f"upload{suffix}"
    tmp.write_bytes(upload.getvalue())
    return tmp


def upload_region() -> None:
    up = st.file_uploader("Region bundle", type=["gpkg"], key="region_upload")
    if up is None:
        return
    path = _upload_to_temp(up, ".gpkg")
    if path is None:
        return
    try:
        with st.spinner("Checking the bundle…"):
            new = pp.load_region(path)
    except pp.ValidationError as exc:
        show_problems(exc)
        return
    if st.button(f"Use {up.name} ({len(new.councils)} councils, {len(new.sites)} sites)", key="use_region"):
        st.session_state.region = new.replace(source=up.name)
        st.session_state.loaded = None
        set_scenario(Scenario(name=""))
        st.rerun()


# --------------------------------------------------------------------------- planning


def page_planning() -> None:
    st.header("Planning: development scenario")
    planning_levers_and_effect()
    reg = region()
    s = scenario()
    st.subheader("Edit one site")
    table = sites_table(reg, s)
    ids = table["site_id"].astype(str).tolist()
    labels = {i: f"{i} — {n}" for i, n in zip(ids, table["site"].astype(str))}
    sid = st.selectbox("Site", ids, format_func=lambda i: labels.get(i, i), key="edit_site_id")
    row = table.set_index(table["site_id"].astype(str)).loc[sid] if sid else None
    with st.form("edit_site"):
        # keys carry the site id so the inputs show the chosen site's values
        f1, f2, f3, f4 = st.columns(4)
        f1.number_input("Site dwellings", 0, 100000, int(row["dwellings"]) if row is not None else 0,
                             key=f"edit_site_dwellings_{sid}")
        f2.number_input("First completions (start year of academic year)", 1990, 2100,
                             int(row["first_year"]) if row is not None else reg.base_year, key=f"edit_site_first_{sid}")
        f3.number_input("Site build rate (dwellings a year)", 0, 10000, int(row["build_rate"]) if row is not None else 0,
                             key=f"edit_site_rate_{sid}")
        f4.selectbox("Status", STATUSES, index=STATUSES.index(row["status"]) if row is not None and row["status"] in STATUSES else 0,
                     key=f"edit_site_status_{sid}")
        # applied in a callback, before the next run draws the page: the levers and effect
        # above show the edit in that one run (a rerun after drawing would cost a second)
        st.form_submit_button("Apply to the scenario", on_click=apply_site_form, args=(sid,))

    with st.expander("Add a site"):
        with st.form("add_site"):
            g1, g2, g3 = st.columns(3)
            g1.text_input("Site id", key="add_id")
            g2.text_input("Name", key="add_name")
            g3.selectbox("Council", reg.councils["council_code"].tolist(),
                         format_func=dict(zip(reg.councils["council_code"], reg.councils["council"])).get, key="add_council")
            h1, h2, h3 = st.columns(3)
            h1.number_input("New site dwellings", 1, 100000, 500, key="add_dwellings")
            h2.number_input("First completions (year)", 1990, 2100, reg.base_year + 3, key="add_first")
            h3.number_input("Build rate", 0, 10000, 100, key="add_rate")
            st.radio("Place it by", ["easting/northing", "planning area"], horizontal=True, key="add_how")
            k1, k2, k3 = st.columns(3)
            k1.number_input("Easting (EPSG:27700)", 0, 700000, 488000, key="add_east")
            k2.number_input("Northing", 0, 1300000, 240000, key="add_north")
            pa = reg.planning_areas[reg.planning_areas["phase"] == "primary"]
            k3.selectbox("Primary planning area", pa["planning_area_code"].tolist(),
                         format_func=dict(zip(pa["planning_area_code"], pa["planning_area"])).get, key="add_area")
            st.form_submit_button("Add to the scenario", on_click=apply_add_site_form)
        problems = st.session_state.pop("_add_site_problems", None)
        if problems is not None:
            show_problems(problems)

    st.subheader("All sites")
    st.caption("Edit cells, add rows (give easting/northing or a planning area code) or delete rows; the results update.")
    edited = editor(
        "sites",
        [s.add_sites, s.remove_sites, s.edit_sites, id(reg.sites)],
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
            set_scenario(from_table)
            st.rerun()
    except (pp.ValidationError, ValueError, TypeError) as exc:
        if isinstance(exc, pp.ValidationError):
            show_problems(exc)
        else:
            st.error(plain(f"The table has a value that is not allowed: {exc}"))

    with st.expander("Load your council's sites file (CSV or XLSX, see the templates)"):
        up = st.file_uploader("Sites file", type=["csv", "xlsx"], key="sites_upload")
        if up is not None:
            path = _upload_to_temp(up, Path(up.name).suffix.lower())
            if path is not None:
                try:
                    with st.spinner(f"Checking {up.name}…"):
                        sites, traj = pp.read_sites(path)
                        new_region = pp.with_sites(reg, sites, traj, up.name)
                except pp.ValidationError as exc:
                    show_problems(exc)
                else:
                    st.success(plain(f"{len(sites)} sites read from {up.name}."))
                    if st.button("Replace the region's sites with these", key="use_sites"):
                        st.session_state.region = new_region
                        set_scenario(Scenario(name=s.name))
                        st.rerun()


def sites_table(reg: pp.Region, s: Scenario) -> pd.DataFrame:
    """The scenario's sites as a table, kept until the sites or their changes differ
    (the Planning page draws it on every run; do not change it in place)."""
    key = site_changes_key(s)
    kept = st.session_state.get("_sites_table")
    if kept is None or kept[0] is not reg.sites or kept[1] != key:
        kept = (reg.sites, key, edits.sites_table(reg, s))
        st.session_state["_sites_table"] = kept
    return kept[2]


def apply_site_form(sid: str) -> None:
    """The "Edit one site" form's values, applied to the scenario (a form callback)."""
    if not sid:
        return
    reg, s = region(), scenario()
    t = sites_table(reg, s).copy()
    i = t.index[t["site_id"].astype(str) == sid][0]
    state = st.session_state
    t.loc[i, ["dwellings", "first_year", "build_rate"]] = [float(state[f"edit_site_dwellings_{sid}"]),
                                                           int(state[f"edit_site_first_{sid}"]),
                                                           float(state[f"edit_site_rate_{sid}"])]
    t.loc[i, "status"] = state[f"edit_site_status_{sid}"]
    set_scenario(edits.scenario_from_sites_table(reg, s, t))


def apply_add_site_form() -> None:
    """The "Add a site" form's values, checked and added to the scenario (a form callback);
    problems are kept to show under the form."""
    reg, s = region(), scenario()
    state = st.session_state
    new_id = str(state["add_id"]).strip()
    site = {"site_id": new_id, "site": str(state["add_name"]).strip() or new_id, "council_code": state["add_council"],
            "dwellings": float(state["add_dwellings"]), "first_year": int(state["add_first"]),
            "build_rate": float(state["add_rate"]), "status": "allocated"}
    if state["add_how"] == "easting/northing":
        site.update(easting=float(state["add_east"]), northing=float(state["add_north"]))
    else:
        site["planning_area_code"] = state["add_area"]
    candidate = dataclasses.replace(s, add_sites=[*s.add_sites, site])
    try:
        if not new_id:
            raise pp.ValidationError([pp.Problem("", "sites", None, "site_id", "give the new site an id")])
        Scenario.from_dict(candidate.to_dict())
        pp.apply_scenario(reg, candidate)
    except pp.ValidationError as exc:
        state["_add_site_problems"] = exc
    else:
        set_scenario(candidate)


@st.fragment
def planning_levers_and_effect() -> None:
    """Levers and their effect rerun on their own: a lever edit does not redraw the sites table."""
    reg = region()
    s = scenario()
    st.subheader("Scenario levers")
    a = reg.assumptions(**s.assumptions)
    c1, c2, c3, c4 = st.columns(4)
    delay = c1.number_input("Delay all sites (years)", -5, 20, int(a.delay_years), key="lever_delay")
    rate = c2.number_input("Build-rate multiplier", 0.0, 5.0, float(a.build_rate_multiplier), 0.1, key="lever_rate")
    ym = a.yield_multipliers
    ymp = c3.number_input("Primary yield multiplier", 0.0, 5.0, float(ym.get("primary", 1.0)), 0.05, key="lever_ypri")
    yms = c4.number_input("Secondary yield multiplier", 0.0, 5.0, float(ym.get("secondary", 1.0)), 0.05, key="lever_ysec")
    netting = st.checkbox("Net off each council's background build rate (the trend already holds past building)",
                          value=bool(a.netting), key="lever_netting")
    rates = dict(s.background_rates)
    if netting:
        cols = st.columns(len(reg.councils))
        for col, (code, name) in zip(cols, zip(reg.councils["council_code"], reg.councils["council"])):
            rates[code] = col.number_input(f"{name}: background dwellings a year", 0.0, 20000.0,
                                           float(rates.get(code, 0.0)), 50.0, key=f"bg_{code}")
    mult = {k: v for k, v in {"primary": ymp, "secondary": yms}.items() if abs(v - 1.0) > 1e-12}
    new = edits.with_assumptions(
        s,
        delay_years=int(delay) if delay else None,
        build_rate_multiplier=float(rate) if abs(rate - 1.0) > 1e-12 else None,
        yield_multipliers=mult or None,
        netting=True if netting else None,
    )
    new = dataclasses.replace(new, background_rates=rates if netting else {})
    if new != s:
        set_scenario(new)
        s = new
    res, base = results(), base_results()
    st.subheader("Effect of the scenario")
    eff = pp.shortfall_effect(base.shortfall, res.shortfall)
    cols = st.columns(len(reg.councils))
    for col, council in zip(cols, reg.councils["council"]):
        now, was = float(eff.peak_scenario.get(council, 0.0)), float(eff.peak_base.get(council, 0.0))
        col.metric(f"{council}: places needed", f"{now:,.0f}", delta=f"{now - was:+,.0f} vs base",
                   delta_color="inverse", help="Sum over planning areas of each area's peak places needed, both phases")
    st.dataframe(fmt(eff.by_council_phase), hide_index=True, width="stretch")
    if len(eff.changed):
        st.caption("Planning areas and years whose places needed changed:")
        st.dataframe(fmt(eff.changed[["council", "planning_area", "phase", "academic_year", "pupils_forecast_change",
                                      "places_needed_base", "places_needed_scenario", "places_needed_change"]]),
                     hide_index=True, width="stretch", height=240)
    st.subheader("Development headroom per planning area")
    st.caption("Dwellings each area can take (at the all-dwellings yield) before it runs short in any year, "
               "and from how many a new one-form-entry school is needed.")
    st.dataframe(fmt(res.development_headroom, digits=0), hide_index=True, width="stretch", height=300)


# Charts are Vega-Lite specs written out: building them through Altair (st.line_chart,
# st.bar_chart) validated a JSON schema on every rerun, 100-300 ms of an edit.
YEAR_AXIS = {"field": "academic_year", "type": "ordinal", "title": "academic year"}


def line_chart(wide: pd.DataFrame, y_title: str) -> None:
    """One line per column of ``wide`` (indexed by academic year)."""
    long = wide.rename_axis("academic_year").reset_index().melt("academic_year", var_name="series", value_name="value")
    st.vega_lite_chart(long, {
        "mark": {"type": "line", "point": True, "tooltip": True},
        "encoding": {"x": YEAR_AXIS, "y": {"field": "value", "type": "quantitative", "title": y_title},
                     "color": {"field": "series", "type": "nominal", "title": None}},
    }, width="stretch")


def fan_chart(one: pd.DataFrame, band: pd.DataFrame, headroom: float) -> None:
    """Demand against capacity with the P10-P90 band of pupils (a fan chart)."""
    data = pd.DataFrame({
        "academic_year": one.index,
        "P10": band["pupils_p10"].reindex(one.index).to_numpy(),
        "P90": band["pupils_p90"].reindex(one.index).to_numpy(),
        "P50": band["pupils_p50"].reindex(one.index).to_numpy(),
        "central forecast": one["pupils_forecast"].to_numpy(),
        "capacity": one["capacity"].to_numpy(),
        "capacity less headroom": (one["capacity"] / (1 + headroom)).to_numpy(),
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


# --------------------------------------------------------------------------- children's services


def page_childrens() -> None:
    reg, s = region(), scenario()
    st.header("Children's services: places against pupils")
    a = reg.assumptions(**s.assumptions)
    h = st.number_input("Headroom: operating margin of spare places (%)", 0.0, 20.0, round(a.headroom * 100, 3), 0.5,
                        key="headroom_pct")
    if abs(h / 100 - a.headroom) > 1e-12:
        set_scenario(edits.with_assumptions(s, headroom=h / 100))
        s = scenario()
    res = results()
    sf = res.shortfall
    f1, f2, f3, f4 = st.columns(4)
    councils = f1.multiselect("Council", sorted(sf["council"].unique()), key="cs_council")
    phases = f2.multiselect("Phase", ["primary", "secondary"], key="cs_phase")
    years = sf["academic_year"].unique().tolist()
    yr = f3.select_slider("Years", options=years, value=(years[0], years[-1]), key="cs_years")
    only_short = f4.checkbox("Only where places are needed", key="cs_short")
    view = sf
    if councils:
        view = view[view["council"].isin(councils)]
    if phases:
        view = view[view["phase"].isin(phases)]
    i0, i1 = years.index(yr[0]), years.index(yr[1])
    view = view[view["academic_year"].isin(years[i0:i1 + 1])]
    if only_short:
        view = view[view["places_needed"] > 0]
    st.markdown("**How sure?** Monte Carlo ranges of pupils, spare places and places needed, and the probability "
                "that each area runs short.")
    rng_ = uncertainty_controls("cs")
    tables = results_tables(res, ("shortfall", "provenance"), ranges=rng_)
    if rng_ is not None:
        key_cols = ["planning_area_code", "academic_year"]
        view = view.merge(tables["shortfall"][key_cols + [c for c in tables["shortfall"].columns
                                                          if c.endswith(("_p10", "_p50", "_p90")) or c == "probability_short"]],
                          on=key_cols, how="left")
    st.caption(f"{len(view):,} rows. Headroom {a.headroom:.1%}. Forms of entry: 210 places primary, 150 secondary.")
    st.dataframe(fmt(view), hide_index=True, width="stretch", height=360)
    tables = {"shortfall": view, "provenance": tables["provenance"]}
    d1, d2 = st.columns(2)
    # Files are built only when clicked (deferred), so a rerun after an edit stays fast.
    d1.download_button("Download shortfall (XLSX, with provenance)", lambda: xlsx_bytes(tables), "placeplan_shortfall.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_shortfall_xlsx",
                       on_click="ignore")
    d2.download_button("Download shortfall (CSV)", lambda: csv_bytes(view), "placeplan_shortfall.csv", "text/csv",
                       key="dl_shortfall_csv", on_click="ignore")

    st.subheader("Demand against capacity")
    areas = sf[["planning_area_code", "planning_area", "phase"]].drop_duplicates()
    labels = dict(zip(areas["planning_area_code"], areas["planning_area"] + " (" + areas["phase"] + ")"))
    code = st.selectbox("Planning area", areas["planning_area_code"].tolist(), format_func=labels.get, key="cs_area")
    one = sf[sf["planning_area_code"] == code].set_index("academic_year")
    if rng_ is not None:
        fan_chart(one, rng_.shortfall[rng_.shortfall["planning_area_code"] == code].set_index("academic_year"), a.headroom)
    else:
        chart = pd.DataFrame({
            "pupils forecast": one["pupils_forecast"],
            "baseline (today's pupils aged on)": one["baseline_pupils"],
            "capacity": one["capacity"],
            "capacity less headroom": one["capacity"] / (1 + a.headroom),
        })
        line_chart(chart, "pupils / places")

    st.subheader("Planned capacity changes")
    st.caption("Expansions, new schools (positive places) and removals (negative), in force from their academic year.")
    changes = pd.DataFrame(s.capacity_changes or [], columns=["planning_area_code", "phase", "academic_year", "places",
                                                              "project_type", "description"])
    changes["academic_year"] = changes["academic_year"].map(lambda y: academic_year_label(int(y)) if pd.notna(y) else y)
    edited = editor(
        "capacity", s.capacity_changes, lambda: changes, num_rows="dynamic",
        column_config={
            "planning_area_code": st.column_config.SelectboxColumn("planning_area_code", options=areas["planning_area_code"].tolist()),
            "phase": st.column_config.SelectboxColumn("phase", options=["primary", "secondary"]),
            "academic_year": st.column_config.SelectboxColumn("academic_year", options=years),
            "places": st.column_config.NumberColumn("places", step=1),
            "project_type": st.column_config.SelectboxColumn("project_type", options=list(PROJECT_TYPES)),
        },
    )
    try:
        new = s if edited is None else edits.scenario_from_capacity_table(s, edited)
        if new != s:
            pp.apply_scenario(reg, new)
            set_scenario(new)
            st.rerun()
    except (ValueError, TypeError) as exc:
        st.error(plain(f"A capacity change is not complete or not valid: {exc}"))
    except pp.ValidationError as exc:
        show_problems(exc)


# --------------------------------------------------------------------------- finance


def page_finance() -> None:
    reg, s = region(), scenario()
    res = results()
    st.header("Finance: funding gap")
    fg = res.funding_gap
    totals = fg.groupby("council")[["places_needed", "cost", "contributions", "basic_need", "other_funding", "funding_gap"]].sum()
    st.dataframe(fmt(totals.reset_index(), money=("cost", "contributions", "basic_need", "other_funding", "funding_gap")),
                 hide_index=True, width="stretch")
    st.vega_lite_chart(fg[["academic_year", "council", "funding_gap"]], {
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {"x": YEAR_AXIS, "xOffset": {"field": "council"},
                     "y": {"field": "funding_gap", "type": "quantitative", "aggregate": "sum", "title": "funding gap (£)"},
                     "color": {"field": "council", "type": "nominal", "title": None}},
    }, width="stretch")
    st.caption("Funding gap = cost of new places − developer contributions − Basic Need − other funding, per council "
               "and year (negative: a surplus). Costs in the price base of the cost table.")
    st.markdown("**Range of the funding gap** (Monte Carlo)")
    rng_ = uncertainty_controls("fin")
    if rng_ is not None:
        st.dataframe(fmt(rng_.funding_gap_total, money=tuple(rng_.funding_gap_total.columns)), hide_index=True,
                     width="stretch")
    council = st.selectbox("Council", ["all"] + sorted(fg["council"].unique()), key="fin_council")
    view = fg if council == "all" else fg[fg["council"] == council]
    st.dataframe(fmt(view, money=tuple(view.columns)), hide_index=True, width="stretch", height=300)

    st.subheader("Contributions expected per site")
    con = res.contributions
    if council != "all":
        code = reg.councils.set_index("council").loc[council, "council_code"]
        con = con[con["council_code"] == code]
    st.dataframe(fmt(con[con["dwellings"] > 0].sort_values("contribution_total", ascending=False),
                     money=tuple(c for c in con.columns if c.startswith("contribution"))),
                 hide_index=True, width="stretch", height=300)
    st.subheader("Unfunded: sites below the threshold")
    st.caption(f"Sites under {reg.assumptions(**s.assumptions).contribution_threshold:g} dwellings pay no contribution; "
               "their pupils still need places.")
    st.dataframe(fmt(res.small_sites, money=("unfunded_cost",)), hide_index=True, width="stretch")

    st.subheader("Cost assumptions")
    edited = editor("costs", [s.costs, id(reg.costs)], lambda: edits.costs_table(reg, s),
                    disabled=["council_code", "phase", "project_type", "price_base"])
    new = s if edited is None else edits.scenario_from_costs_table(reg, s, edited)
    if new != s:
        set_scenario(new)
        st.rerun()
    tables = results_tables(res, ("funding_gap", "contributions", "small_sites", "provenance"), ranges=rng_)
    st.download_button("Download funding (XLSX, with provenance)", lambda: xlsx_bytes(tables), "placeplan_funding.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_funding_xlsx",
                       on_click="ignore")


# --------------------------------------------------------------------------- scenarios


def page_scenarios() -> None:
    reg, s = region(), scenario()
    db = get_store()
    st.header("Scenarios")
    st.caption(f"Shared store: {db.path}")
    loaded = st.session_state.get("loaded")
    st.subheader("Save the current scenario")
    with st.form("save"):
        name = st.text_input("Name", value=s.name or (loaded or {}).get("name", ""), key="save_name")
        council = st.selectbox("Council", [""] + reg.councils["council"].tolist(), key="save_council")
        note = st.text_input("Note (what changed and why)", key="save_note")
        if st.form_submit_button("Save"):
            author = st.session_state.get("author", "").strip()
            named = dataclasses.replace(s, name=name.strip())
            user = st.session_state.get("_user")
            if user is not None and user.roles <= {"viewer"}:
                st.error(plain(f"{user.email} may view but not save scenarios (viewer role)."))
                return
            expected = loaded["version"] if loaded and loaded["name"] == named.name else None
            try:
                version = db.save(named, author, council, note, expected_version=expected)
            except StaleScenarioError as exc:
                st.error(plain(str(exc)))
            except pp.ValidationError as exc:
                show_problems(exc)
            else:
                st.session_state.loaded = {"name": named.name, "version": version, "author": author}
                set_scenario(named)
                st.success(f"Saved '{plain(named.name)}' as version {version}.")

    saved = db.list()
    st.subheader("Saved scenarios")
    if saved:
        st.dataframe(pd.DataFrame([dataclasses.asdict(v) for v in saved]).drop(columns="deleted"), hide_index=True,
                     width="stretch")
        names = [v.name for v in saved]
        c1, c2 = st.columns(2)
        pick = c1.selectbox("Scenario", names, key="load_pick")
        if c1.button("Load", key="load_btn"):
            doc, v = db.load(pick)
            st.session_state.loaded = {"name": v.name, "version": v.version, "author": v.author}
            set_scenario(doc)
            st.rerun()
        if c2.button("Delete", key="delete_btn"):
            try:
                db.delete(pick, st.session_state.get("author", "") or "unknown")
            except StaleScenarioError as exc:
                st.error(plain(str(exc)))
            else:
                st.rerun()
    else:
        st.write("No saved scenarios yet.")

    st.subheader("Compare two scenarios")
    options = [BASE, CURRENT] + [v.name for v in saved]
    k1, k2 = st.columns(2)
    left = k1.selectbox("A", options, index=0, key="cmp_a")
    right = k2.selectbox("B", options, index=1, key="cmp_b")
    sa, sb = _scenario_for(left, db), _scenario_for(right, db)
    ra, rb = pp.forecast(reg, sa), pp.forecast(reg, sb)
    st.markdown("**What changed in the inputs**")
    changes = scenario_changes(sa, sb, "A", "B")
    if changes.empty:
        st.write("The two scenarios have the same inputs.")
    else:
        st.dataframe(changes, hide_index=True, width="stretch")
    diff = compare(ra, rb, "A", "B")
    st.markdown("**Places needed (sum over areas and years)**")
    st.dataframe(fmt(diff["shortfall"].groupby(["council", "phase"])[["places_needed_A", "places_needed_B",
                                                                      "places_needed_change"]].sum().reset_index()),
                 hide_index=True, width="stretch")
    st.markdown("**Funding gap (all years)**")
    st.dataframe(fmt(diff["funding_gap"].groupby("council")[["funding_gap_A", "funding_gap_B", "funding_gap_change"]].sum().reset_index(),
                     money=("funding_gap_A", "funding_gap_B", "funding_gap_change")), hide_index=True, width="stretch")

    st.subheader("Export and import")
    st.download_button("Export the current scenario (JSON)", export_scenario(s, loaded).encode("utf-8"),
                       f"{(s.name or 'scenario').replace(' ', '_')}.json", "application/json", key="dl_scenario",
                       on_click="ignore")
    up = st.file_uploader("Import a scenario file", type=["json"], key="scenario_upload")
    if up is not None:
        try:
            doc = import_scenario(up.getvalue(), up.name)
            pp.apply_scenario(reg, doc)
        except pp.ValidationError as exc:
            show_problems(exc)
        else:
            if st.button(f"Use '{doc.name}' as the current scenario (not saved until you save it)", key="use_import"):
                st.session_state.loaded = None
                set_scenario(doc)
                st.rerun()


def _scenario_for(option: str, db: ScenarioStore) -> Scenario:
    if option == BASE:
        return Scenario(name="base")
    if option == CURRENT:
        return dataclasses.replace(scenario(), name=scenario().name or "current")
    return db.load(option)[0]


# --------------------------------------------------------------------------- main


def main() -> None:
    st.set_page_config(page_title="placeplan", page_icon="🏫", layout="wide")
    started = time.perf_counter()
    if auth_configured() and not st.user.is_logged_in:
        st.title("placeplan")
        st.write("Sign in to see and edit the region's school place planning.")
        st.button("Log in", on_click=st.login, key="login")
        st.stop()
    st.session_state["_user"] = current_user()
    page = sidebar()
    for message in st.session_state.pop("_refused", []):
        st.error(f"Not changed: {plain(message)}.")
    try:
        {
            "Overview": page_overview,
            "Planning": page_planning,
            "Children's services": page_childrens,
            "Finance": page_finance,
            "Scenarios": page_scenarios,
        }[page]()
    except pp.ValidationError as exc:
        show_problems(exc)
    except Exception as exc:  # a user sees a message, never a traceback; the log keeps it
        import logging

        logging.getLogger("placeplan.app").exception("page %s failed", page)
        st.error(plain(f"Something went wrong on this page ({type(exc).__name__}: {exc}). Your scenario is unchanged; "
                       "please report what you did."))
    footer()
    st.sidebar.caption(f"Page computed in {(time.perf_counter() - started) * 1000:,.0f} ms")


__all__ = ["main", "PAGES"]
