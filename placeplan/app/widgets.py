"""Widgets the pages share: formatting, editors, problems, downloads, uploads, ranges."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from placeplan.app import edits, state
from placeplan.errors import Problem, ValidationError
from placeplan.io.upload import upload_key

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def plain(text: object) -> str:
    """User or file text for a Markdown element (``st.markdown``, captions, headers, message
    boxes, metric, widget and button labels), shown as typed: no link, image, HTML, emphasis,
    code, maths, colour directive, heading or list from it. Escapes the inline markup
    characters everywhere and a block marker at the start of a line; leaves ordinary
    punctuation (``v3.0``, ``(2011)``) as it is. Streamlit never renders raw HTML unless
    asked (placeplan never asks); escaping ``<`` also keeps tags visible as text."""
    text = _INLINE.sub(r"\\\g<0>", str(text))
    # bare URLs are linked after escapes are resolved: an invisible word joiner breaks them
    text = _AUTOLINK.sub(lambda m: m.group(0)[:-1] + "\u2060" + m.group(0)[-1], text)
    return _LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


#: characters that start inline Markdown (emphasis, code, links and images, HTML, maths,
#: strikethrough, tables, Streamlit's :colour[...] directives)
_INLINE = re.compile(r"[\\`*_\[\]<>~$|{}]")
#: what GitHub-flavoured Markdown links without brackets ("http://", "www.")
_AUTOLINK = re.compile(r"(?i)(?<=[a-z]):/|www\.")
#: a heading, quote, list item or rule at the start of a line
_LINE_START = re.compile(r"(^|\n)([ \t]*(?:#|-|\+|=|\d+[.)]))")


def pounds_m(value: float) -> str:
    """£ millions with the sign in front: -£38.0m."""
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value) / 1e6:,.1f}m"


def fmt(frame: pd.DataFrame, money: tuple[str, ...] = (), digits: int = 1):
    """``frame`` for people (:func:`placeplan.app.display.for_people`): names, headers in
    words, £ and thousands separators; council names from the current region."""
    from placeplan.app.display import for_people

    return for_people(frame, money, digits, councils=_council_names())


#: Tables of more cells than this are formatted by the browser (:func:`placeplan.app.display.for_browser`).
STYLED_CELLS = 2000


def table(frame: pd.DataFrame, money: tuple[str, ...] = (), **kwargs) -> None:
    """Show ``frame`` for people (as :func:`fmt`); a big table is formatted by the browser, so
    a rerun does not spend a second formatting thousands of cells."""
    from placeplan.app.display import for_browser

    kwargs = {"hide_index": True, "width": "stretch"} | kwargs
    if frame.size <= STYLED_CELLS:
        st.dataframe(fmt(frame, money), **kwargs)
        return
    shown, formats = for_browser(frame, money, councils=_council_names())
    st.dataframe(shown, column_config={h: st.column_config.NumberColumn(format=f) for h, f in formats.items()},
                 **kwargs)


def _council_names() -> dict[str, str]:
    return dict(zip(state.region().councils["council_code"].astype(str), state.region().councils["council"]))


def xlsx_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    """A workbook of ``tables`` for people: headers in words, £ and thousands formats,
    frozen header rows (:func:`placeplan.io.tables.export_tables`)."""
    from placeplan.app.display import header
    from placeplan.io.tables import export_tables

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.xlsx"
        export_tables(tables, path, header=header)
        return path.read_bytes()


def changes_sheet(region, scenario) -> pd.DataFrame:
    """The scenario's changes from the base region in words, one a row: the sheet an XLSX
    download carries beside its provenance."""
    from placeplan.model.changes import changes_in_words
    from placeplan.model.scenario import Scenario

    words = changes_in_words(region, Scenario(name=""), scenario)
    name = scenario.name or "the current scenario (not saved)"
    return pd.DataFrame({"change from the base region": words or ["none: the base region as it is"],
                         "scenario": name})


def csv_bytes(frame: pd.DataFrame) -> bytes:
    from placeplan.io.tables import neutralise

    return neutralise(frame).to_csv(index=False).encode("utf-8")


def download_xlsx(where, label: str, tables: dict[str, pd.DataFrame], file_name: str, key: str) -> None:
    """A download of ``tables`` as one workbook, built only when clicked (a rerun after an
    edit stays fast)."""
    tables = dict(tables)
    at = list(tables).index("provenance") + 1 if "provenance" in tables else len(tables)
    items = list(tables.items())
    items.insert(at, ("scenario changes", changes_sheet(state.region(), state.scenario())))
    where.download_button(label, lambda: xlsx_bytes(dict(items)), file_name, XLSX, key=key, on_click="ignore")


def editor(prefix: str, payload: object, make_table, **kwargs) -> pd.DataFrame | None:
    """A data editor whose key follows the scenario part it edits.

    When that part changes anywhere (this editor, a form, a loaded scenario), the key
    changes and the editor starts again from the scenario, so it never undoes a change
    made elsewhere. Returns None while the table is as the scenario made it.
    """
    payload = [payload, state.editor_nonce()]
    digest = hashlib.sha1(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:12]
    key = f"{prefix}_{digest}"
    inputs = state.editor_inputs()
    if inputs.get(prefix, (None,))[0] != key:
        inputs[prefix] = (key, make_table())
    edited = st.data_editor(inputs[prefix][1], key=key, hide_index=True, width="stretch", **kwargs)
    widget = st.session_state.get(key) or {}
    touched = any(widget.get(k) for k in ("edited_rows", "added_rows", "deleted_rows"))
    return edited if touched else None


def show_problems(problems: ValidationError | list[Problem]) -> None:
    """Problems as a table (file, layer, row, column, message); says nothing was changed."""
    problems = problems.problems if isinstance(problems, ValidationError) else problems
    st.error(f"{len(problems)} problem(s) found; nothing was changed.")
    st.dataframe(pd.DataFrame([dataclasses.asdict(p) for p in problems]).rename(columns=str.capitalize),
                 hide_index=True, width="stretch")


@st.cache_resource(max_entries=8, show_spinner=False)
def _checked(upload_key: str, kind: str, region_key: str, _name: str, _data: bytes, _region) -> edits.Upload:
    return edits.check_upload(_name, _data, _region, kind)


def _upload_key(up) -> str:
    """:func:`placeplan.io.upload.upload_key` of an uploaded file, hashed once per file."""
    keys = st.session_state.setdefault(state.Key.UPLOAD_KEYS, {})
    if up.file_id not in keys:
        while len(keys) >= 8:
            keys.pop(next(iter(keys)))
        keys[up.file_id] = upload_key(up.name, up.getvalue())
    return keys[up.file_id]


def checked_upload(label: str, types: list[str], key: str, kind: str) -> edits.Upload | None:
    """A file uploader whose file is read by :func:`placeplan.app.edits.check_upload`, the
    check the tests exercise, once per uploaded file (not again on every rerun); its
    problems and placement warnings are shown. None until a file is given."""
    up = st.file_uploader(label, type=types, key=key)
    if up is None:
        return None
    with st.spinner(f"Checking {plain(up.name)}…"):
        checked = _checked(_upload_key(up), kind, state.region_key(), up.name, up.getvalue(), state.region())
    if checked.problems:
        show_problems(checked.problems)
    for warning in checked.warnings[:20]:
        st.warning(plain(warning))
    return checked


_NEAREST = re.compile(r"^site (?P<site>.+?): outside every (?P<phase>\w+) planning area; placed in the nearest, "
                      r"(?P<area>\S+) \((?P<metres>[\d,]+) m away\)$")


def result_warnings(warnings: list[str], figures: str) -> None:
    """The forecast's warnings (``Results.warnings``) in plain words beside ``figures``
    (e.g. "the places needed and funding gaps above"): what to check before relying on
    them. Sites placed in the nearest planning area are listed by name, in an expander."""
    if not warnings:
        return
    reg = state.region()
    areas = dict(zip(reg.planning_areas["planning_area_code"].astype(str), reg.planning_areas["planning_area"].astype(str)))
    sites = dict(zip(reg.sites["site_id"].astype(str), reg.sites["site"].astype(str)))
    placed, other = [], []
    for w in warnings:
        m = _NEAREST.match(w)
        if m is None:
            other.append(w)
        else:
            site, area = m["site"], m["area"]
            placed.append(f"{sites.get(site, site)} ({site}): {m['phase']} pupils counted in "
                          f"{areas.get(area, area)}, the nearest planning area, {m['metres']} m away")
    for w in other:
        st.warning(plain(f"Check before relying on {figures}: {w}"), icon="⚠️")
    if placed:
        with st.expander(f"⚠️ {len(placed):,} site(s) lie outside every planning area of a phase: their pupils are "
                         f"counted in the nearest area (this affects {figures})"):
            st.text("\n".join(placed[:200]) + (f"\n… and {len(placed) - 200:,} more" if len(placed) > 200 else ""))


def start_from_button(label: str, key: str, scenario, region=None) -> None:
    """A button that makes ``scenario`` (on ``region``, if given) the session's new,
    unsaved current scenario (opening is never refused: the store judges a save against
    the shared base region). ``label`` is Markdown: escape user text in it with :func:`plain`."""
    if st.button(label, key=key):
        if region is not None:
            state.use_region(region)
        state.open_scenario(scenario, None)
        st.rerun()


def uncertainty_controls(where: str):
    """Draws and seed, a run button, and the ranges if already computed."""
    c1, c2, c3 = st.columns([1, 1, 2])
    draws = c1.number_input("Monte Carlo draws", 100, 20000, 1000, 100, key=f"mc_draws_{where}")
    seed = c2.number_input("Seed", 0, 2**31 - 1, 20151, key=f"mc_seed_{where}")
    run = c3.button("Compute ranges (P10/P50/P90)", key=f"mc_run_{where}")
    out = state.ranges(run, int(draws), int(seed))
    if out is None:
        c3.caption("Ranges show how sure each figure is: yields, whether and when sites are built, births and "
                   "migration are drawn around their central values (docs/uncertainty.md).")
    return out


__all__ = ["changes_sheet", "checked_upload", "csv_bytes", "download_xlsx", "editor", "fmt", "plain", "pounds_m", "result_warnings", "show_problems",
           "start_from_button", "table", "uncertainty_controls", "xlsx_bytes"]
