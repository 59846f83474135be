"""``yuzhi monitor``: statutory alarms and learned early warning on sensor files.

Heavy work happens in the pure cores; this file parses options, prints results and writes files.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import typer

from yuzhi.monitor.crossval import FIT_DEFAULTS

app = typer.Typer(help="Equipment, mine-safety and cold-chain monitoring (豫鼎安澜 / 天信 / 华鼎雪豹).",
                  no_args_is_help=True)
eval_app = typer.Typer(help="Reproduce the SKAB and NAB benchmarks against the published leaderboards.",
                       no_args_is_help=True)
app.add_typer(eval_app, name="eval")


def _split(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def _duration(text: str) -> float:
    """'90', '90s', '15m', '24h', '7d' → seconds."""
    from yuzhi.errors import InvalidInput

    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    t = text.strip().lower()
    try:
        if t and t[-1] in units:
            return float(t[:-1]) * units[t[-1]]
        return float(t)
    except ValueError:
        raise InvalidInput(f"cannot read duration {text!r}", field="window",
                           fix="write e.g. 30m, 24h or 7d") from None


@app.command()
def fit(
    normal: Path = typer.Argument(...,
        help="CSV/Parquet of normal operation (timestamp + one column per sensor)."),
    out: Path = typer.Option(..., "--out", help="Model folder to write (model.json + arrays.npz)."),
    ignore: list[str] = typer.Option(None, "--ignore",
        help="Columns to skip (labels, notes); repeat or comma-separate."),
    # Defaults: chosen by cross-validation (yuzhi.monitor.crossval.FIT_DEFAULTS, docs/monitor.md).
    threshold_factor: float = typer.Option(FIT_DEFAULTS["threshold_factor"],
        help="Alarm limit = training score quantile × this (margin for normal drift the training "
             "stretch did not show)."),
    input_alpha: float = typer.Option(FIT_DEFAULTS["input_alpha"],
        help="EWMA weight of the newest sample (1 = no smoothing)."),
    score_alpha: float = typer.Option(FIT_DEFAULTS["score_alpha"],
        help="EWMA weight of the newest squared distance."),
    shrinkage: float = typer.Option(FIT_DEFAULTS["shrinkage"],
        help="Covariance shrinkage toward the identity (0 = none; more hides broken correlations)."),
    peak_ratio: float = typer.Option(FIT_DEFAULTS["peak_ratio"],
        help="End an alarm when the score falls below this share of its recent peak (a change point: "
             "a valve reopens while temperatures still settle); 0 = off."),
    peak_half_life: float = typer.Option(FIT_DEFAULTS["peak_half_life"],
        help="Rows over which that recent peak halves."),
    false_alarm_rate: float = typer.Option(0.01, "--false-alarm-rate",
        help="False-alarm budget on the normal period: the limit starts at the (1 - rate) quantile "
             "of the training scores, then × --threshold-factor."),
) -> None:
    """Learn normal multivariate behaviour from a stretch of normal operation."""
    from yuzhi.errors import InvalidInput
    from yuzhi.monitor.detectors import MahalanobisDetector
    from yuzhi.monitor.io import read_table

    if not 0.0 < false_alarm_rate < 1.0:
        raise InvalidInput(f"--false-alarm-rate must be between 0 and 1 (a fraction), got {false_alarm_rate}",
                           field="--false-alarm-rate", fix="e.g. --false-alarm-rate 0.01 for 1 %")
    table = read_table(normal, ignore=_split(ignore))
    det = MahalanobisDetector(threshold_factor=threshold_factor, input_alpha=input_alpha,
                              score_alpha=score_alpha, shrinkage=shrinkage, peak_ratio=peak_ratio,
                              peak_half_life=peak_half_life, threshold_quantile=1.0 - false_alarm_rate)
    det.fit(table.values, table.sensors)
    det.save(out)
    typer.echo(f"fitted on {det.n_train_} rows of {len(det.sensors_)} sensors "
               f"({', '.join(det.sensors_)}); {table.report.summary()}")
    typer.echo(f"model written to {out}")


@app.command()
def detect(
    model: Path = typer.Argument(..., help="Model folder written by `yuzhi monitor fit`."),
    data: Path = typer.Argument(..., help="CSV/Parquet to score (same sensor columns)."),
    out: Path = typer.Option(..., "--out", help="CSV to write: timestamp,score,anomaly,top_sensor per row."),
    ignore: list[str] = typer.Option(None, "--ignore",
        help="Extra columns to skip (e.g. anomaly,changepoint)."),
    events: Path = typer.Option(None, "--events",
        help="Also write one row per alarm: start,end,rows,onset,lag_rows,peak_score,sensors "
             "(the sensors' shares of the score and how long the deviation built up before the alarm)."),
) -> None:
    """Score every row: anomaly score (>1 = anomaly), 0/1 flag and the sensor contributing most."""
    import numpy as np

    from yuzhi.monitor.detectors import MahalanobisDetector, alarm_events
    from yuzhi.monitor.io import read_table

    det = MahalanobisDetector.load(model)
    table = read_table(data, ignore=_split(ignore), expect=det.sensors_)
    score, contrib = det.contributions(table.values)
    flag = (score > 1.0).astype(np.int8)
    top = np.argmax(contrib, axis=1) if len(score) else np.zeros(0, dtype=np.int64)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp", "score", "anomaly", "top_sensor"])
        names = det.sensors_
        for stamp, s, a, k in zip(table.raw_time, score, flag, top, strict=True):
            w.writerow([stamp, f"{s:.6g}", int(a), names[k]])
    n = int(flag.sum())
    typer.echo(f"{len(flag)} rows scored, {n} anomalous ({100 * n / max(len(flag), 1):.1f}%); "
               f"{table.report.summary()}; written to {out}")
    if n:
        from collections import Counter

        blame = Counter(names[k] for k, a in zip(top, flag, strict=True) if a)
        typer.echo("most responsible sensors: " + ", ".join(f"{s} ({c})" for s, c in blame.most_common(3)))
    evs = alarm_events(score, contrib, names)
    ts = table.raw_time
    for ev in evs[:5]:
        typer.echo(f"  alarm {ts[ev.start]} → {ts[ev.end]} ({ev.end - ev.start + 1} rows, peak {ev.peak:.2f}); "
                   f"rising since {ts[ev.onset]} ({ev.lag} rows before); "
                   + ", ".join(f"{s} {100 * w:.0f}%" for s, w in ev.sensors))
    if len(evs) > 5:
        typer.echo(f"  … {len(evs) - 5} more alarms" + ("" if events else " (--events EV.csv lists them all)"))
    if events is not None:
        events.parent.mkdir(parents=True, exist_ok=True)
        with events.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["start", "end", "rows", "onset", "lag_rows", "peak_score", "sensors"])
            for ev in evs:
                w.writerow([ts[ev.start], ts[ev.end], ev.end - ev.start + 1, ts[ev.onset], ev.lag,
                            f"{ev.peak:.4g}", ";".join(f"{s}:{w_:.3f}" for s, w_ in ev.sensors)])
        typer.echo(f"{len(evs)} alarms written to {events}")


@app.command()
def watch(
    data: Path = typer.Argument(..., help="CSV/Parquet with a timestamp column and one or more sensor columns."),
    out: Path = typer.Option(..., "--out", help="CSV to write: timestamp,sensor,score,anomaly per row and sensor."),
    sensor: list[str] = typer.Option(None, "--sensor", help="Columns to watch (default: all)."),
    ignore: list[str] = typer.Option(None, "--ignore", help="Columns to skip (labels, notes)."),
    threshold: float = typer.Option(0.99, help="Anomaly when the score reaches this (about NAB's optimum)."),
) -> None:
    """Univariate streaming watch without training data (the NAB detector, one per sensor)."""
    from yuzhi.errors import InvalidInput
    from yuzhi.monitor.detectors import NoveltyStreamDetector, samples_per_day
    from yuzhi.monitor.io import read_table

    table = read_table(data, ignore=_split(ignore))
    cols = _split(sensor) or list(table.sensors)
    unknown = [c for c in cols if c not in table.sensors]
    if unknown:
        raise InvalidInput(f"{data.name} has no column(s) {', '.join(unknown)}", field="sensor",
                           fix=f"columns: {', '.join(table.sensors)}")
    period = samples_per_day(table.time)
    scores = {c: NoveltyStreamDetector(period=period).score_samples(table.values[:, table.sensors.index(c)])
              for c in cols}
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp", "sensor", "score", "anomaly"])
        for i, ts in enumerate(table.raw_time):
            for c in cols:
                a = int(scores[c][i] >= threshold)
                n += a
                w.writerow([ts, c, f"{scores[c][i]:.6g}", a])
    typer.echo(f"{len(table.raw_time)} rows × {len(cols)} sensors watched ({period} samples/day), "
               f"{n} anomalies; written to {out}")


@app.command()
def presets() -> None:
    """List the statutory presets with their thresholds and sources."""
    from rich.console import Console
    from rich.table import Table

    from yuzhi.monitor.rules import PRESETS

    t = Table("preset", "title", "limits", "source")
    for p in PRESETS.values():
        lim = "; ".join(
            f"{x.level} {'≥' if x.inclusive else '>'}{x.on:g} clear {'<' if x.inclusive else '≤'}{x.off:g}"
            if x.direction == "high" else
            f"{x.level} {'≤' if x.inclusive else '<'}{x.on:g} clear {'>' if x.inclusive else '≥'}{x.off:g}"
            for x in p.limits)
        t.add_row(p.key, p.title, f"{lim} {p.unit}", p.source)
    Console().print(t)


@app.command()
def rules(
    data: Path = typer.Argument(..., help="CSV/Parquet with a timestamp column and the sensor column."),
    preset: str = typer.Option(..., "--preset", help="Preset key (see `yuzhi monitor presets`)."),
    sensor: str = typer.Option(..., "--sensor", help="Column to check."),
    deadband: float = typer.Option(0.0, help="Clear this far inside the limit (hysteresis)."),
    set_on: list[str] = typer.Option(None, "--set",
        help="Adjust a limit: LEVEL=ON[:OFF], e.g. alarm=0.8:0.8."),
    mkt_window: str = typer.Option("", "--mkt-window",
        help="Rolling MKT window (e.g. 24h); cold-chain presets."),
    stale_periods: int = typer.Option(3, help="Alarm when the sensor is silent this many sampling periods."),
    out: Path = typer.Option(None, "--out",
        help="Write events as CSV (level,start,end,duration_s,peak,open)."),
) -> None:
    """Apply a statutory preset to a file: alarms with hysteresis, excursions, MKT, stale sensor."""
    import numpy as np

    from yuzhi.errors import InvalidInput
    from yuzhi.monitor import rules as R
    from yuzhi.monitor.io import read_table

    p = R.get_preset(preset)
    if deadband:
        p = p.with_deadband(deadband)
    for item in set_on or []:
        try:
            level, val = item.split("=", 1)
            on, _, off = val.partition(":")
            p = p.with_limit(level.strip(), on=float(on), off=float(off) if off else None)
        except ValueError:
            raise InvalidInput(f"cannot read --set {item!r}", field="set",
                               fix="write LEVEL=ON or LEVEL=ON:OFF") from None
    table = read_table(data, order="sort", dedupe=True)
    if sensor not in table.sensors:
        raise InvalidInput(f"{data.name} has no column {sensor!r}", field="sensor",
                           fix=f"columns: {', '.join(table.sensors)}")
    t = table.seconds()
    x = table.values[:, table.sensors.index(sensor)]
    events = R.evaluate(p, t, x)
    if table.report.period_s:
        events += R.stale_events(t, x, period_s=table.report.period_s, periods=stale_periods)
    events.sort(key=lambda e: e.start_s)

    def when(i: int) -> str:
        return table.raw_time[i]

    typer.echo(f"{p.key}: {p.title} — {p.source}")
    typer.echo(f"{table.report.summary()}")
    rows = []
    for e in events:
        end = when(e.end_index)
        rows.append([e.level, when(e.start_index), end, f"{e.duration_s:g}",
                     "" if e.peak != e.peak else f"{e.peak:g}", int(e.open)])
        typer.echo(f"  {e.level:10s} {when(e.start_index)} → {end}{' (open)' if e.open else ''}  "
                   f"{e.duration_s:g}s  peak {e.peak:g} {p.unit}")
    if not events:
        typer.echo("  no alarms")
    if p.mkt:
        typer.echo(f"MKT over the whole file: {R.mkt(x):.2f} °C (ΔH/R = {R.MKT_DH_R:g} K)")
        if mkt_window:
            roll = R.rolling_mkt(t, x, _duration(mkt_window))
            k = int(np.nanargmax(roll))
            typer.echo(f"highest rolling MKT ({mkt_window}): {roll[k]:.2f} °C at {when(k)}")
    if out:
        with out.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["level", "start", "end", "duration_s", "peak", "open"])
            w.writerows(rows)
        typer.echo(f"{len(rows)} events written to {out}")


@eval_app.command("skab")
def eval_skab(
    directory: Path = typer.Argument(..., help="SKAB data folder (valve1/, other/, ...)."),
    baselines: bool = typer.Option(True, help="Also run Isolation Forest and plain PCA T²+Q."),
) -> None:
    """SKAB outlier task: fit on each file's first 400 rows, F1 / FAR / MAR over all files."""
    from rich.console import Console
    from rich.progress import track
    from rich.table import Table

    from yuzhi.monitor import benchmarks as B
    from yuzhi.monitor.detectors import MahalanobisDetector

    files = B.load_skab(directory)
    methods: dict[str, Callable[[], object]] = {
        "yuzhi EWMA-Mahalanobis (ours, `monitor fit` settings)": lambda: MahalanobisDetector(**FIT_DEFAULTS)}
    if baselines:
        methods["Isolation Forest (sklearn, same run)"] = B.IsolationForestBaseline
        methods["PCA T²+Q, no smoothing (same run)"] = B.PcaT2QBaseline
    t = Table("method", "F1", "FAR %", "MAR %", title=f"SKAB outlier task, {len(files)} files, "
              f"{sum(len(f.values) for f in files)} rows")
    for name, make in track(list(methods.items()), description="SKAB"):
        r = B.evaluate_skab(files, make)
        t.add_row(name, f"{r['f1']:.3f}", f"{r['far']:.1f}", f"{r['mar']:.1f}")
    for name, f1, far, mar in B.SKAB_LEADERBOARD:
        t.add_row(f"{name} (published)", f"{f1:.2f}", "" if far is None else f"{far:.1f}",
                  "" if mar is None else f"{mar:.1f}")
    Console().print(t)


