"""A scenario's trajectories: a site's completions year by year, applied, checked, said in
words, judged as an edit of the site, and edited on the Planning page."""

import dataclasses
import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import placeplan as pp
from placeplan.io.rights import refused_edits
from placeplan.io.roles import read_roles, user_for
from placeplan.io.scenario_file import scenario_from_dict, scenario_from_json
from placeplan.io.scenario_rows import check_against_region
from placeplan.io.store import RefusedChangeError, ScenarioStore
from placeplan.model.changes import changes_in_words
from placeplan.model.comparison import scenario_changes
from placeplan.model.completions import site_completions
from placeplan.model.forecast import forecast_arrays
from placeplan.model.scenario import Scenario, apply_scenario
from placeplan.model.trajectory import scenario_site_trajectory, with_trajectory, without_trajectory
from placeplan.testing import tiny_region

APP = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "app.py")
YEARS = np.arange(2015, 2020)  # the tiny region's forecast years (base 2015, horizon 5)
CB_SITE, MK_SITE = "CB:CB/17/05977/BRWN", "MK:BR30"  # RAF Henlow (Central Bedfordshire), an MK site


@functools.cache
def region_once(dwellings: float | None = None) -> pp.Region:
    """The tiny region built once per module (building one takes a second); its site's
    dwellings set when given."""
    return tiny_region() if dwellings is None else tiny_region(sites=tiny_region().sites.assign(dwellings=dwellings))


def built(region, s: Scenario) -> np.ndarray:
    """Completions of the first site by year after the scenario (the forecast's own step)."""
    changed, a = apply_scenario(region, s)
    return forecast_arrays(changed, a).built[0]


def test_completions_follow_the_trajectory_year_by_year(tiny_region):
    s = Scenario(trajectories={"S1": {"2015/16": 20.0, "2016/17": 80.0, "2018/19": 50.0}})
    np.testing.assert_allclose(built(tiny_region, s), [20, 80, 0, 50, 0])
    np.testing.assert_allclose(built(tiny_region, Scenario()), [0, 100, 100, 0, 0])  # first year 2016, 100 a year


def test_total_is_capped_at_the_sites_dwellings(tiny_region):
    s = Scenario(trajectories={"S1": {"2015/16": 150.0, "2016/17": 150.0, "2017/18": 150.0}})
    np.testing.assert_allclose(built(tiny_region, s), [150, 50, 0, 0, 0])  # 200 dwellings
    more = dataclasses.replace(s, edit_sites={"S1": {"dwellings": 1000.0}})
    np.testing.assert_allclose(built(tiny_region, more), [150, 150, 150, 0, 0])


def test_delay_shifts_the_trajectory(tiny_region):
    t = {"S1": {"2015/16": 20.0, "2016/17": 80.0}}
    np.testing.assert_allclose(built(tiny_region, Scenario(trajectories=t, assumptions={"delay_years": 2})),
                               [0, 0, 20, 80, 0])
    # a site's own delay moves its trajectory as it moves its first year
    np.testing.assert_allclose(built(tiny_region, Scenario(trajectories=t, edit_sites={"S1": {"delay_years": 1}})),
                               [0, 20, 80, 0, 0])


def test_replaces_the_regions_rows_and_empty_goes_back_to_first_year_and_rate():
    own = pd.DataFrame([{"site_id": "S1", "academic_year": 2015, "dwellings": 10.0},
                        {"site_id": "S1", "academic_year": 2016, "dwellings": 10.0}])
    region = tiny_region(trajectories=own)
    np.testing.assert_allclose(built(region, Scenario()), [10, 10, 0, 0, 0])
    np.testing.assert_allclose(built(region, Scenario(trajectories={"S1": {"2017/18": 200.0}})), [0, 0, 200, 0, 0])
    np.testing.assert_allclose(built(region, Scenario(trajectories={"S1": {}})), [0, 100, 100, 0, 0])
    assert without_trajectory(region, Scenario(trajectories={"S1": {"2017/18": 5.0}}), "S1").trajectories == {"S1": {}}
    assert without_trajectory(tiny_region(), Scenario(trajectories={"S1": {"2017/18": 5.0}}), "S1").trajectories == {}


def test_a_new_site_may_have_a_trajectory(tiny_region):
    new = {"site_id": "N1", "council_code": "A", "dwellings": 60.0, "planning_area_code": "PA1"}
    s = Scenario(add_sites=[new], trajectories={"N1": {"2016/17": 25.0, "2017/18": 35.0}})
    changed, a = apply_scenario(tiny_region, s)
    b = forecast_arrays(changed, a).built
    np.testing.assert_allclose(b[list(changed.sites["site_id"]).index("N1")], [0, 25, 35, 0, 0])
    np.testing.assert_allclose(scenario_site_trajectory(tiny_region, s, "N1", YEARS), [0, 25, 35, 0, 0])


