"""One entry point for a file a user uploads: read with the library's own checked readers
(the code the corpus tests exercise), in a private temporary folder that is always removed.

The app calls :func:`check_upload` once per distinct file (key its result on
:func:`upload_key`), never on every rerun.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import tempfile
from pathlib import Path

from placeplan.errors import Problem, ValidationError
from placeplan.model.region import Region
from placeplan.model.scenario import Scenario, apply_scenario

__all__ = ["MAX_UPLOAD_BYTES", "Upload", "check_upload", "upload_key"]

#: the largest file accepted from the browser (Streamlit's own cap is set to the same)
MAX_UPLOAD_BYTES = 50 * 1024**2
KINDS = {".gpkg": "region", ".json": "scenario"}


@dataclasses.dataclass
class Upload:
    """What an uploaded file turned out to be: a region, sites, a scenario, or problems."""

    kind: str
    region: Region | None = None
    scenario: Scenario | None = None
    problems: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)
    name: str = ""  #: the file's name as uploaded


def upload_key(name: str, data: bytes) -> str:
    """A key for caching an upload's check: its name and the SHA-256 of its bytes."""
    return f"{name}:{hashlib.sha256(data).hexdigest()}"


def check_upload(name: str, data: bytes, region: Region, kind: str | None = None) -> Upload:
    """Read and check an uploaded file; never raises for bad content.

    Parameters
    ----------
    name : str
        The file's name as the user knows it: every problem names it (never the temporary path).
    region : Region
        The shared base region: a sites file replaces its sites; a scenario is checked
        against it (:func:`placeplan.io.scenario_rows.check_against_region`).
    kind : {"region", "sites", "scenario"}, optional
        From the extension when omitted (``.gpkg`` region, ``.json`` scenario, else sites).
    """
    return dataclasses.replace(_read_upload(name, data, region, kind), name=name)


def _read_upload(name: str, data: bytes, region: Region, kind: str | None) -> Upload:
    import placeplan.io.bundle as bundle
    from placeplan.io.scenario_file import import_scenario
    from placeplan.io.tables import placement_warnings, read_sites, with_sites

    suffix = Path(name).suffix.lower()
    kind = kind or KINDS.get(suffix, "sites")
    if len(data) > MAX_UPLOAD_BYTES:
        return Upload(kind, problems=[Problem(name, "", None, None, f"the file is {len(data) / 1024**2:.0f} MB; "
                                                                    f"the limit is {MAX_UPLOAD_BYTES // 1024**2} MB")])
    folder = Path(tempfile.mkdtemp(prefix="placeplan-upload-"))
    path = folder / f"upload{suffix}"
    try:
        if kind == "scenario":
            doc = import_scenario(data, name, region=region)
            apply_scenario(region, doc)
            return Upload(kind, scenario=doc)
        path.write_bytes(data)
        if kind == "region":
            new = bundle.read_region(path).replace(source=name)
            return Upload(kind, region=new, warnings=placement_warnings(new, name))
        sites, traj = read_sites(path)
        new = with_sites(region, sites, traj, name)
        return Upload(kind, region=new, warnings=placement_warnings(new, name))
    except ValidationError as exc:
        return Upload(kind, problems=[dataclasses.replace(p, file=name if (not p.file or str(folder) in p.file) else p.file)
                                      for p in exc.problems])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
