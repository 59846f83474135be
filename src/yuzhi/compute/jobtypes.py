"""Typed AI jobs: each maps to a ``yuzhi`` sub-command run inside the job's workspace.

A job's workspace holds ``inputs/<name>`` (from the artifact store; ``X.zip`` is unpacked into
the folder ``inputs/X``) and ``outputs/`` (collected back into the store when it ends).
``{yuzhi}`` expands to the platform's own CLI on the execution host (on Slurm this needs the
platform installed on the cluster's shared filesystem, see docs/compute.md); ``{input:NAME}`` to
the path of the input called ``NAME`` or ``NAME.<ext>`` (the extension is kept because readers
guess formats from it; ``NAME.zip`` gives the folder); ``{python}`` to the interpreter.

>>> expand(["{yuzhi}", "monitor", "fit", "{input:normal}"], {"normal.csv": "…"}, python="/py")[-1]
'inputs/normal.csv'
>>> expand(["{input:model}"], {"model.zip": "…"}, python="/py")
['inputs/model']
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
    "inspect.train": JobType(
        ("{yuzhi}", "inspect", "train", "{input:images}", "--out", "outputs/model", "--quiet"), ("images",),
        ("inspect", "train"), "train a defect-inspection model from good images (images.zip)"),
    "inspect.run": JobType(
        ("{yuzhi}", "inspect", "run", "{input:model}", "{input:images}", "--out", "outputs/results", "--quiet"),
        ("model", "images"), ("inspect", "run"), "inspect images (model.zip from inspect.train, images.zip)"),
    "schedule.solve": JobType(
        ("{yuzhi}", "schedule", "solve", "{input:instance}", "--out", "outputs/schedule.json"), ("instance",),
        ("schedule", "solve"), "solve a production-scheduling instance (.xlsx, .json, JSPLIB, FJS)"),
    "monitor.fit": JobType(
        ("{yuzhi}", "monitor", "fit", "{input:normal}", "--out", "outputs/model"), ("normal",),
        ("monitor", "fit"), "learn normal behaviour from sensor data (normal.csv / .parquet)"),
    "monitor.detect": JobType(
        ("{yuzhi}", "monitor", "detect", "{input:model}", "{input:data}", "--out", "outputs/scores.csv"),
        ("model", "data"), ("monitor", "detect"), "score sensor data (model.zip from monitor.fit)"),
    "assist.index": JobType(
        ("{yuzhi}", "assist", "index", "inputs", "--out", "outputs/index"), (),
        ("assist", "index"), "index documents (every input) for the knowledge assistant"),
}


def resolve_input(name: str, inputs: dict[str, str]) -> str | None:
    """The workspace path for placeholder ``{input:name}``, or None when no input matches."""
    if name in inputs:
        return f"inputs/{name[:-4]}" if name.lower().endswith(".zip") else f"inputs/{name}"
    for given in sorted(inputs):
        stem, dot, ext = given.rpartition(".")
        if dot and stem == name:
            return f"inputs/{stem}" if ext.lower() == "zip" else f"inputs/{given}"
    return None


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
                path = resolve_input(name, inputs)
                if path is None:
                    raise InvalidInput(f"input {name!r} is required", field=f"inputs.{name}",
                                       fix=f"upload the file and pass it as inputs.{name} (or {name}.<ext>, "
                                           f"{name}.zip for a folder)")
                return path
            raise InvalidInput(f"unknown placeholder {m.group(0)} in the command", field="argv")

        out.append(_PLACEHOLDER.sub(repl, arg))
    return out
