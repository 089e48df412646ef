"""The roles file: which user may change which council's data, and how.

A CSV with columns ``email, council_code, role``; one row per user, council and role (a
user may have several). Roles: ``planner`` (sites and site levers), ``childrens_services``
(capacity changes, headroom), ``finance`` (costs, funding, price base), ``viewer`` (reads
only), ``admin`` (everything, every council). ``council_code`` ``*`` means every council.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from placeplan.errors import Problem, ValidationError
from placeplan.io.tables import read_table

ROLES = ("planner", "childrens_services", "finance", "viewer", "admin")


@dataclass(frozen=True)
class User:
    """A signed-in user: email and, per council, the roles they hold."""

    email: str
    grants: frozenset = field(default_factory=frozenset)  # {(council_code or "*", role)}

    def can(self, role: str, council_code: str) -> bool:
        return any(r == "admin" or (r == role and c in ("*", council_code)) for c, r in self.grants)

    @property
    def roles(self) -> set[str]:
        return {r for _, r in self.grants}


def roles_path() -> Path | None:
    env = os.environ.get("PLACEPLAN_ROLES")
    return Path(env) if env else None


def read_roles(path: str | os.PathLike) -> dict[str, frozenset]:
    """email (lower case) -> grants.

    Raises
    ------
    ValidationError
        Naming the roles file by its file name (never the server's path), the line (row 2 is
        the first under the header), the column and, for a role, the roles allowed.
    """
    file = Path(path).name
    try:
        table = read_table(path)
    except ValidationError as exc:
        raise ValidationError([dataclasses.replace(p, file=file, layer="roles") for p in exc.problems]) from None
    problems = []
    for col in ("email", "council_code", "role"):
        if col not in table.columns:
            problems.append(Problem(file, "roles", None, col, "required column is missing"))
    if problems:
        raise ValidationError(problems)
    out: dict[str, set] = {}
    for i, row in enumerate(table.itertuples(index=False), start=2):
        email, council, role = (_text(v) for v in (row.email, row.council_code, row.role))
        email = email.lower()
        if "@" not in email:
            problems.append(Problem(file, "roles", i, "email", f"{row.email!r} is not an email address"))
        if role not in ROLES:
            problems.append(Problem(file, "roles", i, "role", f"{role!r} is not one of {', '.join(ROLES)}"))
        if not council:
            problems.append(Problem(file, "roles", i, "council_code", "value is missing (use * for every council)"))
        out.setdefault(email, set()).add((council, role))
    if problems:
        raise ValidationError(problems)
    return {k: frozenset(v) for k, v in out.items()}


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()


def user_for(email: str, roles: dict[str, frozenset]) -> User:
    """The user with their grants; someone not in the roles file may only view."""
    email = (email or "").strip().lower()
    return User(email, roles.get(email, frozenset({("*", "viewer")})))
