"""Read scheduling instances: JSPLIB/Taillard job shop, flexible job shop (FJS), JSON, Excel.

Formats
-------
``jsplib``
    Optional ``#`` comment lines, a header ``n m``, then ``n`` lines of ``m`` pairs
    ``machine time`` (OR-Library / JSPLIB). Machines 0-based; 1-based files (no machine 0, some
    machine ``m``) are detected. Taillard's original layout (``Times`` and ``Machines`` blocks,
    1-based) is read too.
``fjs``
    Header ``n m`` with an optional third field (average machines per operation); one line per
    job: the number of operations, then per operation the number of eligible machines ``c`` and
    ``c`` pairs ``machine time``. 0- or 1-based (detected; the third header field, as in the
    original Brandimarte/Hurink files, means 1-based when the data alone cannot tell).
``json``
    :meth:`yuzhi.schedule.problem.Problem.from_dict`.
``xlsx``
    The workbook of ``yuzhi schedule template`` (see :mod:`yuzhi.schedule.workbook`).

Every parse error names the file line, so a user can fix the file:

>>> parse_text("2 2\\n0 3 1 x\\n", fmt="jsplib")
Traceback (most recent call last):
...
yuzhi.errors.InvalidInput: [line 2] 'x' is not a whole number Fix: ...
"""

from __future__ import annotations

import json
from pathlib import Path

from yuzhi.errors import InvalidInput
from yuzhi.schedule.problem import Job, Machine, Mode, Operation, Problem

__all__ = ["FORMATS", "detect_format", "parse_text", "read_instance"]

FORMATS = ("auto", "jsplib", "fjs", "xlsx", "json")


def _lines(text: str) -> list[tuple[int, list[str]]]:
    """Non-empty, non-comment lines as (1-based line number, tokens)."""
    out = []
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append((no, line.split()))
    return out


def _ints(no: int, tokens: list[str]) -> list[int]:
    vals = []
    for t in tokens:
        try:
            vals.append(int(t))
        except ValueError:
            try:
                f = float(t)
            except ValueError:
                f = None
            if f is None or not f.is_integer():
                raise InvalidInput(
                    f"{t!r} is not a whole number", field=f"line {no}", fix="times and machines are integers"
                ) from None
            vals.append(int(f))
    for v in vals:
        if v < 0:
            raise InvalidInput(f"negative value {v}", field=f"line {no}", fix="times and machines are ≥ 0")
    return vals


def _header(lines: list[tuple[int, list[str]]]) -> tuple[int, int, int, bool]:
    if not lines:
        raise InvalidInput("the file is empty", field="line 1", fix="start with a header line 'jobs machines'")
    no, toks = lines[0]
    vals = _ints(no, toks)
    if len(vals) < 2 or (len(vals) > 3 and not _looks_float(toks[2])):
        raise InvalidInput(f"header must be 'jobs machines [avg]', got {' '.join(toks)!r}", field=f"line {no}")
    n, m = vals[0], vals[1]
    if n <= 0 or m <= 0:
        raise InvalidInput(f"header says {n} jobs and {m} machines", field=f"line {no}", fix="both must be ≥ 1")
    return no, n, m, len(toks) >= 3


def _looks_float(tok: str) -> bool:
    try:
        float(tok)
        return True
    except ValueError:
        return False


def _header_fjs(lines: list[tuple[int, list[str]]]) -> tuple[int, int, bool]:
    if not lines:
        raise InvalidInput("the file is empty", field="line 1", fix="start with a header line 'jobs machines'")
    no, toks = lines[0]
    if len(toks) < 2:
        raise InvalidInput(f"header must be 'jobs machines [avg]', got {' '.join(toks)!r}", field=f"line {no}")
    n, m = _ints(no, toks[:2])
    if len(toks) > 2 and not _looks_float(toks[2]):
        raise InvalidInput(f"third header field {toks[2]!r} is not a number", field=f"line {no}")
    if n <= 0 or m <= 0:
        raise InvalidInput(f"header says {n} jobs and {m} machines", field=f"line {no}", fix="both must be ≥ 1")
    return n, m, len(toks) > 2


