"""The session's state: every ``st.session_state`` key declared once, with typed accessors.

A browser session works on one region and one current scenario; everything a page shows
is computed from those two by the library and cached *by content* (the region's key and
the scenario's digest) in caches shared by every session, declared here with
``st.cache_resource``. Cached objects are shared: never change them in place.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections import OrderedDict
from pathlib import Path

import streamlit as st

import placeplan as pp
from placeplan.app.access import refused_edits
from placeplan.io.roles import User, read_roles, roles_path, user_for
from placeplan.io.store import ScenarioStore, default_store_path
from placeplan.model.changes import changes_in_words
from placeplan.model.explain import Explanation, explain_council, explain_site
from placeplan.model.scenario import Scenario
from placeplan.model.uncertainty import Uncertainty, monte_carlo


class Key:
    """Every key this app keeps in ``st.session_state`` (widget keys read back from the
    state are here too; other widget keys stay with their widget)."""

    REGION = "region"  #: Region the session works on (the demo region until an upload is used)
    REGION_KEY = "region_key"  #: what caches know that region by
    SCENARIO = "scenario"  #: the current Scenario
    LOADED = "loaded"  #: {"name", "version", "author"} of the stored version it was loaded from, or None
    USER = "_user"  #: signed-in User, or None in open mode
    AUTHOR = "author"  #: name recorded with a save (sidebar input in open mode)
    REFUSED = "_refused"  #: messages of an edit the user's roles refused, shown once
    EDITOR_NONCE = "_editor_nonce"  #: bumped to restart every data editor from the scenario
    EDITOR_INPUTS = "_editor_inputs"  #: prefix -> (editor key, the table it started from)
    ADD_SITE_PROBLEMS = "_add_site_problems"  #: problems of the last "Add a site", shown under its form
    ROLES_PROBLEMS = "_roles_problems"  #: the roles file's problems (then everyone may only view)
    UPLOAD_KEYS = "_upload_keys"  #: uploader file id -> placeplan.io.upload.upload_key of its bytes
    PAGE = "page"  #: the sidebar's page choice
    SAVE_NAME = "save_name"  #: the save form's name
    NEXT_SAVE_NAME = "_next_save_name"  #: the name the save form starts from on the next run (a scenario was opened)
    CONFIRMED = "_confirmed"  #: plain-words lines saying what the last change did, shown once at the top of the page


# --------------------------------------------------------------------------- region


@st.cache_resource(show_spinner="Loading the region…")
def demo_region(path: str | None) -> pp.Region:
    return pp.load_region(path)


def base_region() -> pp.Region:
    """The shared base region (``$PLACEPLAN_REGION`` or the demo): what the store judges
    every save against, never a session's (possibly uploaded) copy."""
    return demo_region(os.environ.get("PLACEPLAN_REGION"))


def region() -> pp.Region:
    if Key.REGION not in st.session_state:
        path = os.environ.get("PLACEPLAN_REGION")
        st.session_state[Key.REGION] = demo_region(path)
        st.session_state[Key.REGION_KEY] = f"bundle:{path or 'demo'}"
    return st.session_state[Key.REGION]


def region_key() -> str:
    """What the caches know the session's region by: its bundle, or a fresh id per upload."""
    region()
    if Key.REGION_KEY not in st.session_state:  # a region put in the state without one
        st.session_state[Key.REGION_KEY] = f"upload:{uuid.uuid4().hex}"
    return st.session_state[Key.REGION_KEY]


def use_region(new: pp.Region) -> None:
    """Work on ``new`` from now on (an uploaded bundle or sites file): a new key, so no
    cache answers for it with another region's figures."""
    st.session_state[Key.REGION] = new
    st.session_state[Key.REGION_KEY] = f"upload:{uuid.uuid4().hex}"


# --------------------------------------------------------------------------- scenario


def scenario() -> Scenario:
    if Key.SCENARIO not in st.session_state:
        st.session_state[Key.SCENARIO] = Scenario(name="")
        st.session_state[Key.LOADED] = None
    return st.session_state[Key.SCENARIO]