def test_round_trip_and_digest():
    s = scenario_from_dict({"name": "t", "trajectories": {"S1": {"2016": 80, "2015/16": 20}}})
    assert s.trajectories == {"S1": {"2015/16": 20, "2016/17": 80}}  # years written one way, in order
    assert Scenario.from_dict(s.to_dict()) == s
    assert scenario_from_json(s.to_json()) == s
    assert s.digest() != dataclasses.replace(s, trajectories={}).digest()
    assert s.digest() != dataclasses.replace(s, trajectories={"S1": {"2015/16": 21, "2016/17": 80}}).digest()


@pytest.mark.parametrize("traj, where, says", [
    ({"S1": {"2015/16": -5}}, "trajectories.S1.2015/16", "below the minimum 0"),
    ({"S1": {"2015/16": 1e9}}, "trajectories.S1.2015/16", "above the maximum 100000"),
    ({"S1": {"2015/16": "lots"}}, "trajectories.S1.2015/16", "is not a number"),
    ({"S1": {"2015/16": True}}, "trajectories.S1.2015/16", "is not a number"),
    ({"S1": {"2015/16": None}}, "trajectories.S1.2015/16", "missing"),
    ({"S1": {"next year": 5}}, "trajectories.S1.next year", "is not an academic year"),
    ({"S1": {"2015": 5, "2015/16": 6}}, "trajectories.S1.2015/16", "given twice"),
    ({"S1": {"1800/01": 5}}, "trajectories.S1.1800/01", "between 1900 and 2200"),
    ({"S1": [100, 200]}, "trajectories", "must map site ids"),
])
def test_bad_values_name_the_field(traj, where, says):
    with pytest.raises(pp.ValidationError) as exc:
        scenario_from_dict({"trajectories": traj})
    assert any(p.column == where and says in p.message for p in exc.value.problems), exc.value.problems


@pytest.mark.parametrize("s, where, says", [
    (Scenario(trajectories={"S9": {"2016/17": 5.0}}), "trajectories.S9", "no site 'S9' in the region"),
    (Scenario(trajectories={"S1": {"2016/17": 5.0}}, remove_sites=["S1"]), "trajectories.S1", "removed"),
    (Scenario(trajectories={"S1": {"2010/11": 5.0}}), "trajectories.S1.2010/11", "before the base year 2015"),
])
def test_sites_and_years_the_region_lacks_are_refused(tiny_region, s, where, says):
    with pytest.raises(pp.ValidationError) as exc:
        apply_scenario(tiny_region, s)
    assert any(p.column == where and says in p.message for p in exc.value.problems)
    assert any(p.column == where for p in check_against_region(tiny_region, s, "mine.json"))


def test_said_in_words_and_listed_as_a_change(tiny_region):
    s = Scenario(trajectories={"S1": {"2015/16": 20.0, "2016/17": 80.0}})
    assert changes_in_words(tiny_region, Scenario(), s) == [
        "Border Farm: completions by year 2015/16 20, 2016/17 80 (was 100 a year from 2016/17)"]
    assert changes_in_words(tiny_region, s, Scenario()) == [
        "Border Farm: completions 100 a year from 2016/17 (was by year 2015/16 20, 2016/17 80)"]
    long = Scenario(trajectories={"S1": {f"{y}/{(y + 1) % 100:02d}": 10.0 for y in range(2015, 2021)}})
    assert changes_in_words(tiny_region, Scenario(), long)[0].endswith("2018/19 10, … (was 100 a year from 2016/17)")
    ch = scenario_changes(Scenario(name="a"), s)
    assert ch["change"].tolist() == ["trajectories.S1"]


def test_with_trajectory_keeps_years_with_completions():
    s = with_trajectory(Scenario(), "S1", {"2015/16": 0.0, "2016/17": 50.0, "2017/18": float("nan")})
    assert s.trajectories == {"S1": {"2016/17": 50.0}}
    assert with_trajectory(Scenario(), "S1", {"2015/16": 0.0, "2016/17": 0.0}).trajectories == {"S1": {"2015/16": 0.0}}
    later = Scenario(trajectories={"S1": {"2040/41": 9.0}})  # beyond the years shown: kept
    assert with_trajectory(later, "S1", {"2016/17": 5.0}).trajectories == {"S1": {"2016/17": 5.0, "2040/41": 9.0}}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=5, max_size=5), st.integers(0, 1000))
def test_completions_sum_to_the_smaller_of_dwellings_and_trajectory(traj, dwellings):
    region = region_once()
    s = Scenario(edit_sites={"S1": {"dwellings": float(dwellings)}},
                 trajectories={"S1": {f"{y}/{(y + 1) % 100:02d}": float(n) for y, n in zip(YEARS, traj)}})
    changed, a = apply_scenario(region, s)
    _, b, _ = site_completions(changed, pd.Index(["A", "B"]), YEARS, a)
    assert b.sum() == pytest.approx(min(dwellings, sum(traj)))
    assert (b >= 0).all()


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 100), min_size=5, max_size=5), st.integers(0, 4), st.integers(1, 100))
def test_pupils_rise_with_any_years_completions(traj, year, more):
    region = region_once(10_000.0)

    def pupils(t):
        s = Scenario(trajectories={"S1": {f"{y}/{(y + 1) % 100:02d}": float(n) for y, n in zip(YEARS, t)}})
        changed, a = apply_scenario(region, s)
        return forecast_arrays(changed, a).housing.sum(axis=(0, 2))  # (Y,)

    bumped = list(traj)
    bumped[year] += more
    assert (pupils(bumped) >= pupils(traj) - 1e-9).all()


