"""A council's sites file as scenario changes: only that council's sites change (issue 14, item 3)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import placeplan as pp
from placeplan.io.tables import read_sites
from placeplan.model.scenario import SITE_FIELDS, Scenario, apply_scenario
from placeplan.model.site_updates import council_sites_update
from tests.test_app_rights import paths  # noqa: F401 (fixture)

MK, BEDFORD = "E06000042", "E06000055"
TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "sites.csv"
COMPARED = [f for f in SITE_FIELDS if f not in ("site_id",)]


@pytest.fixture(scope="module")
def region():
    return pp.load_region()


def file_of(region, council, ids=None, **changes):
    """The council's sites now, as a file would give them (optionally only ``ids``, with ``changes``)."""
    s = region.sites[region.sites["council_code"] == council].reset_index(drop=True)
    if ids is not None:
        s = s[s["site_id"].isin(ids)].reset_index(drop=True)
    s = s.drop(columns=["hectares", "notes"], errors="ignore").copy()
    for sid, change in changes.items():
        for k, v in change.items():
            s.loc[s["site_id"] == sid, k] = v
    return gpd.GeoDataFrame(s, geometry="geometry", crs=region.sites.crs)


def council_sites(region, scenario, council):
    sites = apply_scenario(region, scenario)[0].sites if isinstance(scenario, Scenario) else scenario
    out = sites[sites["council_code"].astype(str) == council].set_index("site_id").sort_index()
    return out.assign(x=out.geometry.x.round(3), y=out.geometry.y.round(3))[[*COMPARED[1:], "x", "y"]]


def test_replace_removes_adds_and_edits_that_councils_sites_only(region):
    mk = region.sites[region.sites["council_code"] == MK]
    keep = mk["site_id"].iloc[:3].tolist()
    sid = keep[0]
    upload = file_of(region, MK, keep, **{sid: {"dwellings": 1500.0}})
    new = upload.iloc[:1].copy()
    new["site_id"], new["site"] = "MK-NEW", "New Town Fields"
    upload = pd.concat([upload, new], ignore_index=True)
    upd = council_sites_update(region, Scenario(name=""), upload, MK, "replace", file="ours.csv")
    assert upd.counts == {"added": 1, "removed": len(mk) - 3, "edited": 1}
    assert upd.scenario.edit_sites == {sid: {"dwellings": 1500.0}}
    assert sorted(upd.scenario.remove_sites) == sorted(set(mk["site_id"]) - set(keep))
    assert [a["site_id"] for a in upd.scenario.add_sites] == ["MK-NEW"]
    row = upd.preview.set_index("site_id").loc[sid]
    was = f"{mk.set_index('site_id').loc[sid, 'dwellings']:,.0f}"
    assert row["change"] == "edited" and row["what_changes"] == f"dwellings {was} → 1,500"
    assert set(upd.preview["council"]) == {"Milton Keynes"}
    assert upd.preview["primary_planning_area"].notna().all()
    others = region.sites[region.sites["council_code"] != MK]
    after = apply_scenario(region, upd.scenario)[0].sites
    assert set(others["site_id"]) <= set(after["site_id"])


def test_merge_edits_and_adds_but_removes_nothing(region):
    mk = region.sites[region.sites["council_code"] == MK]
    sid = mk["site_id"].iloc[1]
    upload = file_of(region, MK, [sid], **{sid: {"first_year": 2022, "status": "allocated"}})
    upd = council_sites_update(region, Scenario(name=""), upload, MK, "merge", file="ours.csv")
    assert upd.counts == {"added": 0, "removed": 0, "edited": 1}
    assert upd.scenario.remove_sites == [] and upd.scenario.add_sites == []
    edit = upd.scenario.edit_sites[sid]
    assert edit["first_year"] == 2022
    assert "first completions" in upd.preview["what_changes"].iloc[0] and "2022/23" in upd.preview["what_changes"].iloc[0]


