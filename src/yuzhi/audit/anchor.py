"""Signed checkpoints of the audit chains' heads, kept outside the database (pure core: files only).

Why: a hash chain proves that no *anchored* record was edited, reordered or removed, but someone
with write access to the database can delete the newest records, drop a whole tenant's chain, or
rewrite a chain and recompute every hash. A checkpoint pins each chain's head ``(seq, hash)`` at a
moment; it is appended to a JSON-lines file outside the database and authenticated with
HMAC-SHA256 under a key that is not in the database either. ``yuzhi audit verify`` then needs the
database to still contain every anchored event, with the anchored hash, so cutting the tail,
dropping a chain or rehashing a chain shows, without an operator having to remember a head.

Each line: ``{"v": 1, "n": k, "at": ISO-UTC, "heads": {"<chain>": [seq, hash], ...}, "combined":
sha256 of every chain's head, "prev": sha256 of the previous line, "kid": key id, "mac": HMAC}``.
``heads`` holds only the chains that moved since the previous line (the file stays small);
``combined`` covers all of them, and is the one value published on the public page. ``prev``
chains the lines, so a line removed from the middle of the file shows too.

Keys: a key ring file (``{"kid", "key", "created"}`` per line, mode 0600). The newest key signs;
older keys stay to verify older lines (rotation never invalidates the past). ``YUZHI_AUDIT_KEY``
adds a key held only in the environment; when set it is the one that signs.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from yuzhi.audit.chain import canonical_json, combined_head

VERSION = 1


class AnchorError(Exception):
    """The anchor file or the key ring cannot be used (missing key, unreadable line)."""


# --- keys ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    kid: str
    secret: bytes


def _kid_of(secret: bytes) -> str:
    return "k-" + hashlib.sha256(b"yuzhi-audit-kid:" + secret).hexdigest()[:12]


@dataclass
class KeyRing:
    """Signing and verification keys. ``path`` is the ring file; ``env_secret`` an extra key."""

    path: Path
    env_secret: str = ""
    keys: list[Key] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path, env_secret: str = "") -> KeyRing:
        ring = cls(path=path, env_secret=env_secret)
        if path.is_file():
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    ring.keys.append(Key(row["kid"], bytes.fromhex(row["key"])))
                except (ValueError, KeyError, TypeError) as exc:
                    raise AnchorError(f"key ring {path} line {n} is unreadable: {exc}") from exc
        if env_secret:
            secret = env_secret.encode()
            ring.keys.append(Key(_kid_of(secret), secret))
        return ring

    def by_id(self, kid: str) -> Key | None:
        return next((k for k in self.keys if k.kid == kid), None)

    def signing_key(self, *, create: bool = True) -> Key:
        """The newest key; the first use creates the ring file (0600) with a random 256-bit key."""
        if self.env_secret:
            return self.keys[-1]
        if not self.keys:
            if not create:
                raise AnchorError(f"no audit key in {self.path}")
            return self.rotate()
        return self.keys[-1]

    def rotate(self) -> Key:
        """Append a new random key; it signs from now on, older keys keep verifying older lines."""
        secret = secrets.token_bytes(32)
        key = Key(_kid_of(secret), secret)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as f:
            f.write(json.dumps({"kid": key.kid, "key": secret.hex(),
                                "created": datetime.now(UTC).isoformat()}) + "\n")
        os.chmod(self.path, 0o600)
        # the environment key (if any) stays last: it is the one that signs
        self.keys.insert(len(self.keys) - (1 if self.env_secret else 0), key)
        return key


def mac_of(key: Key, body: dict[str, object]) -> str:
    return hmac.new(key.secret, canonical_json(body).encode(), hashlib.sha256).hexdigest()


# --- checkpoints -----------------------------------------------------------------------------


Heads = dict[int, tuple[int, str]]


@dataclass(frozen=True)
class Checkpoint:
    n: int
    at: str
    heads: Heads  # only the chains that moved since the previous line
    combined: str
    prev: str
    kid: str
    mac: str
    line: str  # the stored text, for chaining and export

    def body(self) -> dict[str, object]:
        return {"v": VERSION, "n": self.n, "at": self.at,
                "heads": {str(c): [s, h] for c, (s, h) in sorted(self.heads.items())},
                "combined": self.combined, "prev": self.prev, "kid": self.kid}


def line_hash(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()


def parse_line(line: str, n: int) -> Checkpoint:
    try:
        row = json.loads(line)
        heads = {int(c): (int(v[0]), str(v[1])) for c, v in row["heads"].items()}
        return Checkpoint(int(row["n"]), str(row["at"]), heads, str(row["combined"]), str(row["prev"]),
                          str(row["kid"]), str(row["mac"]), line)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise AnchorError(f"anchor line {n} is unreadable: {exc}") from exc


@dataclass(frozen=True)
class AnchorReport:
    """What the anchor file says: the newest anchored head of every chain, and its own problems."""

    latest: Heads
    count: int
    last: Checkpoint | None
    problems: list[str]


class AnchorStore:
    """The append-only checkpoint file. Appends are serialised with an exclusive file lock, so
    several processes (``yuzhi serve`` workers, a cron ``yuzhi audit anchor``) can share one file."""

    def __init__(self, path: Path, keys: KeyRing) -> None:
        self.path = path
        self.keys = keys

    def lines(self) -> Iterator[tuple[int, str]]:
        if not self.path.is_file():
            return
        with self.path.open() as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    yield n, line.rstrip("\n")

    def read(self) -> AnchorReport:
        """Check every line's MAC and its link to the previous line; fold the heads."""
        latest: Heads = {}
        problems: list[str] = []
        prev, last, count = "", None, 0
        for n, line in self.lines():
            try:
                cp = parse_line(line, n)
            except AnchorError as exc:
                problems.append(str(exc))
                continue
            count += 1
            key = self.keys.by_id(cp.kid)
            if key is None:
                problems.append(f"anchor line {n}: signed with unknown key {cp.kid} (key ring incomplete?)")
            elif not hmac.compare_digest(mac_of(key, cp.body()), cp.mac):
                problems.append(f"anchor line {n}: signature does not match (the line was edited)")
            if cp.prev != prev:
                problems.append(f"anchor line {n}: does not follow line {n - 1} (a line was removed or edited)")
            prev, last = line_hash(line), cp
            latest.update(cp.heads)
            if combined_head({c: h for c, (_, h) in latest.items()}) != cp.combined:
                problems.append(f"anchor line {n}: combined head does not match its heads")
        return AnchorReport(latest, count, last, problems)

    def append(self, heads: Heads, *, force: bool = False) -> Checkpoint | None:
        """Anchor ``heads`` (every chain's current head); write only the chains that moved.

        Returns the new checkpoint, or None when nothing moved (and ``force`` is false)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        key = self.keys.signing_key()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        with os.fdopen(fd, "a+") as f, _locked(f):
            f.seek(0)
            latest: Heads = {}
            prev, n = "", 0
            for raw in f:
                if raw.strip():
                    cp = parse_line(raw.rstrip("\n"), n + 1)
                    latest.update(cp.heads)
                    prev, n = line_hash(raw.rstrip("\n")), cp.n
            moved = {c: v for c, v in heads.items() if latest.get(c) != v}
            if not moved and not force:
                return None
            latest.update(moved)
            body = {"v": VERSION, "n": n + 1, "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "heads": {str(c): [s, h] for c, (s, h) in sorted(moved.items())},
                    "combined": combined_head({c: h for c, (_, h) in latest.items()}), "prev": prev, "kid": key.kid}
            line = canonical_json({**body, "mac": mac_of(key, body)})
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
            return parse_line(line, n + 1)


@contextlib.contextmanager
def _locked(f):  # type: ignore[no-untyped-def]
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: single process
        yield
        return
    fcntl.flock(f.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