@eval_app.command("nab")
def eval_nab(
    directory: Path = typer.Argument(..., help="NAB folder holding data/ and labels/."),
    baselines: bool = typer.Option(True, help="Also run NAB's windowed-Gaussian baseline."),
) -> None:
    """NAB v1.1: streaming scores, NAB sweeper scoring, corpus-optimal threshold, normalised."""
    from rich.console import Console
    from rich.progress import track
    from rich.table import Table

    from yuzhi.monitor import benchmarks as B

    files = B.load_nab(directory)
    runs = {"yuzhi forecaster-likelihood (ours)": lambda fs: B.nab_run(fs)}
    if baselines:
        runs["windowed Gaussian (same run)"] = lambda fs: [B.windowed_gaussian(f.values) for f in fs]
    t = Table("detector", "standard", "low FP", "low FN",
              title=f"NAB, {len(files)} files, {sum(len(f.windows) for f in files)} windows")
    for name, fn in track(list(runs.items()), description="NAB"):
        scores = fn(files)
        r = B.nab_score(files, scores)
        profiles = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
        t.add_row(name, *(f"{r[k]['score']:.1f}" for k in profiles))
    for name, s in B.NAB_LEADERBOARD:
        t.add_row(f"{name} (published, full corpus)", f"{s:.1f}", "", "")
    Console().print(t)


