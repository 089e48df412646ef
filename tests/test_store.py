"""The shared scenario store: versions, stale saves refused, history kept."""

import pytest

from placeplan.io.store import ScenarioStore, StaleScenarioError, export_scenario, import_scenario
from placeplan.model.scenario import Scenario


@pytest.fixture
def store(tmp_path):
    return ScenarioStore(tmp_path / "s.sqlite")


def test_save_load_versions(store):
    s = Scenario(name="Option A", assumptions={"headroom": 0.04})
    assert store.save(s, "alice", "E06000042", "first") == 1
    s2 = Scenario(name="Option A", assumptions={"headroom": 0.05})
    assert store.save(s2, "bob", "E06000055", "more margin", expected_version=1) == 2
    loaded, v = store.load("Option A")
    assert loaded == s2 and (v.version, v.author, v.council, v.note) == (2, "bob", "E06000055", "more margin")
    assert store.load("Option A", 1)[0] == s
    assert [x.version for x in store.history("Option A")] == [1, 2]
    assert [x.name for x in store.list()] == ["Option A"]


def test_stale_save_is_refused_and_nothing_lost(store):
    store.save(Scenario(name="X"), "alice")
    store.save(Scenario(name="X", remove_sites=["a"]), "bob", expected_version=1)
    with pytest.raises(StaleScenarioError, match="changed by bob .* since you loaded version 1"):
        store.save(Scenario(name="X", remove_sites=["c"]), "alice", expected_version=1)
    assert store.load("X")[0].remove_sites == ["a"]
    with pytest.raises(StaleScenarioError, match="already exists"):
        store.save(Scenario(name="X"), "carol")


def test_delete_keeps_history(store):
    store.save(Scenario(name="X"), "alice")
    store.delete("X", "bob", expected_version=1)
    assert store.list() == []
    assert [v.deleted for v in store.history("X")] == [False, True]
    assert store.save(Scenario(name="X"), "carol") == 3  # recreated


def test_export_import_roundtrip():
    s = Scenario(name="Y", edit_sites={"S1": {"dwellings": 5}})
    text = export_scenario(s, {"author": "alice", "version": 3})
    assert import_scenario(text) == s
    with pytest.raises(Exception, match="not valid JSON"):
        import_scenario(b"{oops")


def test_two_stores_on_one_file_see_each_other(tmp_path):
    a = ScenarioStore(tmp_path / "s.sqlite")
    b = ScenarioStore(tmp_path / "s.sqlite")
    a.save(Scenario(name="Z"), "alice")
    with pytest.raises(StaleScenarioError):
        b.save(Scenario(name="Z"), "bob")
    assert b.save(Scenario(name="Z"), "bob", expected_version=1) == 2
