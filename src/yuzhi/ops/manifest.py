"""The backup manifest: what a backup holds and the SHA-256 of every file. Pure (no database).

A backup is a tar file (``.tar.gz``) whose first member is ``manifest.json``; ``yuzhi restore``
reads it, checks every member against it, and refuses anything else (a corrupt, truncated or
foreign file) before it touches the target.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import BinaryIO

FORMAT = "yuzhi-backup"
VERSION = 1
MANIFEST = "manifest.json"


@dataclass
class Entry:
    path: str  # inside the archive, POSIX, relative ("database/..." or "home/...")
    sha256: str
    size: int


@dataclass
class Manifest:
    created_at: str
    yuzhi_version: str
    dialect: str  # sqlite | postgresql
    database_file: str  # archive path of the database snapshot
    revisions: list[str]  # alembic_version of the snapshot
    entries: list[Entry] = field(default_factory=list)
    format: str = FORMAT
    version: int = VERSION

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        """Parse and validate; raises ValueError with a plain reason."""
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"manifest.json is not valid JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("manifest.json is not a yuzhi backup manifest")
        if data.get("version") != VERSION:
            raise ValueError(f"backup format version {data.get('version')!r} is not supported "
                             f"(this yuzhi reads {VERSION})")
        try:
            entries = [Entry(str(e["path"]), str(e["sha256"]), int(e["size"])) for e in data["entries"]]
            m = cls(created_at=str(data["created_at"]), yuzhi_version=str(data["yuzhi_version"]),
                    dialect=str(data["dialect"]), database_file=str(data["database_file"]),
                    revisions=[str(r) for r in data["revisions"]], entries=entries)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"manifest.json lacks or garbles a field ({exc})") from None
        if m.dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"unknown database kind {m.dialect!r} in the manifest")
        for e in m.entries:
            check_member_path(e.path)
        if m.database_file not in {e.path for e in m.entries}:
            raise ValueError("the manifest names a database snapshot that it does not list")
        return m


def check_member_path(path: str) -> None:
    """Refuse absolute paths, ``..`` and anything outside ``database/`` and ``home/``."""
    p = PurePosixPath(path)
    if p.is_absolute() or ".." in p.parts or not p.parts or p.parts[0] not in ("database", "home") \
            or len(p.parts) < 2:
        raise ValueError(f"unsafe or unexpected path {path!r} in the backup")


def sha256_of(f: BinaryIO) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
        n += len(chunk)
    return h.hexdigest(), n
