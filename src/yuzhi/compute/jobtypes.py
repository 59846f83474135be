"""Typed AI jobs: each maps to a ``yuzhi`` sub-command run inside the job's workspace.

A job's workspace holds ``inputs/<name>`` (from the artifact store) and ``outputs/`` (collected
back into the store when it ends). ``{yuzhi}`` expands to the platform's own CLI on the
execution host (on Slurm this needs the platform installed on the cluster's shared filesystem,
see docs/compute.md); ``{input:NAME}`` to the path of input ``NAME``; ``{python}`` to the
interpreter.

>>> expand(["{yuzhi}", "monitor", "fit", "{input:normal}"], {"normal": "x.csv"}, python="/py")[-1]
'inputs/normal'
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

from yuzhi.errors import InvalidInput

_PLACEHOLDER = re.compile(r"\{([a-z]+)(?::([^}]+))?\}")


@dataclass(frozen=True)
class JobType:
    """A typed job: its command template, required inputs and the sub-command that must exist."""

    argv: tuple[str, ...]
    inputs: tuple[str, ...]
    command: tuple[str, str]  # (domain, sub-command) that must be installed
    description: str


JOB_TYPES: dict[str, JobType] = {
    "monitor.fit": JobType(
        ("{yuzhi}", "monitor", "fit", "{input:normal}", "--out", "outputs/model"), ("normal",),
        ("monitor", "fit"), "learn normal behaviour from sensor data (CSV/Parquet)"),
    "inspect.train": JobType(
        ("{yuzhi}", "inspect", "train", "{input:images}", "--out", "outputs/model"), ("images",),
        ("inspect", "train"), "train a defect-inspection model from good images"),
    "inspect.run": JobType(
        ("{yuzhi}", "inspect", "run", "{input:model}", "{input:images}", "--out", "outputs/results.csv"),
        ("model", "images"), ("inspect", "run"), "inspect a batch of images"),
    "schedule.solve": JobType(
        ("{yuzhi}", "schedule", "solve", "{input:problem}", "--out", "outputs/schedule.json"), ("problem",),
        ("schedule", "solve"), "solve a production-scheduling problem"),
    "assist.index": JobType(
        ("{yuzhi}", "assist", "index", "inputs", "--out", "outputs/index"), (),
        ("assist", "index"), "index documents for the knowledge assistant"),
}


def command_installed(domain: str, command: str) -> bool:
    """Whether ``yuzhi <domain> <command>`` exists in this installation."""
    try:
        module = importlib.import_module(f"yuzhi.{domain}.cli")
    except ImportError:
        return False
    app = getattr(module, "app", None)
    for cmd in getattr(app, "registered_commands", []):
        name = cmd.name or (cmd.callback.__name__.replace("_", "-") if cmd.callback else "")
        if name == command:
            return True
    return False


def available_types() -> dict[str, JobType]:
    """The typed jobs whose command this installation actually has."""
    return {k: t for k, t in JOB_TYPES.items() if command_installed(*t.command)}


def expand(argv: list[str] | tuple[str, ...], inputs: dict[str, str], *, python: str) -> list[str]:
    """Replace placeholders; an ``{input:NAME}`` that was not supplied is an error naming it."""
    yuzhi = [python, "-c", "import sys; from yuzhi.cli import main; sys.argv[0] = 'yuzhi'; main()"]
    out: list[str] = []
    for arg in argv:
        if arg == "{yuzhi}":
            out.extend(yuzhi)
            continue

        def repl(m: re.Match[str]) -> str:
            kind, name = m.group(1), m.group(2)
            if kind == "python":
                return python
            if kind == "input":
                if name not in inputs:
                    raise InvalidInput(f"input {name!r} is required", field=f"inputs.{name}",
                                       fix=f"upload the file and pass it as inputs.{name}")
                return f"inputs/{name}"
            raise InvalidInput(f"unknown placeholder {m.group(0)} in the command", field="argv")

        out.append(_PLACEHOLDER.sub(repl, arg))
    return out
