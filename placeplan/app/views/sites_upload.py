"""Planning: a council's sites file, previewed and applied as changes to the scenario.

The file changes only the chosen council's sites (replace them, or merge by site id), as
scenario changes (:func:`placeplan.model.site_updates.council_sites_update`): rights-checked
like any edit, counted in the sidebar, and the shared base region is never swapped.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

import placeplan as pp
from placeplan.app import state
from placeplan.app.access import refused_edits
from placeplan.app.widgets import checked_upload, fmt, plain, show_problems
from placeplan.model.scenario import Scenario
from placeplan.model.site_updates import SitesUpdate, area_peaks_changed, council_sites_update

#: The modes a user chooses between, in words.
MODES = {"replace": "Replace this council's sites with the file's",
         "merge": "Merge by site id (add and edit; remove nothing)"}


def councils_to_choose(reg: pp.Region) -> list[str]:
    """Council codes this user may load sites for: all in open mode, else those they plan for
    (their council first)."""
    codes = reg.councils["council_code"].astype(str).tolist()
    who = state.user()
    return codes if who is None else [c for c in codes if who.can("planner", c)]


def section() -> None:
    """Choose the council and the mode, upload, see what would change, apply."""
    reg = state.region()
    codes = councils_to_choose(reg)
    names = dict(zip(reg.councils["council_code"].astype(str), reg.councils["council"].astype(str)))
    if not codes:
        st.info("Your account may not change any council's sites (it needs the planner role for a council).")
        return
    c1, c2 = st.columns(2)
    council = c1.selectbox("Council the file is for", codes, format_func=names.get, key="upload_council")
    mode = c2.radio("How the file applies", list(MODES), format_func=MODES.get, key="upload_mode")
    st.caption("Only this council's sites change: the file becomes changes to your scenario (counted, compared and "
               "saved like any edit); other councils' sites and the shared base region stay as they are.")
    checked = checked_upload("Sites file", ["csv", "xlsx"], "sites_upload", "sites")
    if checked is None or checked.region is None:
        return
    st.success(plain(f"{len(checked.region.sites)} sites read from {checked.name}."))
    try:
        update = _update(checked.name, _sites_key(checked.region), council, mode, state.region_key(),
                         state.scenario().name, state.scenario().digest(), checked.region, reg, state.scenario())
    except pp.ValidationError as exc:
        show_problems(exc)
        return
    preview(update, names[council], checked.name)
    if update.scenario != state.scenario():
        effect(update.scenario)
        who = state.user()
        refused = [] if who is None else refused_edits(state.base_region(), state.scenario(), update.scenario, who)
        if refused:  # said before the click (set_scenario would refuse it too)
            st.error(plain("You may not apply these changes: " + "; ".join(refused[:5]) + "."))
            return
        st.button("Apply these changes", key="apply_sites_upload", type="primary", on_click=apply,
                  args=(update, names[council], checked.name))


def _sites_key(read: pp.Region) -> str:
    """What the file's sites are cached by: their values and locations."""
    s = read.sites
    frame = pd.DataFrame(s.drop(columns="geometry")).assign(x=s.geometry.x, y=s.geometry.y)
    body = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes()
    body += pd.util.hash_pandas_object(read.trajectories.astype(str), index=False).to_numpy().tobytes()
    return hashlib.sha256(body).hexdigest()


@st.cache_resource(max_entries=8, show_spinner=False)
def _update(file: str, sites_key: str, council: str, mode: str, region_key: str, name: str, digest: str,
            _read: pp.Region, _region: pp.Region, _scenario: Scenario) -> SitesUpdate:
    return council_sites_update(_region, _scenario, _read.sites, council, mode, _read.trajectories, file)


def preview(update: SitesUpdate, council: str, file: str) -> None:
    """Counts, the sites that change and what the file holds that a scenario cannot."""
    n = update.counts
    if not len(update.preview):
        st.info(plain(f"{file} matches {council}'s sites as they are in your scenario: nothing to change."))
        return
    st.markdown("**" + plain(f"What {file} would change for {council}:") + f"** {n['added']:,} added, "
                f"{n['removed']:,} removed, {n['edited']:,} edited.")
    cols = st.columns(3)
    for col, what in zip(cols, ("added", "removed", "edited")):
        col.metric(f"Sites {what}", f"{n[what]:,}")
    st.dataframe(fmt(update.preview), hide_index=True, width="stretch", height=min(38 + 35 * len(update.preview), 300))
    for note in update.notes:
        st.warning(plain(note))


def effect(candidate: Scenario) -> None:
    """Peak places needed per council, now and with the file applied, and the areas that change."""
    now, after = state.results().shortfall, state.forecast_of(candidate).shortfall
    eff = pp.shortfall_effect(now, after)
    st.markdown("**Effect on places needed if applied** (each planning area's peak over the forecast years, "
                "summed per council, both phases)")
    for col, council in zip(st.columns(len(eff.peak_base)), eff.peak_base.index):
        was, will = float(eff.peak_base[council]), float(eff.peak_scenario[council])
        col.metric(plain(f"{council}: now → if applied"), f"{was:,.0f} → {will:,.0f}",
                   delta=None if round(will - was) == 0 else f"{will - was:+,.0f}", delta_color="inverse")
    areas = area_peaks_changed(now, after)
    if len(areas):
        st.caption("Planning areas whose peak places needed would change:")
        st.dataframe(fmt(areas), hide_index=True, width="stretch", height=min(38 + 35 * len(areas), 240))
    else:
        why = (" With netting on, sites within a council's background build rate add no pupils (the trend already "
               "holds them)." if state.assumptions().netting else "")
        st.caption("No planning area's peak places needed would change." + why)


def apply(update: SitesUpdate, council: str, file: str) -> None:
    """Make the file's changes the current scenario (rights-checked; confirmed in words)."""
    if state.set_scenario(update.scenario):
        n = update.counts
        said = state.pop_confirmed()
        state.confirm(f"{file} applied to {council}'s sites ({n['added']:,} added, {n['removed']:,} removed, "
                      f"{n['edited']:,} edited)", *said)


__all__ = ["MODES", "councils_to_choose", "section"]
