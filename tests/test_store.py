"""The shared scenario store: versions, stale saves refused, history kept."""

import os
import sqlite3

import pytest

from placeplan.io.scenario_file import export_scenario, import_scenario
from placeplan.io.store import ScenarioStore, StaleScenarioError
from placeplan.model.scenario import Scenario


@pytest.fixture
def store(tmp_path):
    return ScenarioStore(tmp_path / "s.sqlite", create=True)


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


# ---------------------------------------------------------------- faults explained (issue #15)
def _refused(path, match, **kw):
    from placeplan.io.store import StoreError

    with pytest.raises(StoreError, match=match) as exc:
        ScenarioStore(path, **kw)
    assert str(path.parent) not in str(exc.value), "the message names the store, not the server's path"
    return str(exc.value)


def test_a_missing_store_is_created_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("PLACEPLAN_STORE_CREATE", raising=False)
    path = tmp_path / "typo" / "scenarios.sqlite"
    _refused(path, "no scenario store at the scenario store 'scenarios.sqlite'.*check PLACEPLAN_STORE", create=False)
    _refused(path, "create=True")  # the default is not to create
    assert not path.parent.exists()
    ScenarioStore(path, create=True).save(Scenario(name="X"), "alice")
    assert ScenarioStore(path).load("X")[1].version == 1
    monkeypatch.setenv("PLACEPLAN_STORE_CREATE", "1")
    assert ScenarioStore(tmp_path / "new.sqlite").list() == []


def test_damaged_foreign_and_unreadable_stores_are_explained(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("just some text\n")
    _refused(text, "'notes.sqlite' is not a scenario store \\(not an SQLite database\\)")
    foreign = tmp_path / "other.sqlite"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE invoices (x)")
    con.commit()
    con.close()
    _refused(foreign, "an SQLite database of something else \\(tables invoices\\)")
    good = tmp_path / "good.sqlite"
    ScenarioStore(good, create=True).save(Scenario(name="X", description="y" * 20000), "alice")
    data = bytearray(good.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page overwritten
    good.write_bytes(bytes(data))
    for leftover in tmp_path.glob("good.sqlite-*"):
        leftover.unlink()
    _refused(good, "is damaged.*Restore it from a backup")
    _refused(tmp_path, "is a folder, not a store file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_store_says_what_to_do(tmp_path):  # pragma: no cover - CI runs as a user
    from placeplan.io.store import StoreError

    folder = tmp_path / "ro"
    folder.mkdir()
    s = ScenarioStore(folder / "s.sqlite", create=True)
    folder.chmod(0o555)
    (folder / "s.sqlite").chmod(0o444)
    try:
        with pytest.raises(StoreError, match="cannot be written: the app's account needs write access"):
            s.save(Scenario(name="X"), "alice")
    finally:
        folder.chmod(0o755)


def test_a_read_only_store_message(tmp_path):
    """The message for SQLite's read-only error (root, as in this container, bypasses modes)."""
    s = ScenarioStore(tmp_path / "s.sqlite", create=True)
    msg = str(s._explain(sqlite3.OperationalError("attempt to write a readonly database")))
    assert "'s.sqlite' cannot be written: the app's account needs write access" in msg and str(tmp_path) not in msg


def test_a_locked_store_retries_briefly_then_says_busy(tmp_path, monkeypatch):
    import time

    from placeplan.io import store as store_mod

    monkeypatch.setattr(store_mod, "BUSY_SECONDS", 0.5)
    path = tmp_path / "s.sqlite"
    s = ScenarioStore(path, create=True)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process mid-save
    try:
        t = time.monotonic()
        with pytest.raises(store_mod.StoreBusyError, match="is busy: another save held it .* Nothing was saved; try again"):
            s.save(Scenario(name="X"), "alice")
        assert time.monotonic() - t < 5
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert s.save(Scenario(name="X"), "alice") == 1  # free again: saved


def test_roles_file_typo_names_the_file_line_and_roles(tmp_path):
    from placeplan.errors import ValidationError
    from placeplan.io.roles import read_roles

    path = tmp_path / "roles.csv"
    path.write_text("email,council_code,role\na@mk.gov.uk,E06000042,planer\n")
    with pytest.raises(ValidationError) as exc:
        read_roles(path)
    text = str(exc.value)
    assert ("roles.csv, layer roles, row 2, column role: 'planer' is not one of planner, childrens_services, "
            "finance, viewer, admin") in text
    assert str(tmp_path) not in text
    with pytest.raises(ValidationError, match="roles.csv, layer roles: file not found") as exc:
        read_roles(tmp_path / "nowhere" / "roles.csv")
    assert str(tmp_path) not in str(exc.value)


def test_import_refuses_huge_and_deep_files():
    from placeplan.errors import ValidationError

    with pytest.raises(ValidationError, match="at most 5 MB"):
        import_scenario(b" " * (6 * 1024**2), "big.json")
    with pytest.raises(ValidationError, match="deep.json, layer scenario: objects and lists are nested 50000 deep"):
        import_scenario("[" * 50_000 + "]" * 50_000, "deep.json")


def test_the_per_user_default_store_is_started_on_first_use(tmp_path, monkeypatch):
    monkeypatch.delenv("PLACEPLAN_STORE", raising=False)
    monkeypatch.delenv("PLACEPLAN_STORE_CREATE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert ScenarioStore().list() == [] and (tmp_path / "placeplan" / "scenarios.sqlite").exists()
