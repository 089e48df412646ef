"""Planning's year-by-year trajectory of one site: completions by academic year, edited in a table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import placeplan as pp
from placeplan.app import state
from placeplan.app.widgets import editor, plain, show_problems
from placeplan.io.scenario_file import check_scenario
from placeplan.model.index import region_index
from placeplan.model.trajectory import (
    has_trajectory,
    scenario_site_trajectory,
    with_trajectory,
    without_trajectory,
)

YEAR, COMPLETIONS = "Academic year", "Completions"
MAX_COMPLETIONS = 100_000


def table(reg: pp.Region, s, sid: str) -> pd.DataFrame:
    """The site's completions by year in the current scenario (the library's completions step)."""
    years = region_index(reg, state.assumptions().horizon).years
    built = scenario_site_trajectory(reg, s, sid, years)
    return pd.DataFrame({YEAR: built.index, COMPLETIONS: built.to_numpy().round(1)})


def trajectory_editor(reg: pp.Region, sid: str, name: str, dwellings: float) -> None:
    """Completions by academic year of site ``sid``, editable; "Apply trajectory" sets them in the
    scenario (through :func:`state.set_scenario`: rights checked, the change confirmed in words)."""
    s = state.scenario()
    explicit = has_trajectory(reg, s, sid)
    with st.expander(plain(f"Trajectory of {name}: completions year by year"), expanded=explicit):
        left, right = st.columns([2, 3])
        prefix = f"trajectory_{sid}"
        with left:
            edited = editor(prefix, [sid, s.trajectories.get(sid), s.edit_sites.get(sid),
                                     [a for a in s.add_sites if str(a.get("site_id")) == sid],
                                     state.region_key(), state.assumptions().horizon],
                            lambda: table(reg, s, sid),
                            column_config={YEAR: st.column_config.TextColumn(YEAR, disabled=True),
                                           COMPLETIONS: st.column_config.NumberColumn(
                                               COMPLETIONS, min_value=0, max_value=MAX_COMPLETIONS, step=1)})
        shown = edited if edited is not None else state.editor_inputs()[prefix][1]  # the table as made
        total = float(pd.to_numeric(shown[COMPLETIONS], errors="coerce").fillna(0).sum())
        with right:
            st.caption("Homes completed each academic year. "
                       + ("The site follows this trajectory." if explicit else
                          "Now made from its first year and build rate: edit and apply to set the years yourself.")
                       + " The model never builds more than the site's dwellings: a trajectory adding up to more "
                       "stops when the running total reaches them; one adding up to less builds only its total "
                       "within these years. The delay lever moves it later; the build-rate multiplier does not "
                       "change it.")
            said = f"Total {total:,.0f} of the site's {dwellings:,.0f} dwellings"
            if total > dwellings + 1e-9:
                st.warning(plain(f"{said}: the last {total - dwellings:,.0f} are not built (the running total "
                                 "stops at the site's dwellings)."))
            else:
                st.caption(plain(f"{said}" + (f" ({dwellings - total:,.0f} not built within these years)."
                                              if total < dwellings - 1e-9 else ".")))
            if st.button("Apply trajectory", key=f"apply_trajectory_{sid}", disabled=edited is None and explicit):
                values = dict(zip(shown[YEAR].astype(str),
                                  pd.to_numeric(shown[COMPLETIONS], errors="coerce").fillna(0)))
                _set(reg, with_trajectory(s, sid, values))
            if explicit and st.button("Back to first year and build rate", key=f"clear_trajectory_{sid}"):
                _set(reg, without_trajectory(reg, s, sid))


def _set(reg: pp.Region, new) -> None:
    """The changed scenario, checked (values and against the region) then made current."""
    problems = check_scenario(new)
    try:
        if problems:
            raise pp.ValidationError(problems)
        pp.apply_scenario(reg, new)
    except pp.ValidationError as exc:
        show_problems(exc)
        return
    state.set_scenario(new)  # refused: says why at the top of the page
    st.rerun()
