"""Drafts: each user's (or browser tab's) unsaved scenario, kept so a reload loses nothing.

One small SQLite file beside the scenario store (``<store>.drafts.sqlite``, or
``$PLACEPLAN_DRAFTS``) holds one row per key: the scenario document, the stored version
it was loaded from, whether it holds changes not saved, and when it was written. A write
is one atomic upsert (a process killed mid-write leaves the previous draft), skipped when
the row already holds the same document. The file is bounded: a draft may be at most
:data:`MAX_DRAFT_BYTES`, drafts untouched for :data:`KEEP_DAYS` days are dropped, and the
oldest go first when all drafts together pass :data:`MAX_TOTAL_BYTES`. A row that cannot
be read back is reported (:class:`DamagedDraftError`), never restored.

Who may read a draft is the caller's choice of key: the app keys a signed-in user's draft
by their e-mail address and an open-mode tab's by a random id kept in its URL.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from placeplan.errors import ValidationError
from placeplan.io.scenario_file import scenario_from_json
from placeplan.io.store import ScenarioStore, StoreError, default_store_path
from placeplan.model.scenario import Scenario

__all__ = ["KEEP_DAYS", "MAX_DRAFT_BYTES", "MAX_TOTAL_BYTES", "DamagedDraftError", "Draft", "DraftStore",
           "DraftTooLargeError", "default_drafts_path"]

#: The largest draft kept (its document and what it was loaded from), in bytes.
MAX_DRAFT_BYTES = 1_000_000
#: All drafts together: past this, the least recently written are dropped.
MAX_TOTAL_BYTES = 200_000_000
#: A draft not written for this many days is dropped.
KEEP_DAYS = 30
#: The longest key (an e-mail address may be 320 characters).
MAX_KEY_CHARS = 400

SCHEMA = """
CREATE TABLE IF NOT EXISTS drafts (
    key TEXT PRIMARY KEY,
    document TEXT NOT NULL,
    loaded TEXT NOT NULL DEFAULT '',
    unsaved INTEGER NOT NULL DEFAULT 1,
    on_upload INTEGER NOT NULL DEFAULT 0,
    saved_at TEXT NOT NULL
);
"""


class DraftTooLargeError(StoreError):
    """A draft larger than :data:`MAX_DRAFT_BYTES` (it is not kept; saving it is the way)."""


class DamagedDraftError(StoreError):
    """A stored draft cannot be read back (it is never restored; the message says why)."""


@dataclass(frozen=True)
class Draft:
    """One draft: the scenario, the stored version it was loaded from (``{"name",
    "version", "author"}`` or None), whether it holds changes not saved, whether it was
    made on an uploaded region, and when it was written (UTC)."""

    key: str
    scenario: Scenario
    loaded: dict | None
    unsaved: bool
    on_upload: bool
    saved_at: datetime


def default_drafts_path() -> Path:
    """``$PLACEPLAN_DRAFTS``, else beside the scenario store: ``<store name>.drafts.sqlite``."""
    env = os.environ.get("PLACEPLAN_DRAFTS")
    if env:
        return Path(env)
    store = default_store_path()
    return store.with_name(f"{store.stem}.drafts.sqlite")


def _loaded_text(loaded: dict | None) -> str:
    if not loaded:
        return ""
    return json.dumps({"name": str(loaded["name"]), "version": int(loaded["version"]),
                       "author": str(loaded.get("author", ""))}, sort_keys=True)


class DraftStore:
    """Drafts in one SQLite file, safe for several processes at once.

    Parameters
    ----------
    path : path-like, optional
        The drafts file; :func:`default_drafts_path` when omitted. It is created if its
        folder exists (or is the per-user default folder); otherwise :class:`StoreError`.

    Raises
    ------
    StoreError
        The file cannot be used (not a drafts file, damaged, read-only, busy), named by its
        file name, never by a server path.
    """

    # the scenario store's connection: busy timeout, full sync, rollback on error, plain messages
    _connect = ScenarioStore._connect
    _explain = ScenarioStore._explain

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else default_drafts_path()
        self.label = f"the drafts file '{self.path.name}'"
        if not self.path.parent.exists():
            if path is not None or os.environ.get("PLACEPLAN_DRAFTS") or os.environ.get("PLACEPLAN_STORE"):
                raise StoreError(f"{self.label} cannot be made: its folder does not exist.")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError:
                raise StoreError(f"{self.label} cannot be made: its folder cannot be created.") from None
        if self.path.is_dir():
            raise StoreError(f"{self.label} is a folder, not a drafts file.")
        with self._connect() as db:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "drafts" not in tables:
                raise StoreError(f"{self.label} is an SQLite database of something else, not placeplan drafts.")
            if not tables:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)

    @staticmethod
    def _check_key(key: str) -> str:
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_CHARS:
            raise ValueError(f"a draft key is a non-empty text of at most {MAX_KEY_CHARS} characters")
        return key

    def put(self, key: str, scenario: Scenario, loaded: dict | None = None, unsaved: bool = True,
            on_upload: bool = False) -> bool:
        """Keep ``scenario`` as the draft of ``key`` (one atomic upsert). Returns False when
        the draft already held exactly this (nothing written, its time kept).

        Raises
        ------
        StoreError
            The draft is larger than :data:`MAX_DRAFT_BYTES`, or the file cannot be written.
        """
        self._check_key(key)
        doc, was = scenario.to_json(), _loaded_text(loaded)
        size = len(doc.encode("utf-8")) + len(was)
        if size > MAX_DRAFT_BYTES:
            raise DraftTooLargeError(f"These changes are too large to keep as a draft ({size / 1e6:.1f} MB; a draft may be at "
                             f"most {MAX_DRAFT_BYTES / 1e6:g} MB): save them on the Scenarios page so a reload keeps them.")
        now = datetime.now(timezone.utc)
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            changed = db.execute(
                "INSERT INTO drafts (key, document, loaded, unsaved, on_upload, saved_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET document = excluded.document, loaded = excluded.loaded, "
                "unsaved = excluded.unsaved, on_upload = excluded.on_upload, saved_at = excluded.saved_at "
                "WHERE document != excluded.document OR loaded != excluded.loaded OR unsaved != excluded.unsaved "
                "OR on_upload != excluded.on_upload",
                (key, doc, was, int(unsaved), int(on_upload), now.isoformat(timespec="microseconds")),
            ).rowcount
            if changed:
                self._prune(db, now)
            db.execute("COMMIT")
        return bool(changed)

    @staticmethod
    def _prune(db, now: datetime) -> None:
        """Drop drafts older than :data:`KEEP_DAYS`, then the least recently written past
        :data:`MAX_TOTAL_BYTES` (inside the caller's transaction)."""
        db.execute("DELETE FROM drafts WHERE saved_at < ?", ((now - timedelta(days=KEEP_DAYS)).isoformat(timespec="microseconds"),))
        db.execute(
            "DELETE FROM drafts WHERE key IN (SELECT key FROM (SELECT key, SUM(LENGTH(document) + LENGTH(loaded)) "
            "OVER (ORDER BY saved_at DESC, key) AS running FROM drafts) WHERE running > ?)",
            (MAX_TOTAL_BYTES,),
        )

    def get(self, key: str) -> Draft | None:
        """The draft of ``key``, or None.

        Raises
        ------
        DamagedDraftError
            The row cannot be read back as a scenario (the message says why); it is not
            restored, and the next :meth:`put` replaces it.
        """
        self._check_key(key)
        with self._connect() as db:
            row = db.execute("SELECT document, loaded, unsaved, on_upload, saved_at FROM drafts WHERE key = ?",
                             (key,)).fetchone()
        if row is None:
            return None
        try:
            scenario = scenario_from_json(row[0], "your draft")
            loaded = json.loads(row[1]) if row[1] else None
            if loaded is not None:
                loaded = {"name": str(loaded["name"]), "version": int(loaded["version"]),
                          "author": str(loaded.get("author", ""))}
            when = datetime.fromisoformat(row[4])
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
        except ValidationError as exc:
            what = exc.problems[0].message if exc.problems else "it is damaged"
            raise DamagedDraftError(f"Your draft cannot be read back ({what}), so it was not restored.") from None
        except (ValueError, TypeError, KeyError, AttributeError):
            raise DamagedDraftError("Your draft cannot be read back (it is damaged), so it was not restored.") from None
        return Draft(key, scenario, loaded, bool(row[2]), bool(row[3]), when)

    def discard(self, key: str) -> None:
        """Drop the draft of ``key`` (nothing happens if there is none)."""
        self._check_key(key)
        with self._connect() as db:
            db.execute("DELETE FROM drafts WHERE key = ?", (key,))

    def __len__(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM drafts").fetchone()[0]
