"""``yuzhi backup`` and ``yuzhi restore``: a consistent snapshot of the database plus the files under
YUZHI_HOME (artifacts, models, knowledge bases, audit anchors), in one tar file with a manifest.

* SQLite: the online backup API (a consistent copy while the server keeps writing).
* PostgreSQL: ``pg_dump`` (custom format), which reads everything in one repeatable-read snapshot;
  restored with ``pg_restore --single-transaction``, so a failed restore leaves the database empty.

Restore goes only into an empty home and an empty database, and checks the whole archive against
its manifest (SHA-256 of every member) in a staging folder before anything is put in place: a
corrupt, truncated or foreign file is refused and nothing is changed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from yuzhi.errors import Conflict, InvalidInput
from yuzhi.ops.manifest import MANIFEST, Entry, Manifest, check_member_path, sha256_of

SQLITE_MEMBER = "database/yuzhi.sqlite"
PG_MEMBER = "database/postgresql.dump"
_SKIP_DIRS = {"run"}  # per-process state (metrics files) is not data
_SKIP_SUFFIXES = (".leader", "-wal", "-shm", "-journal")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest
    seconds: float
    bytes: int


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    seconds: float
    files: int


# --- helpers -----------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    if not u.database or u.database == ":memory:":
        raise InvalidInput("an in-memory SQLite database cannot be backed up or restored", field="database",
                           fix="set YUZHI_DATABASE_URL to a file or to PostgreSQL")
    return Path(u.database).resolve()


def _libpq_url(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump/pg_restore, with the password moved into PGPASSWORD (not argv)."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    u = u.set(drivername="postgresql", password=None)
    return u.render_as_string(hide_password=False), env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise InvalidInput(f"{name} is not installed on this host; it is needed for PostgreSQL backups",
                           field=name, fix="install the PostgreSQL client of the server's major version "
                           "(Debian: apt install postgresql-client)")
    return path


def _home_files(home: Path, exclude: set[Path]) -> list[tuple[Path, str]]:
    """(absolute path, archive path) of every regular file under home, in a stable order."""
    out: list[tuple[Path, str]] = []
    if not home.is_dir():
        return out
    for root, dirs, files in os.walk(home):
        rel_root = Path(root).relative_to(home)
        dirs[:] = sorted(d for d in dirs if not (rel_root == Path(".") and d in _SKIP_DIRS)
                         and not d.startswith(".yuzhi-"))
        for name in sorted(files):
            p = Path(root) / name
            if p.resolve() in exclude or name.endswith(_SKIP_SUFFIXES) or not p.is_file() or p.is_symlink():
                continue
            out.append((p, (Path("home") / rel_root / name).as_posix()))
    return out


def _revisions_of_sqlite(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in con.execute("SELECT version_num FROM alembic_version"))
    finally:
        con.close()


# --- backup ------------------------------------------------------------------------------------


def backup(url: str, home: Path, out: Path) -> BackupResult:
    """Write a backup of the database at ``url`` and the files under ``home`` to ``out``."""
    from yuzhi import __version__
    from yuzhi.db import make_engine
    from yuzhi.ops.schema import SchemaStatus, schema_state

    t0 = time.perf_counter()
    out = out.resolve()
    if out.exists():
        raise Conflict(f"{out} exists already; a backup never overwrites a file", field="--out",
                       fix="choose a new file name (e.g. with the date: yuzhi-$(date +%F).tar.gz)")
    if not out.parent.is_dir():
        raise InvalidInput(f"folder {out.parent} does not exist", field="--out", fix="create it first")
    engine = make_engine(url)
    try:
        state = schema_state(engine)
    finally:
        engine.dispose()
    if state.status == SchemaStatus.EMPTY:
        raise InvalidInput("the database is empty: there is nothing to back up", field="database",
                           fix="check YUZHI_DATABASE_URL / YUZHI_HOME point at the live system")
    with tempfile.TemporaryDirectory(prefix=".yuzhi-backup-", dir=out.parent) as tmp:
        staged: list[tuple[Path, str]] = []
        db_path = _sqlite_path(url)
        if db_path is not None:
            snap = Path(tmp) / "yuzhi.sqlite"
            src, dst = sqlite3.connect(db_path), sqlite3.connect(snap)
            try:
                with dst:
                    src.backup(dst)  # online backup API: a consistent copy while others write
            finally:
                src.close()
                dst.close()
            revisions, dialect, member = _revisions_of_sqlite(snap), "sqlite", SQLITE_MEMBER
            exclude = {db_path, *(db_path.with_name(db_path.name + s) for s in ("-wal", "-shm", "-journal"))}
        else:
            dump = Path(tmp) / "postgresql.dump"
            libpq, env = _libpq_url(url)
            proc = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                                   f"--file={dump}", f"--dbname={libpq}"], env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise InvalidInput(f"pg_dump failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr else '?'}",
                                   field="database", fix="check that pg_dump's major version is at least the "
                                   "server's (pg_dump --version) and that the database is reachable")
            revisions, dialect, member, exclude = list(state.current), "postgresql", PG_MEMBER, set()
            snap = dump
        staged.append((snap, member))
        staged += _home_files(home.resolve(), exclude | {out})
        entries = []
        for path, arc in staged:
            with path.open("rb") as f:
                digest, size = sha256_of(f)
            entries.append(Entry(arc, digest, size))
        manifest = Manifest(created_at=datetime.now(UTC).isoformat(timespec="seconds"), yuzhi_version=__version__,
                            dialect=dialect, database_file=member, revisions=revisions, entries=entries)
        partial = out.with_name(out.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds password hashes
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            info = tarfile.TarInfo(MANIFEST)
            body = manifest.to_json()
            info.size, info.mtime, info.mode = len(body), int(time.time()), 0o600
            import io

            tar.addfile(info, io.BytesIO(body))
            for (path, arc), entry in zip(staged, entries, strict=True):
                info = tar.gettarinfo(str(path), arcname=arc)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                if info.size != entry.size:
                    raise Conflict(f"{path} changed while the backup was written", field="home",
                                   fix="run the backup again")
                with path.open("rb") as f:
                    tar.addfile(info, f)
        os.replace(partial, out)
    return BackupResult(out, manifest, time.perf_counter() - t0, out.stat().st_size)


# --- restore -----------------------------------------------------------------------------------


def read_manifest(archive: Path) -> Manifest:
    """The manifest of ``archive``, or a clear error for anything that is not a yuzhi backup."""
    if not archive.is_file():
        raise InvalidInput(f"{archive} does not exist or is not a file", field="FILE",
                           fix="give the path of a file written by yuzhi backup --out")
    with archive.open("rb") as f:
        magic = f.read(2)
    if magic != b"\x1f\x8b":
        raise InvalidInput(f"{archive} is not a readable yuzhi backup (not a gzip file)", field="FILE",
                           fix="give a file written by yuzhi backup --out")
    try:
        _check_gzip_stream(archive)
        with tarfile.open(archive, mode="r:gz") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise InvalidInput(f"{archive} is not a yuzhi backup (no manifest.json first)", field="FILE",
                                   fix="give a file written by yuzhi backup --out")
            member = tar.extractfile(first)
            assert member is not None
            return Manifest.from_json(member.read())
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise InvalidInput(f"{archive} is not a readable yuzhi backup ({type(exc).__name__}: {exc})",
                           field="FILE", fix="give a complete file written by yuzhi backup --out "
                           "(a copy cut short or altered is refused)") from None
    except ValueError as exc:
        raise InvalidInput(f"{archive} is not a usable yuzhi backup: {exc}", field="FILE",
                           fix="give a file written by yuzhi backup --out") from None


def _check_gzip_stream(archive: Path) -> None:
    """Read the whole compressed stream: gzip's CRC-32 and length trailer catch any altered or missing
    byte, including in the manifest itself (tar stops reading before the trailer)."""
    import gzip

    with gzip.open(archive, "rb") as f:
        while f.read(1 << 20):
            pass


def _stage(archive: Path, manifest: Manifest, staging: Path) -> None:
    """Extract every member into ``staging``, checking it against the manifest (size and SHA-256)."""
    import hashlib

    expected = {e.path: e for e in manifest.entries}
    seen: set[str] = set()
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                try:
                    check_member_path(member.name)
                except ValueError as exc:
                    raise InvalidInput(f"{archive}: {exc}", field="FILE", fix="use an unaltered backup") from None
                entry = expected.get(member.name)
                if entry is None or not member.isfile() or member.name in seen:
                    raise InvalidInput(f"{archive}: member {member.name!r} is not listed in its manifest "
                                       "(altered backup)", field="FILE", fix="use an unaltered backup")
                seen.add(member.name)
                target = staging / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(member)
                assert src is not None
                h, n = hashlib.sha256(), 0
                with target.open("wb") as dst:
                    for chunk in iter(lambda: src.read(1 << 20), b""):  # noqa: B023 - consumed here
                        h.update(chunk)
                        n += len(chunk)
                        dst.write(chunk)
                if h.hexdigest() != entry.sha256 or n != entry.size:
                    raise InvalidInput(f"{archive}: {member.name} does not match its checksum (corrupt backup)",
                                       field="FILE", fix="use another copy of the backup")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise InvalidInput(f"{archive} is damaged ({type(exc).__name__}: {exc})", field="FILE",
                           fix="use another, complete copy of the backup") from None
    missing = set(expected) - seen
    if missing:
        raise InvalidInput(f"{archive} lacks {len(missing)} file(s) its manifest lists, e.g. {sorted(missing)[0]}",
                           field="FILE", fix="use a complete copy of the backup")


def _refuse_non_empty_target(url: str, home: Path, manifest: Manifest) -> None:
    from yuzhi.db import make_engine
    from yuzhi.ops.schema import _script

    known = {rev.revision for rev in _script().walk_revisions()}
    unknown = [r for r in manifest.revisions if r not in known]
    if unknown:
        raise Conflict(f"the backup was made by a newer yuzhi (revisions {', '.join(unknown)} are unknown here); "
                       "nothing was changed", field="FILE", fix=f"restore with yuzhi {manifest.yuzhi_version} or newer")
    dialect = "sqlite" if _sqlite_path(url) is not None else "postgresql"
    if dialect != manifest.dialect:
        raise InvalidInput(f"the backup holds a {manifest.dialect} database but YUZHI_DATABASE_URL is {dialect}; "
                           "nothing was changed", field="YUZHI_DATABASE_URL",
                           fix=f"restore into a {manifest.dialect} database")
    if home.exists() and any(home.iterdir()):
        raise Conflict(f"the home folder {home} is not empty; restore never overwrites a live system",
                       field="YUZHI_HOME", fix="point YUZHI_HOME at a new, empty folder (move the old one aside first)")
    db_path = _sqlite_path(url)
    if db_path is not None:
        if db_path.exists() and db_path.stat().st_size > 0:
            raise Conflict(f"the database file {db_path} exists and is not empty; nothing was changed",
                           field="YUZHI_DATABASE_URL", fix="restore into a new file (or move the old one aside)")
        return
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise Conflict(f"the target database already has {len(tables)} table(s) (e.g. {sorted(tables)[0]}); "
                       "nothing was changed", field="YUZHI_DATABASE_URL",
                       fix="create a new empty database (createdb) and point YUZHI_DATABASE_URL at it")


def restore(url: str, home: Path, archive: Path) -> RestoreResult:
    """Restore ``archive`` into the empty database ``url`` and the empty folder ``home``."""
    t0 = time.perf_counter()
    archive, home = archive.resolve(), home.resolve()
    manifest = read_manifest(archive)
    _refuse_non_empty_target(url, home, manifest)
    home.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".yuzhi-restore-", dir=home.parent) as tmp:
        staging = Path(tmp)
        _stage(archive, manifest, staging)
        snap = staging / manifest.database_file
        db_path = _sqlite_path(url)
        if db_path is not None:
            con = sqlite3.connect(snap)
            try:
                ok = con.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                con.close()
            if ok != "ok":
                raise InvalidInput(f"the database in {archive} fails SQLite's integrity check ({ok})",
                                   field="FILE", fix="use another copy of the backup")
        else:
            libpq, env = _libpq_url(url)
            proc = subprocess.run([_pg_tool("pg_restore"), "--exit-on-error", "--single-transaction", "--no-owner",
                                   "--no-privileges", f"--dbname={libpq}", str(snap)],
                                  env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "?"
                raise InvalidInput(f"pg_restore failed, the database was left empty: {last}", field="FILE",
                                   fix="check that pg_restore's major version is at least the dump's, and that "
                                   "the target database is empty")
        files = 0
        home.mkdir(parents=True, exist_ok=True)
        staged_home = staging / "home"
        if staged_home.is_dir():
            for item in staged_home.iterdir():
                shutil.move(str(item), home / item.name)
            files = sum(1 for e in manifest.entries if e.path.startswith("home/"))
        if db_path is not None:  # last: the database appears only once everything else is in place
            db_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(snap), db_path)
    return RestoreResult(manifest, time.perf_counter() - t0, files)