def _parse_taillard(lines: list[tuple[int, list[str]]], name: str) -> Problem:
    """Taillard's original layout: a header block, ``Times`` rows, ``Machines`` rows (1-based)."""
    words = [toks[0].lower() for _, toks in lines]
    t_at, m_at = words.index("times"), words.index("machines")
    hdr_no, hdr = None, None
    for no, toks in lines[:t_at]:
        try:
            vals = _ints(no, toks)
        except InvalidInput:
            continue
        if len(vals) >= 2:
            hdr_no, hdr = no, vals
    if hdr is None:
        raise InvalidInput("no 'jobs machines' line before 'Times'", field=f"line {lines[0][0]}")
    n, m = hdr[0], hdr[1]
    times = [(_ints(no, t), no) for no, t in lines[t_at + 1 : t_at + 1 + n]]
    machs = [(_ints(no, t), no) for no, t in lines[m_at + 1 : m_at + 1 + n]]
    if len(times) != n or len(machs) != n:
        raise InvalidInput(f"expected {n} rows under Times and Machines", field=f"line {hdr_no}")
    jobs: list[Job] = []
    for (tr, tno), (mr, mno) in zip(times, machs, strict=True):
        if len(tr) != m or len(mr) != m:
            raise InvalidInput(f"expected {m} values", field=f"line {tno if len(tr) != m else mno}")
        ops = []
        for t, mm in zip(tr, mr, strict=True):
            if not 1 <= mm <= m:
                raise InvalidInput(f"machine {mm} outside 1..{m}", field=f"line {mno}")
            ops.append(Operation(modes=(Mode(mm - 1, t),)))
        jobs.append(Job(operations=tuple(ops), name=f"J{len(jobs)}"))
    return Problem(jobs=tuple(jobs), machines=tuple(Machine(f"M{i}") for i in range(m)), name=name)


def _parse_jsplib(text: str, name: str) -> Problem:
    lines = _lines(text)
    if any(toks[0].lower() == "times" for _, toks in lines) and any(toks[0].lower() == "machines" for _, toks in lines):
        return _parse_taillard(lines, name)
    hdr_no, n, m, _ = _header(lines)
    body = lines[1:]
    rows = []
    for no, toks in body[:n]:
        vals = _ints(no, toks)
        if len(vals) != 2 * m:
            raise InvalidInput(
                f"a job line needs {m} pairs 'machine time' ({2 * m} numbers), got {len(vals)}",
                field=f"line {no}",
            )
        rows.append((no, vals))
    if len(body) < n:
        last = body[-1][0] if body else hdr_no
        raise InvalidInput(f"header says {n} jobs but only {len(body)} job lines follow", field=f"line {last + 1}")
    for no, toks in body[n:]:
        raise InvalidInput(f"unexpected extra line after {n} jobs: {' '.join(toks)!r}", field=f"line {no}")
    all_m = [v for _, r in rows for v in r[0::2]]
    one_based = 0 not in all_m and max(all_m) == m
    jobs: list[Job] = []
    for no, vals in rows:
        ops = []
        for mm, t in zip(vals[0::2], vals[1::2], strict=True):
            mi = mm - 1 if one_based else mm
            if not 0 <= mi < m:
                raise InvalidInput(f"machine {mm} outside 0..{m - 1}", field=f"line {no}")
            ops.append(Operation(modes=(Mode(mi, t),)))
        jobs.append(Job(operations=tuple(ops), name=f"J{len(jobs)}"))
    return Problem(jobs=tuple(jobs), machines=tuple(Machine(f"M{i}") for i in range(m)), name=name)


