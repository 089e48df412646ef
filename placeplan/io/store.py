"""The shared scenario store: an SQLite file every user of one app writes to.

Each save makes a new version recording author, council, note and time. A save names the
version it started from; if someone else has saved a newer version since, the save is
refused (:class:`StaleScenarioError`) so no edit is silently overwritten. SQLite commits
are atomic, so a process killed mid-save leaves every earlier version intact.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from placeplan.errors import PlaceplanError, Problem, ValidationError
from placeplan.io.scenario_file import export_scenario, import_scenario, scenario_from_json  # noqa: F401  (re-exported)
from placeplan.model.scenario import Scenario

SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    author TEXT NOT NULL,
    council TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    saved_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    document TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
"""


class StaleScenarioError(PlaceplanError):
    """The scenario was saved by someone else after the version this save started from."""


@dataclass(frozen=True)
class Version:
    name: str
    version: int
    author: str
    council: str
    note: str
    saved_at: str
    deleted: bool


def default_store_path() -> Path:
    """``$PLACEPLAN_STORE``, else ``scenarios.sqlite`` in the user's data directory."""
    env = os.environ.get("PLACEPLAN_STORE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "placeplan" / "scenarios.sqlite"


class ScenarioStore:
    """Versioned scenarios in one SQLite file, safe for several processes at once."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self):
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=30000")
            db.execute("PRAGMA synchronous=FULL")
            yield db
        finally:
            db.close()

    def save(
        self,
        scenario: Scenario,
        author: str,
        council: str = "",
        note: str = "",
        expected_version: int | None = None,
    ) -> int:
        """Save a new version of ``scenario.name``; return its number.

        Parameters
        ----------
        expected_version : int or None
            The version this edit started from (None for a new scenario). If the latest
            version differs, nothing is written and :class:`StaleScenarioError` says who
            saved what when.
        """
        name = scenario.name.strip()
        if not name:
            raise ValidationError([Problem(str(self.path), "scenario", None, "name", "a scenario needs a name")])
        if not author.strip():
            raise ValidationError([Problem(str(self.path), "scenario", None, "author", "say who is saving")])
        doc = scenario.to_json()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # one writer at a time: the check and the insert are one step
            try:
                row = db.execute(
                    "SELECT version, author, saved_at, deleted FROM versions WHERE name = ? ORDER BY version DESC LIMIT 1",
                    (name,),
                ).fetchone()
                latest = None if row is None or row[3] else row[0]
                if row is not None and row[3] and expected_version is None:
                    latest = None
                if latest != expected_version:
                    db.execute("ROLLBACK")
                    if latest is None:
                        raise StaleScenarioError(
                            f"Scenario '{name}' was deleted by {row[1]} at {row[2]} after you loaded version "
                            f"{expected_version}. Save it under a new name, or save again to recreate it."
                        )
                    if expected_version is None:
                        raise StaleScenarioError(
                            f"A scenario named '{name}' already exists (version {latest}, saved by {row[1]} at {row[2]}). "
                            "Load it first, or choose another name."
                        )
                    raise StaleScenarioError(
                        f"Scenario '{name}' was changed by {row[1]} at {row[2]} (now version {latest}) since you "
                        f"loaded version {expected_version}. Your edit was not saved: load the latest version and "
                        "apply your change again, or save under a new name."
                    )
                version = (row[0] if row is not None else 0) + 1
                db.execute(
                    "INSERT INTO versions (name, version, author, council, note, saved_at, deleted, document) "
                    "VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                    (name, version, author.strip(), council, note, _now(), doc),
                )
                db.execute("COMMIT")
            except sqlite3.Error:
                db.execute("ROLLBACK")
                raise
        return version

    def delete(self, name: str, author: str, expected_version: int | None = None) -> int:
        """Mark a scenario deleted (a new version; history is kept). Refused if stale."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT version, author, saved_at, deleted, document FROM versions WHERE name = ? ORDER BY version DESC LIMIT 1",
                (name,),
            ).fetchone()
            if row is None or row[3]:
                db.execute("ROLLBACK")
                raise StaleScenarioError(f"No scenario named '{name}'.")
            if expected_version is not None and row[0] != expected_version:
                db.execute("ROLLBACK")
                raise StaleScenarioError(
                    f"Scenario '{name}' was changed by {row[1]} at {row[2]} (now version {row[0]}); not deleted."
                )
            db.execute(
                "INSERT INTO versions (name, version, author, council, note, saved_at, deleted, document) "
                "VALUES (?, ?, ?, '', 'deleted', ?, 1, ?)",
                (name, row[0] + 1, author, _now(), row[4]),
            )
            db.execute("COMMIT")
            return row[0] + 1

    def list(self) -> list[Version]:
        """The latest version of every scenario that is not deleted, newest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT v.name, v.version, v.author, v.council, v.note, v.saved_at, v.deleted FROM versions v "
                "JOIN (SELECT name, MAX(version) AS version FROM versions GROUP BY name) m "
                "ON v.name = m.name AND v.version = m.version WHERE v.deleted = 0 ORDER BY v.saved_at DESC, v.name"
            ).fetchall()
        return [Version(*r[:6], bool(r[6])) for r in rows]

    def history(self, name: str) -> list[Version]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT name, version, author, council, note, saved_at, deleted FROM versions WHERE name = ? ORDER BY version",
                (name,),
            ).fetchall()
        return [Version(*r[:6], bool(r[6])) for r in rows]

    def load(self, name: str, version: int | None = None) -> tuple[Scenario, Version]:
        with self._connect() as db:
            if version is None:
                row = db.execute(
                    "SELECT name, version, author, council, note, saved_at, deleted, document FROM versions "
                    "WHERE name = ? ORDER BY version DESC LIMIT 1",
                    (name,),
                ).fetchone()
            else:
                row = db.execute(
                    "SELECT name, version, author, council, note, saved_at, deleted, document FROM versions "
                    "WHERE name = ? AND version = ?",
                    (name, version),
                ).fetchone()
        if row is None or (version is None and row[6]):
            raise StaleScenarioError(f"No scenario named '{name}'" + (f" version {version}" if version else "") + ".")
        return scenario_from_json(row[7], f"{self.path}:{name} v{row[1]}"), Version(*row[:6], bool(row[6]))


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
