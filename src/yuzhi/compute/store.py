"""Filesystem artifact store: content-addressed objects plus one workspace per job.

Layout under ``root`` (``get_settings().artifact_dir`` by default; put it on the cluster's shared
filesystem, e.g. NFS or Lustre, so Slurm nodes see the same paths)::

    objects/ab/cdef0123...      content, named by SHA-256 (written once, read-only)
    jobs/<key>/inputs/<name>    a job's inputs (hard links to objects when possible, else copies);
                                an input named ``X.zip`` is unpacked into the folder ``inputs/X/``
                                (a folder of images, a trained model)
    jobs/<key>/outputs/         whatever the job writes there; collected into objects when it ends,
                                each top-level folder also as one ``<folder>.zip`` (so a trained
                                model can be the ``model.zip`` input of the next job)
    jobs/<key>/job.log          the job's stdout and stderr

Content addressing makes re-uploads free and lets a bill or audit entry cite exactly which bytes
a job consumed and produced.

>>> import tempfile
>>> store = ArtifactStore(tempfile.mkdtemp())
>>> store.put_bytes(b"hello").sha256[:12]
'2cf24dba5fb0'
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from yuzhi.errors import InvalidInput, NotFound

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_NAME_RE = re.compile(r"^[^/\\\x00]{1,200}$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Artifact:
    """One stored object: its hash, size and (for job files) its name in the job's folder."""

    sha256: str
    size: int
    name: str = ""


def _check_name(name: str, field: str) -> None:
    if not _NAME_RE.match(name) or name in (".", ".."):
        raise InvalidInput(f"artifact name {name!r} is not a plain file name", field=field,
                           fix="use a file name without '/' (no folders, no '..')")