def test_unchanged_rows_give_no_edit(region):
    s = Scenario(name="mine", edit_sites={"MK:BR12": {"dwellings": 200.0}})
    for mode in ("replace", "merge"):
        upd = council_sites_update(region, s, file_of(region, MK, **{"MK:BR12": {"dwellings": 200.0}}), MK, mode)
        assert upd.scenario == s and len(upd.preview) == 0


def test_a_blank_cell_leaves_the_value_and_the_preview_says_so(region):
    upd = council_sites_update(region, Scenario(name=""), file_of(region, MK, **{"MK:BR12": {"dwellings": np.nan}}),
                               MK, "merge")
    assert len(upd.preview) == 0
    assert any(n.startswith("Blank cells leave a site's value as it is") and "dwellings" in n for n in upd.notes)
    # a blank where the site has no value either (an unknown mix) is not worth a note
    assert not any("Blank cells" in n for n in council_sites_update(region, Scenario(name=""),
                                                                   file_of(region, MK), MK, "merge").notes)


def test_another_councils_rows_are_refused_naming_file_row_and_column(region):
    upload = file_of(region, MK)
    upload.loc[2, "council_code"] = BEDFORD
    with pytest.raises(pp.ValidationError) as err:
        council_sites_update(region, Scenario(name=""), upload, MK, "replace", file="our sites.csv")
    (p,) = err.value.problems
    assert (p.file, p.row, p.column) == ("our sites.csv", 4, "council_code")
    assert "Bedford" in p.message and "Milton Keynes" in p.message and "/" not in p.file
    taken = file_of(region, MK).iloc[:1].copy()
    taken["site_id"] = region.sites.loc[region.sites["council_code"] == BEDFORD, "site_id"].iloc[0]
    with pytest.raises(pp.ValidationError) as err:
        council_sites_update(region, Scenario(name=""), taken, MK, "merge", file="our sites.csv")
    assert (err.value.problems[0].row, err.value.problems[0].column) == (2, "site_id")


def test_the_template_becomes_changes_and_leaves_bedford_as_it_was(region):
    sites, traj = read_sites(TEMPLATE)
    upd = council_sites_update(region, Scenario(name=""), sites, MK, "replace", traj, "sites.csv")
    mk = int((region.sites["council_code"] == MK).sum())
    assert upd.counts == {"added": 2, "removed": mk, "edited": 0}
    assert any("trajectory" in n and "75 a year" in n for n in upd.notes)  # said, not dropped
    b = pp.shortfall_effect(pp.forecast(region).shortfall, pp.forecast(region, upd.scenario).shortfall)
    assert b.peak_scenario["Bedford"] == pytest.approx(b.peak_base["Bedford"])
    assert pp.Scenario.from_json(upd.scenario.to_json()) == upd.scenario  # a scenario like any other


def test_a_moved_site_is_placed_again_and_said(region):
    mk = region.sites[region.sites["council_code"] == MK]
    sid = mk["site_id"].iloc[0]
    upload = file_of(region, MK, [sid])
    upload["geometry"] = upload.geometry.translate(1500, 0)
    upd = council_sites_update(region, Scenario(name=""), upload, MK, "merge")
    assert sid in upd.scenario.remove_sites and [a["site_id"] for a in upd.scenario.add_sites] == [sid]
    assert "moved 1.5 km" in upd.preview["what_changes"].iloc[0]


