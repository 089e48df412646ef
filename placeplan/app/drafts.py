"""Work is not lost: the session's scenario kept as a draft, restored on a reload; share links.

Every change of the current scenario (:func:`placeplan.app.state.set_scenario`,
:func:`~placeplan.app.state.open_scenario`) calls :func:`autosave`, which keeps it as the
session's draft (:class:`placeplan.io.drafts.DraftStore`, one small upsert, skipped when
unchanged). The draft's key is the signed-in user's e-mail address (only that user's
sessions read it), or in open mode a random id put in the tab's URL (``?draft=…``) at its
first change, so reloading the tab restores it and a fresh visit starts from the base region.

A new session opens ``?scenario=<name>&version=<n>`` (a saved version's share link) if the
URL has one, else restores its draft and says so in the sidebar, with "Discard them".
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import datetime
from urllib.parse import urlencode

import streamlit as st

from placeplan.app import state
from placeplan.app.widgets import plain
from placeplan.errors import PlaceplanError
from placeplan.io.drafts import (
    DamagedDraftError,
    Draft,
    DraftStore,
    DraftTooLargeError,
    default_drafts_path,
)
from placeplan.io.store import StaleScenarioError, StoreError
from placeplan.model.scenario import Scenario

__all__ = ["autosave", "change_count", "on_new_session", "share_link", "sidebar_notice"]

#: An open-mode draft id as this module makes it (``secrets.token_urlsafe(16)``); anything else in the URL is ignored.
_DRAFT_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


class Key:
    """This module's ``st.session_state`` keys."""

    CHECKED = "_draft_checked"  #: this session has looked for a share link or a draft (its first run)
    WRITTEN = "_draft_written"  #: what the draft holds now, so an unchanged scenario is not written again
    PRISTINE = "_draft_pristine"  #: digest of the stored version as opened (equal to it: nothing unsaved)
    RESTORED = "_draft_restored"  #: what was restored on the first run, shown until discarded or changed
    PROBLEM = "_draft_problem"  #: why the draft could not be kept or read, said once
    SAID = "_draft_said"  #: what "Discard them" did, said once
    OFF = "_draft_off"  #: the drafts file cannot be used: said once, not tried again this session
    OFFER = "_draft_offer"  #: {"digest", "when", "changes"}: a signed-in user's draft kept while a link's version is shown


@st.cache_resource(show_spinner=False)
def _drafts(path: str) -> DraftStore:
    return DraftStore(path)


def drafts() -> DraftStore:
    """The drafts file beside the scenario store. Raises StoreError."""
    return _drafts(str(default_drafts_path()))


def change_count(s: Scenario) -> int:
    """Changes from the base region, counted as the sidebar counts them."""
    return (len(s.add_sites) + len(s.remove_sites) + len(s.edit_sites) + len(s.capacity_changes) + len(s.costs)
            + len(s.assumptions) + len(s.trajectories) + len(s.funding) + len(s.background_rates))


def draft_key(make: bool = False) -> str | None:
    """The session's draft key: the signed-in user's, else the tab's id from its URL (made
    and put in the URL when ``make``); None in open mode before the tab's first change."""
    who = state.user()
    if who is not None:
        return f"user:{who.email.strip().lower()}"
    tab = str(st.query_params.get("draft", ""))
    if not _DRAFT_ID.fullmatch(tab):
        if not make:
            return None
        tab = secrets.token_urlsafe(16)
        st.query_params["draft"] = tab
    return f"tab:{tab}"


def _sig(s: Scenario, loaded: dict | None) -> str:
    return json.dumps([s.name, s.digest(), loaded], sort_keys=True, default=str)


