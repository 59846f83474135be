"""Passage embeddings cached by content hash, shared by every index on the machine.

Why: embedding is the slow step of indexing (about 0.1–0.3 s of CPU per article for
multilingual-e5-small). The same regulations get indexed again and again — by the CLI, into
the public knowledge base, into an organisation's base, by the demo — and an edited file
changes a few articles, not all. Keying each vector by SHA-256 of (model, recipe, embedded
text) makes all of those re-uses free, with vectors bit-identical to a fresh run.

Layout: ``FOLDER/<tag>.keys`` (one hex key per line) and ``FOLDER/<tag>.npy`` (float32 rows in
the same order), where ``tag`` hashes the model name and passage recipe; both are replaced
atomically, so a crash leaves the previous cache.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


class EmbeddingCache:
    """A content-addressed store of passage vectors for one model + recipe (``tag``)."""

    def __init__(self, folder: str | Path, tag: str, dim: int) -> None:
        self.folder = Path(folder)
        self.tag = hashlib.sha256(tag.encode("utf-8")).hexdigest()[:16]
        self.dim = dim
        self._keys: list[str] = []
        self._vecs = np.zeros((0, dim), dtype=np.float32)
        kf, vf = self._paths()
        if kf.is_file() and vf.is_file():
            try:
                keys = kf.read_text(encoding="ascii").split()
                vecs = np.load(vf, allow_pickle=False)
                if vecs.shape == (len(keys), dim):
                    self._keys, self._vecs = keys, vecs.astype(np.float32, copy=False)
            except (OSError, ValueError):
                pass  # an unreadable cache is ignored (and rewritten on the next put)
        self._pos = {k: i for i, k in enumerate(self._keys)}

    def _paths(self) -> tuple[Path, Path]:
        return self.folder / f"{self.tag}.keys", self.folder / f"{self.tag}.npy"

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, keys: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """Vectors for ``keys`` (zeros where missing) and the indices of the missing ones."""
        out = np.zeros((len(keys), self.dim), dtype=np.float32)
        missing = []
        for i, k in enumerate(keys):
            j = self._pos.get(k)
            if j is None:
                missing.append(i)
            else:
                out[i] = self._vecs[j]
        return out, missing

    def put(self, keys: Sequence[str], vecs: np.ndarray) -> None:
        """Add vectors and write the cache (atomically; errors writing it are not fatal)."""
        new = [(k, v) for k, v in zip(keys, vecs, strict=True) if k not in self._pos]
        if not new:
            return
        self._keys += [k for k, _ in new]
        self._vecs = np.concatenate([self._vecs, np.stack([v for _, v in new]).astype(np.float32)])
        self._pos = {k: i for i, k in enumerate(self._keys)}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            kf, vf = self._paths()
            suffix = f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            tk, tv = kf.with_name(kf.name + suffix), vf.with_name(vf.name + suffix + ".npy")
            tk.write_text("\n".join(self._keys) + "\n", encoding="ascii")
            np.save(tv, self._vecs)
            os.replace(tv, vf)
            os.replace(tk, kf)
        except OSError:
            pass


def default_folder() -> Path:
    """``$YUZHI_ASSIST_EMBED_CACHE`` or ``<YUZHI home>/assist/embed-cache``."""
    env = os.environ.get("YUZHI_ASSIST_EMBED_CACHE")
    if env:
        return Path(env)
    from yuzhi.config import get_settings

    return get_settings().home / "assist" / "embed-cache"