# --------------------------------------------------------------------------- platform commands

sensor_app = typer.Typer(help="Registered sensors in the platform database.", no_args_is_help=True)
app.add_typer(sensor_app, name="sensor")


@sensor_app.command("add")
def sensor_add(
    key: str = typer.Argument(..., help="Column name in files / last MQTT topic level."),
    org: int = typer.Option(..., "--org", help="Owning organisation id."),
    preset: str = typer.Option(None, help="Statutory preset (see `yuzhi monitor presets`)."),
    name: str = typer.Option("", "--name", help="Display name on the console, e.g. '采煤工作面甲烷'."),
    unit: str = typer.Option("", help="Unit shown in alarms."),
    period_s: float = typer.Option(60.0, help="Expected sampling period (seconds)."),
    stale_periods: int = typer.Option(3, help="Stale alarm after this many silent periods."),
    deadband: float = typer.Option(0.0, help="Hysteresis dead band."),
    retention_days: int = typer.Option(90, help="Keep samples this many days."),
) -> None:
    """Register a sensor (as the system; the audit trail records it)."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import transaction
    from yuzhi.monitor import service
    from yuzhi.monitor.schemas import SensorCreate

    with transaction() as session:
        s = service.create_sensor(session, actor=SYSTEM, sensor_in=SensorCreate(
            key=key, org_id=org, preset=preset, name=name, unit=unit, period_s=period_s, stale_periods=stale_periods,
            deadband=deadband, retention_days=retention_days))
        typer.echo(f"sensor {s.id} {s.key} registered for organisation {org}")


@sensor_app.command("list")
def sensor_list(org: int = typer.Option(None, "--org", help="Only this organisation.")) -> None:
    """List registered sensors with their last reading and active limits."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import transaction
    from yuzhi.monitor import service

    with transaction() as session:
        for s in service.list_sensors(session, actor=SYSTEM, org_id=org):
            typer.echo(f"{s.id:>5} org {s.org_id:<4} {s.key:<24} {s.preset or '-':<24} last {s.last_ts} "
                       f"{'' if s.last_value is None else s.last_value} {','.join(s.active_levels)}")