def _parse_fjs(text: str, name: str) -> Problem:
    lines = _lines(text)
    n, m, third = _header_fjs(lines)
    body = lines[1:]
    raw_jobs: list[tuple[int, list[list[tuple[int, int]]]]] = []
    for no, toks in body[:n]:
        vals = _ints(no, toks)
        pos = 0

        def take(what: str, no: int = no, vals: list[int] = vals) -> int:
            nonlocal pos
            if pos >= len(vals):
                raise InvalidInput(f"line ends early: expected {what}", field=f"line {no}")
            pos += 1
            return vals[pos - 1]

        n_ops = take("the number of operations")
        ops: list[list[tuple[int, int]]] = []
        for _ in range(n_ops):
            c = take("the number of eligible machines")
            if c == 0:
                raise InvalidInput(
                    f"operation {len(ops)} has no eligible machine",
                    field=f"line {no}",
                    fix="list at least one 'machine time' pair",
                )
            ops.append([(take("a machine"), take("a processing time")) for _ in range(c)])
        if pos != len(vals):
            raise InvalidInput(f"{len(vals) - pos} extra numbers after {n_ops} operations", field=f"line {no}")
        raw_jobs.append((no, ops))
    if len(body) < n:
        last = body[-1][0] if body else lines[0][0]
        raise InvalidInput(f"header says {n} jobs but only {len(body)} job lines follow", field=f"line {last + 1}")
    for no, toks in body[n:]:
        raise InvalidInput(f"unexpected extra line after {n} jobs: {' '.join(toks)!r}", field=f"line {no}")
    all_m = [mm for _, ops in raw_jobs for op in ops for mm, _ in op]
    if 0 in all_m:
        one_based = False
    elif max(all_m) == m:
        one_based = True
    else:
        one_based = third
    jobs: list[Job] = []
    for no, ops in raw_jobs:
        built = []
        for op in ops:
            modes = []
            for mm, t in op:
                mi = mm - 1 if one_based else mm
                if not 0 <= mi < m:
                    raise InvalidInput(f"machine {mm} outside the {m} machines", field=f"line {no}")
                modes.append(Mode(mi, t))
            built.append(Operation(modes=tuple(modes)))
        jobs.append(Job(operations=tuple(built), name=f"J{len(jobs)}"))
    return Problem(jobs=tuple(jobs), machines=tuple(Machine(f"M{i}") for i in range(m)), name=name)


def detect_format(path: str | Path, text: str | None = None) -> str:
    """Guess the format from the suffix, then from the content of a text file."""
    p = Path(path)
    suf = p.suffix.lower()
    if suf in (".xlsx", ".xlsm"):
        return "xlsx"
    if suf == ".json":
        return "json"
    if suf == ".fjs":
        return "fjs"
    if text is None:
        text = p.read_text(encoding="utf-8", errors="replace")
    if text.lstrip().startswith("{"):
        return "json"
    lines = _lines(text)
    if any(t[0].lower() == "times" for _, t in lines):
        return "jsplib"
    if not lines:
        return "jsplib"
    try:
        _parse_jsplib(text, "")
        return "jsplib"
    except InvalidInput:
        pass
    try:
        _parse_fjs(text, "")
        return "fjs"
    except InvalidInput:
        pass
    # Neither parses: report the errors of the format the header suggests.
    return "fjs" if len(lines[0][1]) >= 3 else "jsplib"


def parse_text(text: str, *, fmt: str = "auto", name: str = "") -> Problem:
    """Parse instance text in ``fmt`` (``auto``, ``jsplib``, ``fjs`` or ``json``)."""
    if fmt == "auto":
        fmt = detect_format(name or "instance.txt", text)
    if fmt == "jsplib":
        return _parse_jsplib(text, name)
    if fmt == "fjs":
        return _parse_fjs(text, name)
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"invalid JSON: {exc.msg}", field=f"line {exc.lineno}, column {exc.colno}") from None
        return Problem.from_dict(data)
    raise InvalidInput(f"unknown format {fmt!r}", field="format", fix=f"use one of {', '.join(FORMATS)}")


def read_instance(path: str | Path, *, fmt: str = "auto") -> Problem:
    """Read an instance file in any supported format.

    Parameters
    ----------
    path
        Instance file.
    fmt
        One of :data:`FORMATS`; ``auto`` guesses from the suffix and content.

    Raises
    ------
    InvalidInput
        Unreadable or malformed file; ``field`` names the file line (or sheet, row and column).
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidInput(f"no such file: {p}", field="instance", fix="check the path")
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}", field="format", fix=f"use one of {', '.join(FORMATS)}")
    if fmt == "auto":
        fmt = detect_format(p)
    if fmt == "xlsx":
        from yuzhi.schedule.workbook import read_workbook

        return read_workbook(p)
    text = p.read_text(encoding="utf-8", errors="replace")
    try:
        prob = parse_text(text, fmt=fmt, name=p.stem)
    except InvalidInput as exc:
        if exc.field and exc.field.startswith("line"):
            exc.field = f"{p.name}, {exc.field}"
        raise
    if not prob.name:
        prob = prob.replace(name=p.stem)
    return prob
