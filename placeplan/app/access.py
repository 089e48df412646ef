"""Who may change what: re-exported from the library (:mod:`placeplan.io.rights`), where the
scenario store checks every save and delete."""

from placeplan.io.rights import ASSUMPTION_ROLE, refused_deletion, refused_edits

__all__ = ["ASSUMPTION_ROLE", "refused_deletion", "refused_edits"]