@app.command()
def ingest(
    data: Path = typer.Argument(..., help="CSV/Parquet: timestamp + one column per registered sensor key."),
    org: int = typer.Option(..., "--org", help="Organisation owning the sensors."),
) -> None:
    """Load a file into the platform database: dedupe, out-of-order, gaps reported; live rules run."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import transaction
    from yuzhi.monitor import service
    from yuzhi.monitor.io import read_table

    table = read_table(data, order="sort", dedupe=True)
    with transaction() as session:
        rep = service.ingest_table(session, actor=SYSTEM, table=table, org_id=org)
    with transaction() as session:
        sent = service.deliver_pending(session)
    typer.echo(f"{rep.accepted} samples stored, {rep.duplicates} duplicate, {rep.out_of_order} out of order, "
               f"{rep.missing} missing; alarms raised {rep.alarms_raised}, back to normal {rep.alarms_normal}; "
               f"{len(sent)} webhook deliveries attempted")


@app.command()
def mqtt(
    topic: str = typer.Option(..., "--topic", help="Subscription filter, e.g. 'mine3/#'."),
    org: int = typer.Option(..., "--org", help="Organisation owning the sensors."),
    host: str = typer.Option("127.0.0.1", help="Broker host."),
    port: int = typer.Option(1883, help="Broker port."),
    seconds: float = typer.Option(0.0, help="Stop after this many seconds (0 = until Ctrl-C)."),
) -> None:
    """Subscribe to an MQTT broker and ingest readings until stopped."""
    import time

    from yuzhi.db import get_engine
    from yuzhi.monitor.mqtt import MqttIngestor

    ing = MqttIngestor(engine=get_engine(), org_id=org, topic=topic, host=host, port=port).start()
    typer.echo(f"subscribed to {topic} on {host}:{port}; Ctrl-C to stop")
    t0 = time.monotonic()
    try:
        while not seconds or time.monotonic() - t0 < seconds:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        ing.stop()
    st = ing.stats
    typer.echo(f"{st.messages} messages, {st.accepted} samples stored, {st.duplicates} duplicate, "
               f"{st.bad_messages} unreadable, {st.failed_batches} refused batches"
               + (f" (last error: {st.last_error})" if st.last_error else ""))


@app.command("stale-check")
def stale_check() -> None:
    """Raise stale-sensor alarms now (run from cron/systemd every minute)."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import transaction
    from yuzhi.monitor import service

    with transaction() as session:
        raised = service.check_stale(session, actor=SYSTEM)
        typer.echo(f"{len(raised)} stale-sensor alarms raised")
    with transaction() as session:
        service.deliver_pending(session)


