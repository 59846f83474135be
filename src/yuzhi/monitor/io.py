"""Read sensor tables (CSV or Parquet) into arrays, with errors a plant engineer can act on.

Input: one row per sample time, a ``timestamp`` or ``datetime`` column, one numeric column per
sensor. CSV separators ``,``, ``;`` and tab are detected from the header line (SKAB ships ``;``).

>>> t = read_table("pump.csv")                       # doctest: +SKIP
>>> t.sensors, t.values.shape, t.report.duplicates  # doctest: +SKIP
(('Current', 'Pressure'), (1147, 2), 0)

Why so strict: a detector fitted on a file whose "Pressure" column silently became NaN, or whose
clock jumped backwards, produces alarms nobody can explain. Every problem is reported with the data
row (1-based, header excluded), the file line and the column, plus a fix.

Sampling problems that are not errors (duplicate, out-of-order and missing samples) are counted in
:class:`SamplingReport` so ingestion can report them; ``order="sort"`` sorts out-of-order rows
instead of refusing them, ``dedupe=True`` keeps the first of each duplicated timestamp.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from yuzhi.errors import InvalidInput

TIME_COLUMNS = ("timestamp", "datetime", "time")


@dataclass(frozen=True)
class Gap:
    """A stretch with samples missing: from ``start`` to ``end`` about ``missing`` samples absent."""

    start: str
    end: str
    missing: int


@dataclass(frozen=True)
class SamplingReport:
    """What was odd about the sampling of a table (nothing here is an error)."""

    rows: int
    period_s: float | None
    duplicates: int = 0
    out_of_order: int = 0
    missing: int = 0
    gaps: tuple[Gap, ...] = ()
    empty_cells: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        period = "n/a" if self.period_s is None else f"{self.period_s:g}s"
        empty = sum(self.empty_cells.values())
        return (
            f"{self.rows} rows, period {period}, {self.duplicates} duplicate, "
            f"{self.out_of_order} out-of-order, {self.missing} missing samples in {len(self.gaps)} gaps, "
            f"{empty} empty cells"
        )


@dataclass(frozen=True)
class SensorTable:
    """Samples of several sensors on one time axis.

    Attributes
    ----------
    time : numpy.ndarray
        ``datetime64[ns]`` (UTC, naive) per row.
    raw_time : tuple of str
        The timestamp text as written in the file, so outputs can echo it unchanged.
    values : numpy.ndarray
        ``float64`` array of shape (rows, sensors); empty cells are NaN.
    sensors : tuple of str
        Column names, in file order.
    extra : dict
        Columns named in ``ignore`` (e.g. labels), as raw numpy arrays.
    report : SamplingReport
    """

    time: np.ndarray
    raw_time: tuple[str, ...]
    values: np.ndarray
    sensors: tuple[str, ...]
    extra: dict[str, np.ndarray]
    report: SamplingReport

    def seconds(self) -> np.ndarray:
        """Seconds since the first row, as float64."""
        if len(self.time) == 0:
            return np.zeros(0)
        return (self.time - self.time[0]).astype("timedelta64[ns]").astype(np.int64) / 1e9

    def select(self, sensors: Sequence[str]) -> np.ndarray:
        """Values of ``sensors`` in that order (the order a model was fitted with)."""
        idx = [self.sensors.index(s) for s in sensors]
        return self.values[:, idx]


def _sniff_sep(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def _read_frame(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InvalidInput(f"file {path} does not exist", field=str(path), fix="check the path")
    if path.stat().st_size == 0:
        raise InvalidInput(f"{path.name} is empty", field=str(path),
                           fix="write a header line with a timestamp column and one column per sensor")
    if path.suffix.lower() in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
        return frame.astype(object).where(frame.notna(), "")
    with path.open(encoding="utf-8-sig") as fh:
        first = fh.readline()
    sep = _sniff_sep(first)
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True)


def _load(path: str | Path | None, frame: pd.DataFrame | None, name: str | None) -> tuple[pd.DataFrame, str]:
    """The table as text cells (blank for missing) and the name used in messages."""
    if frame is None:
        if path is None:
            raise InvalidInput("give a path or a frame", field="path")
        path = Path(path)
        return _read_frame(path), path.name
    return frame.astype(object).where(frame.notna(), ""), name or "data"


def _columns(
    df: pd.DataFrame, label: str, ignore: Sequence[str], expect: Sequence[str] | None
) -> tuple[str, list[str], set[str]]:
    """The time column, the sensor columns (``expect``'s order when given) and the ignored columns."""
    lower = {c.lower(): c for c in df.columns}
    tcol = next((lower[n] for n in TIME_COLUMNS if n in lower), None)
    if tcol is None:
        raise InvalidInput(
            f"{label} has no time column (columns: {', '.join(df.columns)})", field=label,
            fix="name the time column 'timestamp' or 'datetime'")
    ignore_set = {c for c in ignore}
    unknown_ignored = ignore_set - set(df.columns)
    if unknown_ignored:
        raise InvalidInput(f"--ignore names columns not in {label}: {', '.join(sorted(unknown_ignored))}",
                           field="ignore", fix=f"columns present: {', '.join(df.columns)}")
    sensors = [c for c in df.columns if c != tcol and c not in ignore_set]
    if expect is not None:
        missing = [s for s in expect if s not in sensors]
        if missing:
            raise InvalidInput(
                f"{label} lacks sensor column(s) the model needs: {', '.join(missing)}", field=label,
                fix="add the columns or fit a new model on the sensors you have")
        extra_cols = [s for s in sensors if s not in expect]
        if extra_cols:
            raise InvalidInput(
                f"{label} has column(s) the model does not know: {', '.join(extra_cols)}", field=label,
                fix=f"pass --ignore {','.join(extra_cols)} if they are labels or notes")
        sensors = list(expect)
    if not sensors:
        raise InvalidInput(f"{label} has no sensor columns", field=label,
                           fix="add one numeric column per sensor")
    return tcol, sensors, ignore_set


def _timestamps(df: pd.DataFrame, tcol: str, label: str) -> tuple[pd.Series, np.ndarray]:
    """The time column as stripped text and as naive UTC ``datetime64[ns]``; the first unreadable one is an error."""
    raw = df[tcol].astype(str).str.strip()
    parsed = pd.to_datetime(raw, errors="coerce", utc=True, format="mixed")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInput(
            f"{label} row {i + 1} (line {i + 2}), column '{tcol}': cannot read timestamp {raw.iloc[i]!r}",
            field=f"{label}:{i + 2}:{tcol}", fix="use ISO 8601, e.g. 2024-05-01 08:00:00")
    time = parsed.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    return raw, time


def _values(df: pd.DataFrame, sensors: list[str], label: str) -> tuple[np.ndarray, dict[str, int]]:
    """Sensor values as floats (blank, "nan", "null", "none", "na" → NaN) and the empty cells per sensor;
    the first cell that is not a number is an error."""
    values = np.empty((len(df), len(sensors)), dtype=np.float64)
    empty_cells: dict[str, int] = {}
    for j, col in enumerate(sensors):
        text = df[col]
        if not pd.api.types.is_numeric_dtype(text.dtype):
            text = text.astype(str).str.strip()
            num = pd.to_numeric(text, errors="coerce")
            blank = (text == "") | text.str.lower().isin(("nan", "null", "none", "na"))
            wrong = num.isna().to_numpy() & ~blank.to_numpy()
            if wrong.any():
                i = int(np.flatnonzero(wrong)[0])
                raise InvalidInput(
                    f"{label} row {i + 1} (line {i + 2}), column '{col}': {text.iloc[i]!r} is not a number",
                    field=f"{label}:{i + 2}:{col}",
                    fix="use a decimal point and no units; leave the cell empty for a missing value")
            values[:, j] = num.to_numpy(dtype=np.float64)
        else:
            values[:, j] = text.to_numpy(dtype=np.float64)
        n_empty = int(np.isnan(values[:, j]).sum())
        if n_empty:
            empty_cells[col] = n_empty
    return values, empty_cells


def _time_order(
    ns: np.ndarray, raw: pd.Series, label: str, tcol: str, *, order: str, dedupe: bool
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Rows to keep (sorted or in file order, duplicates dropped with ``dedupe``), their times, and the
    counts of backward steps and duplicate timestamps."""
    back = np.flatnonzero(np.diff(ns) < 0)
    out_of_order = len(back)
    keep = np.arange(len(ns))
    if out_of_order:
        if order == "error":
            i = int(back[0]) + 1
            raise InvalidInput(
                f"{label} row {i + 1} (line {i + 2}), column '{tcol}': time goes backwards "
                f"({raw.iloc[i]} after {raw.iloc[i - 1]})", field=f"{label}:{i + 2}:{tcol}",
                fix="sort the file by time (or ingest it, which sorts and reports)")
        if order == "sort":
            keep = np.argsort(ns, kind="stable")
    ns_sorted = ns[keep]
    dup_mask = np.zeros(len(keep), dtype=bool)
    dup_mask[1:] = ns_sorted[1:] == ns_sorted[:-1]
    duplicates = int(dup_mask.sum())
    if dedupe and duplicates:
        keep = keep[~dup_mask]
        ns_sorted = ns[keep]
    return keep, ns_sorted, out_of_order, duplicates


def read_table(
    path: str | Path | None = None,
    *,
    frame: pd.DataFrame | None = None,
    ignore: Sequence[str] = (),
    expect: Sequence[str] | None = None,
    order: str = "error",
    dedupe: bool = False,
    name: str | None = None,
) -> SensorTable:
    """Read and validate a sensor table.

    Parameters
    ----------
    path : str or Path, optional
        A ``.csv`` (``,``/``;``/tab) or ``.parquet`` file.
    frame : pandas.DataFrame, optional
        Already-loaded data (all columns are validated the same way); used when ``path`` is None.
    ignore : sequence of str
        Columns to carry along without validation (labels, comments). They are returned in ``extra``.
    expect : sequence of str, optional
        Sensors that must be present (a fitted model's sensors). A missing one is an error; other
        columns not in ``expect`` or ``ignore`` are an error too, so nothing is silently dropped.
    order : {"error", "sort", "keep"}
        What to do when time goes backwards: refuse naming the row, sort, or keep the file order
        (benchmarks score rows in file order); the count is reported in all cases.
    dedupe : bool
        Drop later rows with an already-seen timestamp (reported as duplicates).
    name : str, optional
        File name used in messages when reading from ``frame``.

    Returns
    -------
    SensorTable

    Raises
    ------
    yuzhi.errors.InvalidInput
        Empty file, no time column, unparseable timestamp, text in a numeric column, missing or
        unexpected sensors, time going backwards (``order="error"``).
    """
    if order not in ("error", "sort", "keep"):
        raise InvalidInput(f"order must be 'error', 'sort' or 'keep', not {order!r}", field="order")
    df, label = _load(path, frame, name)
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise InvalidInput(f"{label} has a header but no data rows", field=label,
                           fix="add at least one sample row below the header")
    tcol, sensors, ignore_set = _columns(df, label, ignore, expect)

    raw, time = _timestamps(df, tcol, label)
    values, empty_cells = _values(df, sensors, label)

    ns = time.astype(np.int64)
    keep, ns_sorted, out_of_order, duplicates = _time_order(ns, raw, label, tcol, order=order, dedupe=dedupe)
    raw_arr = raw.to_numpy(dtype=object)[keep]
    period, missing, gaps = _gaps(ns_sorted, raw_arr)
    extra = {c: df[c].to_numpy()[keep] for c in ignore_set}
    report = SamplingReport(rows=len(keep), period_s=period, duplicates=duplicates,
                            out_of_order=out_of_order, missing=missing, gaps=tuple(gaps),
                            empty_cells=empty_cells)
    return SensorTable(time=time[keep], raw_time=tuple(raw_arr.tolist()), values=values[keep],
                       sensors=tuple(sensors), extra=extra, report=report)


def _gaps(ns: np.ndarray, raw: np.ndarray) -> tuple[float | None, int, list[Gap]]:
    """Median sampling period and the gaps longer than 1.5 periods."""
    if len(ns) < 3:
        return None, 0, []
    d = np.diff(ns)
    d = d[d > 0]
    if len(d) == 0:
        return None, 0, []
    period = float(np.median(d))
    steps = np.diff(ns)
    idx = np.flatnonzero(steps > 1.5 * period)
    gaps = []
    total = 0
    for i in idx:
        miss = round(float(steps[i]) / period) - 1
        total += miss
        gaps.append(Gap(start=str(raw[i]), end=str(raw[i + 1]), missing=miss))
    return period / 1e9, total, gaps
