"""The drafts file (placeplan.io.drafts): round trip, one draft per key, bounded, damage reported, safe for several writers."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from placeplan.io import drafts as drafts_mod
from placeplan.io.drafts import (
    DamagedDraftError,
    DraftStore,
    DraftTooLargeError,
    default_drafts_path,
)
from placeplan.io.store import StoreError
from placeplan.model.scenario import Scenario

SITE = "CB:CB/17/05977/BRWN"
S = Scenario(name="", assumptions={"headroom": 0.05}, edit_sites={SITE: {"dwellings": 1500.0}})
LOADED = {"name": "Option A", "version": 2, "author": "alice"}


@pytest.fixture
def db(tmp_path):
    return DraftStore(tmp_path / "x.drafts.sqlite")


def test_round_trip(db):
    assert db.get("user:a@x.gov.uk") is None
    assert db.put("user:a@x.gov.uk", S, LOADED, unsaved=True, on_upload=True)
    d = db.get("user:a@x.gov.uk")
    assert d.scenario == S and d.loaded == LOADED and d.unsaved and d.on_upload
    assert abs(d.saved_at - datetime.now(timezone.utc)) < timedelta(seconds=30)
    db.discard("user:a@x.gov.uk")
    assert db.get("user:a@x.gov.uk") is None and len(db) == 0


def test_unchanged_draft_is_not_written_again(db):
    assert db.put("k", S, None)
    first = db.get("k").saved_at
    assert not db.put("k", S, None)  # the same: nothing written, its time kept
    assert db.get("k").saved_at == first
    assert db.put("k", S, LOADED)  # what it was loaded from changed: written


def test_each_key_reads_only_its_own(db):
    other = Scenario(name="", assumptions={"headroom": 0.02})
    db.put("user:a@x.gov.uk", S)
    db.put("user:b@x.gov.uk", other)
    db.put("tab:abcdefghijklmnop", Scenario(name="", remove_sites=[SITE]))
    assert db.get("user:a@x.gov.uk").scenario == S
    assert db.get("user:b@x.gov.uk").scenario == other
    db.put("user:b@x.gov.uk", S)
    assert db.get("tab:abcdefghijklmnop").scenario.remove_sites == [SITE] and len(db) == 3
    with pytest.raises(ValueError):
        db.get("")


def test_size_is_bounded(db, monkeypatch):
    big = Scenario(name="", description="x" * (drafts_mod.MAX_DRAFT_BYTES + 1))
    with pytest.raises(DraftTooLargeError, match=r"too large to keep as a draft .*save them on the Scenarios page"):
        db.put("k", big)
    assert db.get("k") is None
    # old drafts go, and the least recently written go first past the total
    db.put("old", S)
    with sqlite3.connect(db.path) as c:
        c.execute("UPDATE drafts SET saved_at = ? WHERE key = 'old'",
                  ((datetime.now(timezone.utc) - timedelta(days=drafts_mod.KEEP_DAYS + 1)).isoformat(timespec="microseconds"),))
    one = len(S.to_json())
    monkeypatch.setattr(drafts_mod, "MAX_TOTAL_BYTES", 2 * one + 10)
    for k in ("a", "b", "c"):
        db.put(k, Scenario(name="", assumptions={"headroom": 0.01 * (1 + "abc".index(k))},
                           edit_sites={SITE: {"dwellings": 1500.0}}))
    assert db.get("old") is None and db.get("a") is None
    assert db.get("b") is not None and db.get("c") is not None


def test_damaged_row_is_reported_not_restored(db):
    db.put("k", S, LOADED)
    with sqlite3.connect(db.path) as c:
        c.execute("UPDATE drafts SET document = '{\"name\": \"\", \"assumptions\": {\"headroom\": \"lots\"}}'")
    with pytest.raises(DamagedDraftError, match="cannot be read back") as exc:
        db.get("k")
    assert str(db.path.parent) not in str(exc.value)
    with sqlite3.connect(db.path) as c:
        c.execute("UPDATE drafts SET document = 'not json{', loaded = '[1'")
    with pytest.raises(DamagedDraftError):
        db.get("k")
    db.put("k", S)  # the next write replaces it
    assert db.get("k").scenario == S


def test_not_a_drafts_file(tmp_path):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as c:
        c.execute("CREATE TABLE things (a)")
    with pytest.raises(StoreError, match="'other.sqlite' is an SQLite database of something else"):
        DraftStore(other)
    with pytest.raises(StoreError, match="its folder does not exist"):
        DraftStore(tmp_path / "missing" / "d.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all, not at all" * 10)
    with pytest.raises(StoreError) as exc:
        DraftStore(junk)
    assert str(tmp_path) not in str(exc.value)


def test_beside_the_store(monkeypatch, tmp_path):
    monkeypatch.delenv("PLACEPLAN_DRAFTS", raising=False)
    monkeypatch.setenv("PLACEPLAN_STORE", str(tmp_path / "scenarios.sqlite"))
    assert default_drafts_path() == tmp_path / "scenarios.drafts.sqlite"
    monkeypatch.setenv("PLACEPLAN_DRAFTS", str(tmp_path / "elsewhere.sqlite"))
    assert default_drafts_path() == tmp_path / "elsewhere.sqlite"


def _writer(path: str, who: str, n: int) -> int:
    db = DraftStore(path)
    for i in range(n):
        db.put(f"user:{who}", Scenario(name="", assumptions={"headroom": 0.001 * (i + 1)}))
        db.put("tab:shared-by-every-writer", Scenario(name="", description=f"{who} {i}"))
    return n


def test_concurrent_writers_are_safe(db):
    DraftStore(db.path)  # made before the writers start
    with ProcessPoolExecutor(3) as pool:
        done = list(pool.map(_writer, [str(db.path)] * 3, ["a", "b", "c"], [25] * 3))
    assert done == [25] * 3
    for who in "abc":
        assert db.get(f"user:{who}").scenario.assumptions["headroom"] == pytest.approx(0.025)
    last = db.get("tab:shared-by-every-writer").scenario.description
    assert last in {"a 24", "b 24", "c 24"} and len(db) == 4