@st.composite
def uploads(draw):
    region = pp.load_region() if not hasattr(uploads, "region") else uploads.region
    uploads.region = region
    council = draw(st.sampled_from(region.councils["council_code"].astype(str).tolist()))
    mine = region.sites[region.sites["council_code"] == council]["site_id"].tolist()
    keep = draw(st.lists(st.sampled_from(mine), unique=True, max_size=8))
    dwell = draw(st.lists(st.integers(1, 3000), min_size=len(keep), max_size=len(keep)))
    upload = file_of(region, council, keep, **{k: {"dwellings": float(d)} for k, d in zip(keep, dwell)})
    n_new = draw(st.integers(0, 3))
    if n_new and len(upload):
        new = upload.sample(n_new, replace=True, random_state=draw(st.integers(0, 99))).copy()
        new["site_id"] = [f"NEW-{i}" for i in range(n_new)]
        upload = pd.concat([upload, new], ignore_index=True)
    # the scenario so far: another council's site edited, one of this council's delayed, one added
    first = region.sites[region.sites["council_code"] == council].iloc[0]
    pre = {"site_id": "PRE-1", "site": "Added before", "council_code": council, "dwellings": 40.0,
           "easting": float(first.geometry.x), "northing": float(first.geometry.y)}
    other = region.sites[region.sites["council_code"] != council]["site_id"].iloc[0]
    before = Scenario(name="", edit_sites={other: {"dwellings": 77.0}, str(first["site_id"]): {"delay_years": 2}},
                      add_sites=[pre])
    if draw(st.booleans()):  # the file keeps the added site, with other dwellings
        row = file_of(region, council, [first["site_id"]]).assign(site_id="PRE-1", site="Added before",
                                                                   dwellings=float(draw(st.integers(1, 900))))
        upload = pd.concat([upload, row], ignore_index=True)
    return region, council, upload, before


# no shrinking: each example applies scenarios (about a second), so shrinking a failure takes minutes
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(uploads())
def test_replace_changes_that_council_only_and_makes_its_sites_the_files(case):
    region, council, upload, before = case
    upd = council_sites_update(region, before, upload, council, "replace")
    was, now = apply_scenario(region, before)[0].sites, apply_scenario(region, upd.scenario)[0].sites
    for c in region.councils["council_code"]:
        if c != council:
            pd.testing.assert_frame_equal(council_sites(region, now, c), council_sites(region, was, c),
                                          check_dtype=False)  # values: a concat may widen int64 to Int64
    got = council_sites(region, now, council)
    want = upload.set_index("site_id").sort_index()
    want = want.assign(x=want.geometry.x.round(3), y=want.geometry.y.round(3))
    assert list(got.index) == list(want.index)
    for col in [*COMPARED[1:], "x", "y"]:
        a, b = got[col].to_numpy(dtype=object), want[col].to_numpy(dtype=object)
        same = [(pd.isna(u) and pd.isna(v)) or u == v or (isinstance(u, float) and np.isclose(u, v)) for u, v in zip(a, b)]
        assert all(same), (col, a, b)
    if dataclasses.replace(upd.scenario) == before:
        assert len(upd.preview) == 0


def test_the_app_offers_the_councils_a_planner_may_edit(paths, demo_region):  # noqa: F811
    from placeplan.io.store import ScenarioStore
    from tests.test_app_rights import as_user

    ScenarioStore(paths[0], create=True, base=demo_region)
    mk = as_user("mk.planner@mk.gov.uk", "Planning")
    assert mk.selectbox(key="upload_council").options == ["Milton Keynes"]
    assert not any(b.label.startswith("Replace the region") for b in mk.button)
    boss = as_user("boss@region.gov.uk", "Planning")
    assert boss.selectbox(key="upload_council").options == demo_region.councils["council"].tolist()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(uploads())
def test_merge_keeps_every_site_and_adds_the_files(case):
    region, council, upload, before = case
    upd = council_sites_update(region, before, upload, council, "merge")
    was, now = apply_scenario(region, before)[0].sites, apply_scenario(region, upd.scenario)[0].sites
    assert set(now["site_id"]) == set(was["site_id"]) | set(upload["site_id"])
    assert (upd.preview["change"] != "removed").all()
    mine = now[now["council_code"] == council].set_index("site_id")
    given_dwellings = upload.set_index("site_id")["dwellings"]
    assert np.allclose(mine.loc[given_dwellings.index, "dwellings"].to_numpy(dtype=float), given_dwellings.to_numpy(dtype=float))


def test_an_id_given_twice_is_refused_naming_the_row(region):
    upload = file_of(region, MK, ["MK:BR12", "MK:BR14"])
    upload.loc[1, "site_id"] = "MK:BR12"
    with pytest.raises(pp.ValidationError) as err:
        council_sites_update(region, Scenario(name=""), upload, MK, "merge", file="ours.xlsx")
    assert [(p.file, p.row, p.column) for p in err.value.problems] == [("ours.xlsx", 3, "site_id")]