contact_app = typer.Typer(help="Who is e-mailed about unacknowledged alarms, and after how long.",
                          no_args_is_help=True)
app.add_typer(contact_app, name="contact")


@contact_app.command("add")
def contact_add(
    email: str = typer.Argument(..., help="Mailbox, e.g. duty@mine3.example.cn."),
    org: int = typer.Option(..., "--org", help="Organisation whose alarms this person hears about."),
    name: str = typer.Option(..., "--name", help="Who it is, e.g. '值班长 王工'."),
    after_min: int = typer.Option(0, "--after-min",
        help="E-mail once an alarm is still unacknowledged after this many minutes (0 = at once): "
             "the escalation ladder."),
) -> None:
    """Add a person to an organisation's escalation ladder."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import transaction
    from yuzhi.monitor import service

    with transaction() as session:
        c = service.add_contact(session, actor=SYSTEM, name=name, email=email, after_min=after_min, org_id=org)
        typer.echo(f"contact {c.id} {c.name} <{c.email}> told after {c.after_min} min unacknowledged")


@contact_app.command("list")
def contact_list() -> None:
    """Every escalation ladder."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import transaction
    from yuzhi.monitor import service

    with transaction() as session:
        for c in service.list_contacts(session, actor=SYSTEM):
            typer.echo(f"org {c.org_id}  after {c.after_min:>4d} min  {c.name} <{c.email}>"
                       + ("" if c.active else "  (inactive)"))