def set_scenario(new: Scenario) -> bool:
    """Make ``new`` the current scenario if the signed-in user may make that change (judged
    on the shared base region; the store checks again at save, against the stored version)."""
    who = user()
    if who is not None and new != scenario():
        refused = refused_edits(base_region(), scenario(), new, who)
        if refused:
            st.session_state[Key.REFUSED] = refused
            restart_editors()
            return False
    said = changes_in_words(region(), scenario(), new)
    st.session_state[Key.SCENARIO] = new
    confirm(*said)
    _autosave()
    return True


def _autosave(opened: bool = False) -> None:
    """Keep the changed scenario as the session's draft, so a reload loses nothing (placeplan.app.drafts)."""
    from placeplan.app import drafts  # it reads this module's state

    drafts.autosave(opened)


def confirm(*lines: str) -> None:
    """Say what a change did, once, at the top of the next page drawn (every change is confirmed)."""
    if lines:
        st.session_state.setdefault(Key.CONFIRMED, []).extend(lines)


def pop_confirmed() -> list[str]:
    return st.session_state.pop(Key.CONFIRMED, [])


def open_scenario(doc: Scenario, version: dict | None) -> None:
    """Make a loaded (or imported) scenario current: anyone may open anything, so no rights
    check here; the store judges what is saved against the stored version."""
    st.session_state[Key.SCENARIO] = doc
    st.session_state[Key.LOADED] = version
    st.session_state[Key.NEXT_SAVE_NAME] = doc.name
    restart_editors()
    _autosave(opened=True)


def site_changes_key(s: Scenario) -> str:
    """The scenario's site changes as text: what caches of its sites are kept on."""
    return json.dumps([s.add_sites, s.remove_sites, s.edit_sites], sort_keys=True, default=str)


def loaded() -> dict | None:
    """The stored version the current scenario was loaded from or saved as."""
    return st.session_state.get(Key.LOADED)


def set_loaded(version: dict | None) -> None:
    st.session_state[Key.LOADED] = version


def assumptions() -> pp.Assumptions:
    """The current scenario's assumptions (the region's, with the scenario's overrides)."""
    return region().assumptions(**scenario().assumptions)


# --------------------------------------------------------------------------- who


def auth_configured() -> bool:
    """Sign-in is on when secrets.toml has an [auth] section (Streamlit's OpenID Connect)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: open mode
        return False


@st.cache_resource
def _roles(path: str, mtime: float) -> dict:
    return read_roles(path)


def signed_in_user() -> User | None:
    """The signed-in user with their roles, or None when the app runs open."""
    if not auth_configured():
        return None
    path = roles_path()
    if path is None:
        try:
            path = Path(st.secrets["placeplan"]["roles_file"])
        except (KeyError, FileNotFoundError, AttributeError):
            path = None
    st.session_state.pop(Key.ROLES_PROBLEMS, None)
    try:
        roles = _roles(str(path), path.stat().st_mtime) if path is not None and path.exists() else {}
    except pp.ValidationError as exc:  # a typo in the roles file: everyone may only view until it is fixed
        st.session_state[Key.ROLES_PROBLEMS] = exc
        roles = {}
    return user_for(str(st.user.get("email", "")), roles)


def roles_problems() -> pp.ValidationError | None:
    """The roles file's problems, if it could not be read (everyone is then a viewer)."""
    return st.session_state.get(Key.ROLES_PROBLEMS)


def set_user(who: User | None) -> None:
    st.session_state[Key.USER] = who
    if who is not None:
        st.session_state[Key.AUTHOR] = who.email


def user() -> User | None:
    return st.session_state.get(Key.USER)


def author() -> str:
    return str(st.session_state.get(Key.AUTHOR, "")).strip()


def pop_refused() -> list[str]:
    return st.session_state.pop(Key.REFUSED, [])


def restart_editors() -> None:
    st.session_state[Key.EDITOR_NONCE] = editor_nonce() + 1


