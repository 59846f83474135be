"""Compute backends: one interface (:class:`Backend`), two engines (``local``, ``slurm``).

>>> from yuzhi.compute.backends import make_backend
>>> make_backend("local", {"state_dir": "/tmp/yz-local"}).kind
'local'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yuzhi.compute.backends.base import Backend, BackendUnavailable, JobSpec, JobState, Usage
from yuzhi.errors import InvalidInput

KINDS = ("local", "slurm")

__all__ = ["KINDS", "Backend", "BackendUnavailable", "JobSpec", "JobState", "Usage", "make_backend"]


def make_backend(kind: str, config: dict[str, Any] | None = None) -> Backend:
    """Build a backend from a provider's stored ``kind`` and JSON ``config``.

    ``local``: ``state_dir`` (required), ``cpus``, ``gpus``.
    ``slurm``: ``partition``, ``account``, ``bin_dir``, ``extra_args``, ``timeout_s``.
    """
    config = dict(config or {})
    if kind == "local":
        from yuzhi.compute.backends.local import LocalBackend

        if "state_dir" not in config:
            raise InvalidInput("a local backend needs a state_dir", field="config.state_dir",
                               fix="set it to a directory that survives restarts")
        return LocalBackend(Path(config.pop("state_dir")), **config)
    if kind == "slurm":
        from yuzhi.compute.backends.slurm import SlurmBackend

        if "extra_args" in config:
            config["extra_args"] = tuple(config["extra_args"])
        return SlurmBackend(**config)
    raise InvalidInput(f"unknown backend kind {kind!r}", field="backend",
                       fix=f"use one of: {', '.join(KINDS)}")