def autosave(opened: bool = False) -> None:
    """Keep the current scenario as the session's draft (``opened``: a stored version, an
    import or the base was just opened). Never raises: a failure is said once in the sidebar."""
    s, loaded = state.scenario(), state.loaded()
    if opened:
        st.session_state[Key.PRISTINE] = s.digest() if loaded else None
    sig = _sig(s, loaded)
    if st.session_state.get(Key.WRITTEN) == sig or st.session_state.get(Key.OFF):
        return
    unsaved = s.digest() != st.session_state.get(Key.PRISTINE) if loaded else change_count(s) > 0
    nothing = not loaded and not unsaved and not s.name
    key = draft_key(make=not nothing)
    try:
        if key is not None:
            if nothing:  # back at the base region: no draft to restore
                drafts().discard(key)
            else:
                drafts().put(key, s, loaded, unsaved, state.region_key().startswith("upload:"))
        st.session_state[Key.WRITTEN] = sig
    except DraftTooLargeError as exc:  # said at each change until the scenario is smaller or saved
        st.session_state[Key.PROBLEM] = str(exc)
    except Exception as exc:  # a draft must never break an edit: said once, then no more tries this session
        if not isinstance(exc, StoreError):
            logging.getLogger("placeplan.app").exception("draft not kept")
        st.session_state[Key.OFF] = True
        st.session_state[Key.PROBLEM] = ("Your changes are not kept as a draft in this session, so a reload would lose "
                                         "them: save them on the Scenarios page. "
                                         + (str(exc) if isinstance(exc, StoreError) else "(The app's log says why.)"))
    for name in ("scenario", "version"):  # a reload restores the draft now, not the link it was opened from
        if name in st.query_params:
            del st.query_params[name]


def on_new_session() -> None:
    """On a session's first run: open the URL's share link, else restore the draft."""
    if st.session_state.get(Key.CHECKED):
        return
    st.session_state[Key.CHECKED] = True
    if "scenario" in st.query_params:
        _open_link(str(st.query_params.get("scenario", "")), str(st.query_params.get("version", "")))
        return
    key = draft_key()
    if key is None:
        return
    try:
        draft = drafts().get(key)
    except DamagedDraftError as exc:
        st.session_state[Key.PROBLEM] = str(exc)
        return
    except StoreError as exc:
        st.session_state[Key.PROBLEM] = f"Your draft could not be looked for: {exc}"
        return
    if draft is not None:
        _restore(draft)


def _restore(draft: Draft) -> None:
    # what the draft holds is written already: opening it must not write it again (nor change its time)
    st.session_state[Key.WRITTEN] = _sig(draft.scenario, draft.loaded)
    state.open_scenario(draft.scenario, draft.loaded)
    st.session_state[Key.PRISTINE] = None if draft.unsaved else draft.scenario.digest()
    if not draft.unsaved and draft.loaded is None:
        return
    st.session_state[Key.RESTORED] = {"digest": draft.scenario.digest(), "when": _when(draft.saved_at),
                                      "changes": change_count(draft.scenario), "unsaved": draft.unsaved,
                                      "loaded": draft.loaded, "on_upload": draft.on_upload}


def _when(t: datetime) -> str:
    """A draft's time as a person in England reads it: 14:32, or 28 Nov 14:32 if not today."""
    try:
        from zoneinfo import ZoneInfo

        local, now = t.astimezone(ZoneInfo("Europe/London")), datetime.now(ZoneInfo("Europe/London"))
    except Exception:  # no time zone data: say UTC
        return t.strftime("%d %b %H:%M UTC")
    return local.strftime("%H:%M") if local.date() == now.date() else local.strftime("%d %b %H:%M").lstrip("0")


def sidebar_notice() -> None:
    """In the sidebar: what was restored (with "Discard them") while it is unchanged, and
    once, why a draft could not be kept or read."""
    problem, said = st.session_state.pop(Key.PROBLEM, None), st.session_state.pop(Key.SAID, None)
    if problem:
        st.warning(plain(problem))
    if said:
        st.success(plain(said))
    _offer()
    r = st.session_state.get(Key.RESTORED)
    if not r or state.scenario().digest() != r["digest"]:
        st.session_state.pop(Key.RESTORED, None)
        return
    if not r["unsaved"]:
        st.info(plain(f"Reopened {r['loaded']['name']} version {r['loaded']['version']} as you left it at {r['when']}."))
        return
    st.info(plain(f"Restored your unsaved changes from {r['when']}: {r['changes']} change(s)."))
    if r["on_upload"]:
        st.caption("They were made on an uploaded region: upload it again on the Planning page, or drop the edits "
                   "this region does not have.")
    if st.button("Discard them", key="discard_draft"):
        _discard(r["loaded"])
        st.rerun()