def editor_nonce() -> int:
    return st.session_state.get(Key.EDITOR_NONCE, 0)


def editor_inputs() -> dict:
    return st.session_state.setdefault(Key.EDITOR_INPUTS, {})


# --------------------------------------------------------------------------- store


@st.cache_resource
def _store(path: str, _base: pp.Region) -> ScenarioStore:
    return ScenarioStore(path, create=None, base=_base)


def store() -> ScenarioStore:
    """The shared scenario store, opened with the shared base region (so every signed-in
    save and delete is rights-checked); created only where the library allows
    (``$PLACEPLAN_STORE_CREATE=1`` or the per-user default). Raises StoreError."""
    return _store(str(default_store_path()), base_region())


# --------------------------------------------------------------------------- results


#: Forecasts kept: more than the sessions one app process serves at once (about 20, see
#: benchmarks/bench_sessions.py), each with its scenario and the base.
FORECASTS_KEPT = 48


@st.cache_resource(max_entries=FORECASTS_KEPT, show_spinner=False)
def _forecast(region_key: str, name: str, digest: str, _region: pp.Region, _scenario: Scenario | None) -> pp.Results:
    return pp.forecast(_region, _scenario)


def forecast_of(s: Scenario | None) -> pp.Results:
    """Forecast of the session's region under ``s`` (None: the region as it is), cached by
    the region's key and the scenario's name and digest (the name is in the provenance)."""
    if s is None:
        return _forecast(region_key(), "", "", region(), None)
    return _forecast(region_key(), s.name, s.digest(), region(), s)


def results() -> pp.Results:
    """Forecast of the current scenario."""
    return forecast_of(scenario())


def base_results() -> pp.Results:
    """The forecast of the region without changes (every page compares with it)."""
    return forecast_of(None)


@st.cache_resource(max_entries=FORECASTS_KEPT, show_spinner=False)
def _area_explained(region_key: str, name: str, digest: str, code: str, year: str, _region: pp.Region,
                    _scenario: Scenario) -> Explanation:
    return pp.explain(_region, "area", code, year, scenario=_scenario)


def explanation(what: str, key: str, year=None) -> Explanation:
    """``pp.explain`` of the current scenario: an area's places needed cached by region key,
    scenario digest, area and year (a rerun does not run the forecast's arrays again); a
    site's contribution and a council's gap read from the cached forecast."""
    s = scenario()
    if what == "area":
        return _area_explained(region_key(), s.name, s.digest(), str(key), str(year), region(), s)
    if what == "site":
        return explain_site(results(), key)
    return explain_council(results(), key, year)


class _Kept:
    """Monte Carlo ranges by content, shared by sessions (least recently used out)."""

    def __init__(self, size: int = 16):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
            return self.items.get(key)

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)


@st.cache_resource
def _ranges_kept() -> _Kept:
    return _Kept()


def ranges(run: bool = False, draws: int = 1000, seed: int = 20151):
    """Monte Carlo ranges of the current scenario: computed on request (with a progress
    bar), then kept by content and shown again whenever this scenario is current."""
    s = scenario()
    key = (region_key(), s.name, s.digest(), draws, seed)
    kept = _ranges_kept()
    out = kept.get(key)
    if out is not None or not run:
        return out
    changed, a = pp.apply_scenario(region(), s)
    bar = st.progress(0.0, text=f"Drawing {draws:,} futures…")
    out = monte_carlo(changed, a, Uncertainty(draws=draws, seed=seed), chunk=max(100, draws // 10),
                      progress=lambda f: bar.progress(f, text=f"Drawing {draws:,} futures… {f:.0%}"))
    bar.empty()
    kept.put(key, out)
    return out


__all__ = ["Key", "assumptions", "author", "base_region", "base_results", "confirm", "explanation", "forecast_of", "loaded",
           "open_scenario", "pop_confirmed",
           "ranges", "region", "region_key", "results", "roles_problems", "scenario", "set_loaded", "set_scenario", "store", "use_region", "user"]