@app.command()
def notify() -> None:
    """E-mail whoever's turn has come for unacknowledged alarms (cron / systemd timer, every minute).

    SMTP from YUZHI_SMTP_HOST / _PORT / _FROM / _USER / _PASSWORD / _STARTTLS."""
    from yuzhi.db import transaction
    from yuzhi.monitor import service
    from yuzhi.monitor.notify import SmtpSettings

    smtp = SmtpSettings.from_env()
    with transaction() as session:
        sent = service.notify_due(session, smtp=smtp)
        ok = sum(n.status == "sent" for n in sent)
        typer.echo(f"{ok} e-mails sent, {len(sent) - ok} failed (retried on the next run)")
        for n in sent:
            if n.status != "sent":
                typer.echo(f"  alarm {n.alarm_id} → contact {n.contact_id}: {n.error}")


@app.command()
def notifications(alarm: int = typer.Option(None, "--alarm", help="Only this alarm.")) -> None:
    """The log of who was told about which alarm, when, and whether it went out."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import transaction
    from yuzhi.monitor import console as C
    from yuzhi.monitor import service

    with transaction() as session:
        rows = service.notification_log(session, actor=SYSTEM, alarm_id=alarm)
        for n, c, a in rows:
            typer.echo(f"alarm {a.id} {a.level:<13s} → {c.name} <{c.email}> ({c.after_min} min)  {n.status:<6s} "
                       f"{C.beijing(n.sent_at) if n.sent_at else '—'} (Beijing)  attempts {n.attempts}"
                       + (f"  {n.error}" if n.error else ""))
        if not rows:
            typer.echo("nobody notified yet")


@app.command()
def purge() -> None:
    """Delete samples older than each sensor's retention."""
    from yuzhi.db import transaction
    from yuzhi.monitor import service

    with transaction() as session:
        typer.echo(f"{service.purge_samples(session)} samples deleted")


@sensor_app.command("model")
def sensor_model(
    model: Path = typer.Argument(..., help="Model folder written by `yuzhi monitor fit`."),
    org: int = typer.Option(..., "--org", help="Organisation owning the sensors."),
    name: str = typer.Option(..., "--name", help="Name of this early-warning model."),
    clear_below: float = typer.Option(0.8, help="An early warning returns to normal below this score."),
) -> None:
    """Attach a fitted model to live ingestion: early-warning alarms name the responsible sensor."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.db import transaction
    from yuzhi.monitor import service
    from yuzhi.monitor.detectors import MahalanobisDetector

    det = MahalanobisDetector.load(model)
    with transaction() as session:
        row = service.register_model(session, actor=SYSTEM, name=name, model=det, org_id=org,
                                     clear_below=clear_below)
        typer.echo(f"model {row.id} {name!r} scores {', '.join(row.sensors)} live for organisation {org}")