def _offer() -> None:
    """A link opened over a signed-in user's unsaved draft: offer the draft until they change what the link opened
    (their next change replaces the draft)."""
    o = st.session_state.get(Key.OFFER)
    if not o or state.scenario().digest() != o["digest"]:
        st.session_state.pop(Key.OFFER, None)
        return
    st.info(f"You also have unsaved changes from {o['when']}: {o['changes']} change(s). Your next change here "
            "replaces them.")
    if st.button("Restore them instead", key="restore_draft"):
        st.session_state.pop(Key.OFFER, None)
        try:
            draft = drafts().get(draft_key())
        except StoreError as exc:
            st.session_state[Key.PROBLEM] = str(exc)
            draft = None
        if draft is not None:
            _restore(draft)
        st.rerun()


def _discard(loaded: dict | None) -> None:
    """Back to what the draft was loaded from (that stored version), or to the base region."""
    st.session_state.pop(Key.RESTORED, None)
    if loaded:
        try:
            doc, v = state.store().load(loaded["name"], loaded["version"])
            state.open_scenario(doc, {"name": v.name, "version": v.version, "author": v.author})
            st.session_state[Key.SAID] = f"Discarded the restored changes: back to {v.name} version {v.version}."
            return
        except PlaceplanError:  # gone or unreadable since: back to the base region instead
            pass
    state.open_scenario(Scenario(name=""), None)
    st.session_state[Key.SAID] = "Discarded the restored changes: back to the base region."


def _open_link(name: str, version: str) -> None:
    """Open a share link's stored version (anyone may open any; a save is checked later)."""
    what = f"'{name}'" + (f" version {version}" if version else "")
    if version and not (version.isdigit() and int(version) > 0):
        st.error(plain(f"This link asks for {what}, but a version is a whole number such as 1 or 2; "
                       "starting from the base region. Saved scenarios are listed on the Scenarios page."))
        return
    try:
        doc, v = state.store().load(name, int(version) if version else None)
    except StaleScenarioError:
        st.error(plain(f"This link asks for scenario {what}, which is not in the shared store (the link may be "
                       "mistyped or from another app); starting from the base region. Saved scenarios are listed "
                       "on the Scenarios page."))
        return
    except PlaceplanError as exc:  # the store is missing or busy, or the stored document is damaged
        st.error(plain(f"This link's scenario cannot be opened: {exc}"))
        return
    if v.deleted:
        st.error(plain(f"This link asks for {what}, which marks it deleted (by {v.author} at {v.saved_at}); "
                       "starting from the base region. It can be restored on the Scenarios page."))
        return
    loaded = {"name": v.name, "version": v.version, "author": v.author}
    # opening a link is not unsaved work: no draft is written until the first change (so a
    # signed-in user's draft from another tab is kept)
    st.session_state[Key.WRITTEN] = _sig(doc, loaded)
    state.open_scenario(doc, loaded)
    key = draft_key()
    if key is not None and key.startswith("user:"):  # the user's own draft from another tab: offer it, until they change this
        try:
            draft = drafts().get(key)
        except StoreError:
            draft = None
        if draft is not None and draft.unsaved:
            st.session_state[Key.OFFER] = {"digest": doc.digest(), "when": _when(draft.saved_at),
                                           "changes": change_count(draft.scenario)}


def share_link(name: str, version: int) -> tuple[str, str | None]:
    """A saved version's share link: relative (``?scenario=…&version=…``) and, when the
    browser's address is known, in full."""
    rel = "?" + urlencode({"scenario": name, "version": int(version)})
    try:
        url = st.context.url
    except Exception:  # older Streamlit, or no browser
        url = None
    if url:
        return rel, url.split("?")[0].split("#")[0].rstrip("/") + "/" + rel
    return rel, None