@pytest.fixture
def users(tmp_path):
    path = tmp_path / "roles.csv"
    path.write_text("email,council_code,role\nmk.planner@mk.gov.uk,E06000042,planner\n"
                    "cb.planner@cb.gov.uk,E06000056,planner\n")
    roles = read_roles(path)
    return lambda email: user_for(email, roles)


def test_only_the_sites_councils_planner_may_set_its_trajectory(demo_region, users, tmp_path):
    mk, cb = users("mk.planner@mk.gov.uk"), users("cb.planner@cb.gov.uk")
    theirs = Scenario(name="Plan", trajectories={CB_SITE: {"2018/19": 100.0, "2019/20": 150.0}})
    said = refused_edits(demo_region, Scenario(name="Plan"), theirs, mk)  # what state.set_scenario asks
    assert said and "may not change site CB:CB/17/05977/BRWN of Central Bedfordshire" in said[0]
    assert refused_edits(demo_region, Scenario(name="Plan"), theirs, cb) == []
    assert refused_edits(demo_region, Scenario(name="Plan"),
                         Scenario(name="Plan", trajectories={MK_SITE: {"2018/19": 10.0}}), mk) == []
    store = ScenarioStore(tmp_path / "s.sqlite", create=True, base=demo_region)
    with pytest.raises(RefusedChangeError, match="may not change site CB:CB/17/05977/BRWN"):
        store.save(theirs, mk)
    assert store.save(theirs, cb) == 1
    with pytest.raises(RefusedChangeError, match="may not change site CB:CB/17/05977/BRWN"):
        store.save(Scenario(name="Plan"), mk, expected_version=1)  # nor undo it
    new = {"site_id": "NEW1", "council_code": "E06000042", "dwellings": 50.0, "easting": 486000.0, "northing": 238000.0}
    added = Scenario(name="Plan", add_sites=[new])
    assert refused_edits(demo_region, added, dataclasses.replace(added, trajectories={"NEW1": {"2018/19": 50.0}}), cb)


def test_app_trajectory_editor(monkeypatch, tmp_path):
    monkeypatch.setenv("PLACEPLAN_STORE", str(tmp_path / "store.sqlite"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.radio(key="page").set_value("Planning").run()
    at.selectbox(key="edit_site_id").set_value(CB_SITE).run()
    editor = next(d for d in at.data_editor if (d.key or "").startswith("trajectory_"))
    shown = editor.value.set_index("Academic year")["Completions"]
    assert shown["2020/21"] == 100 and shown["2015/16"] == 0
    assert any("Total 1,000 of the site's 1,000 dwellings" in c.value for c in at.caption)
    at.session_state[editor.key] = {"edited_rows": {3: {"Completions": 300}, 4: {"Completions": 800}},
                                    "added_rows": [], "deleted_rows": []}
    at.run()
    assert any("Total 2,100 of the site's 1,000 dwellings: the last 1,100 are not built" in w.value for w in at.warning)
    next(b for b in at.button if b.label == "Apply trajectory").click().run()
    assert not at.exception, [e.value for e in at.exception]
    traj = at.session_state["scenario"].trajectories[CB_SITE]
    assert traj["2018/19"] == 300 and traj["2019/20"] == 800 and traj["2020/21"] == 100
    assert any("RAF Henlow" in s.value and "completions by year" in s.value for s in at.success)
    next(b for b in at.button if b.label == "Back to first year and build rate").click().run()
    assert at.session_state["scenario"].trajectories == {}


def test_app_refuses_another_councils_trajectory(tmp_path, monkeypatch):
    from test_access import signed_in  # the app with sign-in configured, as that user

    at = signed_in("mk.planner@mk.gov.uk", tmp_path, monkeypatch)
    at.sidebar.radio(key="page").set_value("Planning").run()
    at.selectbox(key="edit_site_id").set_value(CB_SITE).run()
    next(b for b in at.button if b.label == "Apply trajectory").click().run()
    assert any("may not change site CB:CB/17/05977/BRWN of Central Bedfordshire" in e.value.replace("\\", "")
               for e in at.error)
    assert at.session_state["scenario"].trajectories == {}


def test_deleting_a_site_in_the_table_drops_its_trajectory(tiny_region):
    from placeplan.app.edits import scenario_from_sites_table

    s = Scenario(trajectories={"S1": {"2016/17": 50.0}})
    gone = scenario_from_sites_table(tiny_region, s, pd.DataFrame({"site_id": pd.Series([], dtype=str)}))
    assert gone.remove_sites == ["S1"] and gone.trajectories == {}
    apply_scenario(tiny_region, gone)  # a scenario that runs
