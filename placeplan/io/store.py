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
from placeplan.io.roles import User
from placeplan.io.scenario_file import scenario_from_json
from placeplan.model.region import Region
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


class RefusedChangeError(PlaceplanError):
    """The user may not make some of the changes a save, delete or restore would make;
    ``refused`` lists each one."""

    def __init__(self, refused: list[str]):
        self.refused = list(refused)
        super().__init__("Not saved: " + "; ".join(self.refused))


class StoreError(PlaceplanError):
    """The scenario store cannot be used (missing, damaged, not a store, read-only, busy);
    the message names it by file name and says what to do."""


class StoreBusyError(StoreError):
    """Another save held the store for longer than :data:`BUSY_SECONDS`."""


#: how long a save waits for another process's save to finish before saying the store is busy
BUSY_SECONDS = 5.0


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


def _create_asked() -> bool:
    return os.environ.get("PLACEPLAN_STORE_CREATE", "").strip().lower() in ("1", "true", "yes")


class ScenarioStore:
    """Versioned scenarios in one SQLite file, safe for several processes at once.

    Parameters
    ----------
    path : path-like, optional
        The store file; :func:`default_store_path` when omitted.
    create : bool, optional
        Create the store (and its folder) if it does not exist. Default: only when
        ``$PLACEPLAN_STORE_CREATE`` is ``1``, or for the per-user default location (no
        ``$PLACEPLAN_STORE``); otherwise a missing store is a :class:`StoreError` (a mistyped
        path never silently starts an empty store).
    base : Region, optional
        The shared base region. With it, a save, delete or restore by a signed-in
        :class:`~placeplan.io.roles.User` is checked against the user's roles
        (:mod:`placeplan.io.rights`); without it such a call is refused.

    Raises
    ------
    StoreError
        Naming the store by its file name and what to do.
    """

    def __init__(self, path: str | os.PathLike | None = None, create: bool | None = None, base: Region | None = None):
        self.path = Path(path) if path is not None else default_store_path()
        self.base = base
        self.label = f"the scenario store '{self.path.name}'"
        if create is None:  # nobody typed the per-user default location: it may be started there
            create = _create_asked() or (not os.environ.get("PLACEPLAN_STORE") and self.path == default_store_path())
        if not self.path.exists():
            if not create:
                raise StoreError(f"There is no scenario store at {self.label} (check PLACEPLAN_STORE for a typo); "
                                 "to start a new, empty store, ask for one: ScenarioStore(path, create=True) or "
                                 "PLACEPLAN_STORE_CREATE=1.")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError:
                raise StoreError(f"Cannot create {self.label}: its folder cannot be made. Give the app's account "
                                 "write access, or set PLACEPLAN_STORE to a writable place.") from None
        elif self.path.is_dir():
            raise StoreError(f"{self.label} is a folder, not a store file: set PLACEPLAN_STORE to a file path.")
        else:
            with open(self.path, "rb") as fh:
                head = fh.read(16)
            if head and not head.startswith(b"SQLite format 3"):
                raise StoreError(f"{self.label} is not a scenario store (not an SQLite database): set PLACEPLAN_STORE "
                                 "to the store's file, or move this file away to start a new store.")
        with self._connect() as db:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "versions" not in tables:
                raise StoreError(f"{self.label} is an SQLite database of something else (tables {', '.join(sorted(tables)[:5])}), "
                                 "not placeplan scenarios: set PLACEPLAN_STORE to the store's file.")
            if "versions" in tables:
                cols = {r[1] for r in db.execute("PRAGMA table_info(versions)")}
                if not {"name", "version", "author", "council", "note", "saved_at", "deleted", "document"} <= cols:
                    raise StoreError(f"{self.label} has a 'versions' table that is not placeplan's: set PLACEPLAN_STORE "
                                     "to the store's file.")
            else:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)

    @contextmanager
    def _connect(self):
        try:
            db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._explain(exc) from None
        try:
            db.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
            db.execute("PRAGMA synchronous=FULL")
            yield db
        except BaseException as exc:
            if db.in_transaction:
                try:
                    db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            if isinstance(exc, sqlite3.Error):
                raise self._explain(exc) from None
            raise
        finally:
            db.close()

    def _explain(self, exc: sqlite3.Error) -> StoreError:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return StoreBusyError(f"{self.label} is busy: another save held it for more than {BUSY_SECONDS:g} s. "
                                  "Nothing was saved; try again in a moment.")
        if "readonly" in text or "read-only" in text or "unable to open" in text or "permission" in text:
            return StoreError(f"{self.label} cannot be written: the app's account needs write access to the file "
                              "and its folder (SQLite writes a journal beside it). Nothing was saved.")
        if "malformed" in text or "not a database" in text or "corrupt" in text or "disk image" in text:
            return StoreError(f"{self.label} is damaged ({exc}). Restore it from a backup, or move it away to start "
                              "a new store; report this to whoever runs the app.")
        return StoreError(f"{self.label} cannot be used: {exc}. Tell whoever runs the app.")

    def _latest(self, db, name: str):
        return db.execute(
            "SELECT version, author, saved_at, deleted, document FROM versions WHERE name = ? ORDER BY version DESC LIMIT 1",
            (name,),
        ).fetchone()

    def _check_rights(self, user: User, before: Scenario, after: Scenario, deleting: bool = False) -> None:
        """Refuse unless ``user`` may turn ``before`` into ``after`` (a delete or restore also
        needs an editing role: viewers and unknown accounts may not)."""
        from placeplan.io.rights import refused_edits, view_only

        if self.base is None:
            raise StoreError(f"{self.label} was opened without the shared base region, so rights cannot be "
                             "checked: open it with ScenarioStore(path, base=region).")
        refused = (deleting and view_only(user)) or refused_edits(self.base, before, after, user)
        if refused:
            raise RefusedChangeError(refused)

    def save(
        self,
        scenario: Scenario,
        author: str | User,
        council: str = "",
        note: str = "",
        expected_version: int | None = None,
    ) -> int:
        """Save a new version of ``scenario.name``; return its number.

        Parameters
        ----------
        author : str or User
            A signed-in :class:`~placeplan.io.roles.User`: the save is refused
            (:class:`RefusedChangeError`) unless the user may make every change against the
            *stored* latest version (against an empty scenario for a new or deleted one),
            judged on the store's base region; the council recorded is derived from the
            user's roles (``council`` only chooses among them). A plain name (open mode, no
            sign-in): no rights are checked and ``council`` is recorded as given.
        expected_version : int or None
            The version this edit started from (None for a new scenario). If the latest
            version differs, nothing is written and :class:`StaleScenarioError` says who
            saved what when.
        """
        name = scenario.name.strip()
        who = author.email if isinstance(author, User) else str(author)
        if not name:
            raise ValidationError([Problem(self.label, "scenario", None, "name", "a scenario needs a name")])
        if not who.strip():
            raise ValidationError([Problem(self.label, "scenario", None, "author", "say who is saving")])
        if isinstance(author, User):
            council = self._council(author, council)
        self._check_values(scenario)
        doc = scenario.to_json()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # one writer at a time: the check and the insert are one step
            row = self._latest(db, name)
            latest = None if row is None or row[3] else row[0]
            if latest != expected_version:
                db.execute("ROLLBACK")
                raise self._stale(name, row, latest, expected_version)
            if isinstance(author, User):
                before = Scenario(name=name) if latest is None else Scenario.from_json(row[4], self.label)
                self._check_rights(author, before, scenario)
            version = (row[0] if row is not None else 0) + 1
            db.execute(
                "INSERT INTO versions (name, version, author, council, note, saved_at, deleted, document) "
                "VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                (name, version, who.strip(), council, note, _now(), doc),
            )
            db.execute("COMMIT")
        return version

    def _check_values(self, scenario: Scenario) -> None:
        """Refuse to store a scenario ``forecast`` could not run (checked on the base region if known)."""
        from placeplan.io.scenario_file import check_scenario
        from placeplan.io.scenario_rows import check_against_region

        found = check_scenario(scenario, self.label)
        if not found and self.base is not None:
            found = check_against_region(self.base, scenario, self.label)
        if found:
            raise ValidationError(found)

    def _council(self, user: User, asked: str) -> str:
        from placeplan.io.rights import council_to_record

        if self.base is None:
            return ""
        council, problem = council_to_record(self.base, user, asked)
        if problem:
            raise RefusedChangeError([problem])
        return council

    @staticmethod
    def _stale(name: str, row, latest, expected_version) -> StaleScenarioError:
        if latest is None:
            return StaleScenarioError(
                f"Scenario '{name}' was deleted by {row[1]} at {row[2]} after you loaded version "
                f"{expected_version}. Save it under a new name, or restore it first."
            )
        if expected_version is None:
            return StaleScenarioError(
                f"A scenario named '{name}' already exists (version {latest}, saved by {row[1]} at {row[2]}). "
                "Load it first, or choose another name."
            )
        return StaleScenarioError(
            f"Scenario '{name}' was changed by {row[1]} at {row[2]} (now version {latest}) since you "
            f"loaded version {expected_version}. Your edit was not saved: load the latest version and "
            "apply your change again, or save under a new name."
        )

    def delete(self, name: str, author: str | User, expected_version: int) -> int:
        """Mark a scenario deleted: a new "deleted" version (a tombstone); history is kept and
        :meth:`restore` undoes it. Refused if stale (``expected_version`` is the version the
        user saw), and for a :class:`~placeplan.io.roles.User` unless they hold an editing
        role and may undo every change the scenario holds. Returns the tombstone's version."""
        who = author.email if isinstance(author, User) else str(author)
        if not who.strip():
            raise ValidationError([Problem(self.label, "scenario", None, "author", "say who is deleting")])
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            row = self._latest(db, name)
            if row is None or row[3]:
                db.execute("ROLLBACK")
                raise StaleScenarioError(f"No scenario named '{name}'.")
            if row[0] != expected_version:
                db.execute("ROLLBACK")
                raise StaleScenarioError(
                    f"Scenario '{name}' was changed by {row[1]} at {row[2]} (now version {row[0]}); not deleted."
                )
            if isinstance(author, User):
                self._check_rights(author, Scenario.from_json(row[4], self.label), Scenario(name=name), deleting=True)
            db.execute(
                "INSERT INTO versions (name, version, author, council, note, saved_at, deleted, document) "
                "VALUES (?, ?, ?, '', 'deleted', ?, 1, ?)",
                (name, row[0] + 1, who.strip(), _now(), row[4]),
            )
            db.execute("COMMIT")
            return row[0] + 1

    def restore(self, name: str, author: str | User, expected_version: int) -> int:
        """Undo a delete: a new version with the document the scenario had before it was
        deleted. ``expected_version`` is the deleted version's number; a
        :class:`~placeplan.io.roles.User` needs the rights to make every change it holds."""
        who = author.email if isinstance(author, User) else str(author)
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            row = self._latest(db, name)
            if row is None or not row[3]:
                db.execute("ROLLBACK")
                raise StaleScenarioError(f"Scenario '{name}' is not deleted; nothing to restore."
                                         if row is not None else f"No scenario named '{name}'.")
            if row[0] != expected_version:
                db.execute("ROLLBACK")
                raise StaleScenarioError(f"Scenario '{name}' changed since (now version {row[0]}); not restored.")
            if isinstance(author, User):
                self._check_rights(author, Scenario(name=name), Scenario.from_json(row[4], self.label), deleting=True)
            db.execute(
                "INSERT INTO versions (name, version, author, council, note, saved_at, deleted, document) "
                "VALUES (?, ?, ?, '', ?, ?, 0, ?)",
                (name, row[0] + 1, who.strip(), f"restored version {row[0] - 1}", _now(), row[4]),
            )
            db.execute("COMMIT")
            return row[0] + 1

    def _latest_versions(self, deleted: bool) -> list[Version]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT v.name, v.version, v.author, v.council, v.note, v.saved_at, v.deleted FROM versions v "
                "JOIN (SELECT name, MAX(version) AS version FROM versions GROUP BY name) m "
                "ON v.name = m.name AND v.version = m.version WHERE v.deleted = ? ORDER BY v.saved_at DESC, v.name",
                (int(deleted),),
            ).fetchall()
        return [Version(*r[:6], bool(r[6])) for r in rows]

    def list(self) -> list[Version]:
        """The latest version of every scenario that is not deleted, newest first."""
        return self._latest_versions(False)

    def deleted(self) -> list[Version]:
        """Scenarios whose latest version is a delete (:meth:`restore` brings them back), newest first."""
        return self._latest_versions(True)

    def history(self, name: str) -> list[Version]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT name, version, author, council, note, saved_at, deleted FROM versions WHERE name = ? ORDER BY version",
                (name,),
            ).fetchall()
        return [Version(*r[:6], bool(r[6])) for r in rows]

    def load(self, name: str, version: int | None = None) -> tuple[Scenario, Version]:
        """Any user may open any scenario (any version); no rights are needed to read."""
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
        return scenario_from_json(row[7], f"{self.label}: {name} v{row[1]}"), Version(*row[:6], bool(row[6]))


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