class ArtifactStore:
    """Content-addressed files and per-job workspaces under ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def object_path(self, sha256: str) -> Path:
        if not _SHA_RE.match(sha256):
            raise InvalidInput(f"{sha256!r} is not a SHA-256 hex digest", field="sha256",
                               fix="give the 64 lowercase hex characters returned by the upload")
        return self.root / "objects" / sha256[:2] / sha256[2:]

    def has(self, sha256: str) -> bool:
        return self.object_path(sha256).exists()

    def _ingest(self, tmp: Path, digest: str, size: int, name: str) -> Artifact:
        dest = self.object_path(digest)
        if dest.exists():
            tmp.unlink()
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, 0o444)
            os.replace(tmp, dest)
        return Artifact(digest, size, name)

    def _tmp(self) -> Path:
        d = self.root / "tmp"
        d.mkdir(parents=True, exist_ok=True)
        return d / f"up-{os.getpid()}-{os.urandom(6).hex()}"

    def put_bytes(self, data: bytes, name: str = "", *, owner: str | None = None) -> Artifact:
        """Store bytes; returns their artifact (idempotent). ``owner``: the uploader's tenant key."""
        tmp = self._tmp()
        tmp.write_bytes(data)
        art = self._ingest(tmp, hashlib.sha256(data).hexdigest(), len(data), name)
        if owner:
            self.grant(art.sha256, owner)
        return art

    def put_file(self, path: str | Path, name: str | None = None, *, owner: str | None = None) -> Artifact:
        """Store a file's content (streamed); ``name`` defaults to the file's name."""
        path = Path(path)
        if not path.is_file():
            raise NotFound(f"input file {path} does not exist", field="path", fix="check the path")
        tmp = self._tmp()
        h = hashlib.sha256()
        size = 0
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        art = self._ingest(tmp, h.hexdigest(), size, name or path.name)
        if owner:
            self.grant(art.sha256, owner)
        return art

    # --- who may use an object (tenant walls) --------------------------------------------------
    #
    # Objects are shared by content, so "is it in the store" says nothing about who may read it.
    # An upload records its uploader's tenant under ``owners/<sha>/<owner>`` (an empty marker file,
    # written next to the bytes it guards); a job may then take as input only what its tenant
    # uploaded or what its tenant's own jobs used or produced (see ``service.may_use``).

    def _owners(self, sha256: str) -> Path:
        self.object_path(sha256)  # validates the digest
        return self.root / "owners" / sha256[:2] / sha256[2:]

    def grant(self, sha256: str, owner: str) -> None:
        """Record that ``owner`` (a tenant key such as ``org-12``) put this object in the store."""
        _check_name(owner, "owner")
        d = self._owners(sha256)
        d.mkdir(parents=True, exist_ok=True)
        (d / owner).touch()

    def owned_by(self, sha256: str, owner: str) -> bool:
        _check_name(owner, "owner")
        return (self._owners(sha256) / owner).exists()

    def read_bytes(self, sha256: str) -> bytes:
        path = self.object_path(sha256)
        if not path.exists():
            raise NotFound(f"artifact {sha256[:12]}… is not in the store", field="sha256",
                           fix="upload it first")
        return path.read_bytes()

    def job_dir(self, key: str) -> Path:
        _check_name(key, "job")
        return self.root / "jobs" / key

    def materialize(self, key: str, inputs: dict[str, str]) -> Path:
        """Create the job's workspace with its inputs (``name → sha256``); returns the folder.

        Every input is checked before anything is written, so a missing artifact changes nothing.
        """
        for name, sha in inputs.items():
            _check_name(name, f"inputs.{name}")
            if not self.has(sha):
                raise NotFound(f"input {name!r} refers to artifact {sha[:12]}… which is not in the store",
                               field=f"inputs.{name}", fix="upload the file first (yuzhi compute upload)")
        d = self.job_dir(key)
        (d / "inputs").mkdir(parents=True, exist_ok=True)
        (d / "outputs").mkdir(exist_ok=True)
        for name, sha in inputs.items():
            if name.lower().endswith(".zip") and len(name) > 4:
                _unzip(self.object_path(sha), d / "inputs" / name[:-4], field=f"inputs.{name}")
                continue
            dest = d / "inputs" / name
            if dest.exists():
                continue
            try:
                os.link(self.object_path(sha), dest)
            except OSError:
                shutil.copyfile(self.object_path(sha), dest)
        return d

    def collect_outputs(self, key: str) -> list[Artifact]:
        """Hash every regular file under the job's ``outputs/`` into the store (sorted by name)."""
        out = self.job_dir(key) / "outputs"
        if not out.is_dir():
            return []
        found = []
        for path in sorted(p for p in out.rglob("*") if p.is_file() and not p.is_symlink()):
            art = self.put_file(path, name=path.relative_to(out).as_posix())
            found.append(art)
        for folder in sorted(p for p in out.iterdir() if p.is_dir() and not p.is_symlink()):
            found.append(self.put_bytes(_zip_folder(folder), name=f"{folder.name}.zip"))
        return found


def _zip_folder(folder: Path) -> bytes:
    """A deterministic zip of a folder (sorted names, fixed timestamps): same files, same hash."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return buf.getvalue()


def _unzip(archive: Path, dest: Path, *, field: str) -> None:
    """Unpack into ``dest``, refusing absolute paths and ``..`` (zip-slip) before writing anything."""
    try:
        with zipfile.ZipFile(archive) as zf:
            names = [i for i in zf.infolist() if not i.is_dir()]
            for info in names:
                parts = Path(info.filename).parts
                if info.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                    raise InvalidInput(f"archive member {info.filename!r} would land outside its folder",
                                       field=field, fix="zip the folder's contents with relative paths")
            dest.mkdir(parents=True, exist_ok=True)
            for info in names:
                target = dest / info.filename
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    except zipfile.BadZipFile:
        raise InvalidInput(f"{field} is named .zip but is not a zip archive", field=field,
                           fix="upload a real zip, or rename the input without .zip") from None
