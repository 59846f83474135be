"""Policy simulator, database side: one read-only snapshot of a year, comparisons, the workbook.

A simulation never writes. :func:`snapshot` reads everything it needs inside one read-only
transaction — ``REPEATABLE READ, READ ONLY`` on PostgreSQL (a consistent view while providers keep
pushing bills), a deferred ``BEGIN`` on SQLite (WAL readers see one snapshot and block no writer) —
and rolls it back. The replay itself is ``yuzhi.vouchers.simulate`` (pure, vectorised).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Engine, Row, String, cast, false, func, literal_column, select

from yuzhi.accounts.models import Affiliation, Organisation
from yuzhi.errors import InvalidInput, NotFound
from yuzhi.providers.models import Provider
from yuzhi.vouchers import simulate as sim
from yuzhi.vouchers.models import AppStatus, Bill, BillKind, Programme, QuotaApplication

HELD = (AppStatus.DISCLOSURE, AppStatus.OBJECTED, AppStatus.EFFECTIVE, AppStatus.EXPIRED)


def in_force(p: Programme | Row) -> sim.SimRules:  # a Programme, or a row of its table
    """The rules a programme year runs under, as a simulator rule set."""
    return sim.SimRules(name=f"{p.year} in force", pool_fen=p.pool_fen, rate_bp=p.rate_bp,
                        unit_cap_fen=p.unit_cap_fen, province_bp=p.province_bp,
                        settlement_mode=p.settlement_mode, disclosure_days=p.disclosure_days,
                        source="programme")


def snapshot(engine: Engine, year: int, *, monthly: bool = False) -> sim.Year:
    """Read a programme year in one read-only transaction (never commits, writes nothing).

    ``monthly``: for the forecast, bills summed per unit, provider, usage month and reason (dated the
    group's last usage day, with ``bill_count``): a few thousand rows for a year of a million bills.
    Not for replays (credit notes and the recording order are gone)."""
    with engine.connect() as conn:
        opts: dict[str, object] = {"yuzhi_read_only": True}
        if conn.dialect.name == "postgresql":
            opts.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        conn = conn.execution_options(**opts)
        with conn.begin() as txn:
            try:
                return _read(conn, year, monthly)
            finally:
                txn.rollback()


def _read(conn, year: int, monthly: bool = False) -> sim.Year:
    """The year's rows, column by column into arrays. Bills are the bulk (up to millions): their times
    and dates come back as plain numbers or ISO text converted by numpy, not one datetime per row."""
    P, Q, B, OR, V, A = (Programme.__table__, QuotaApplication.__table__, Bill.__table__, Organisation.__table__,
                        Provider.__table__, Affiliation.__table__)
    prow = conn.execute(select(P).where(P.c.year == year)).first()
    if prow is None:
        raise NotFound(f"there is no {year} voucher programme", field="year",
                       fix="simulate a year the office has opened (yuzhi vouchers programmes)",
                       key="no_programme", params={"year": year})
    postgres = conn.dialect.name == "postgresql"

    def micros(col):
        return cast(func.extract("epoch", col) * 1_000_000, BigInteger) if postgres else cast(col, String)

    apps = conn.execute(select(Q.c.id, Q.c.org_id, Q.c.provider_id, Q.c.planned_spend_fen, Q.c.approved_fen,
                               Q.c.status, Q.c.reviewed_at, Q.c.effective_at)
                        .where(Q.c.programme_id == prow.id).order_by(Q.c.id)).all()
    if monthly:
        month = func.extract("month", B.c.period_end)
        rows = conn.execute(select(func.min(B.c.id), B.c.org_id, B.c.provider_id, false(), literal_column("0"),
                                   func.sum(B.c.amount_fen),
                                   func.sum(B.c.subsidy_fen), func.sum(B.c.net_subsidy_fen), B.c.ineligible_reason,
                                   func.max(micros(B.c.created_at)), cast(func.max(B.c.period_end), String),
                                   func.count())
                            .where(B.c.programme_id == prow.id, B.c.kind == BillKind.BILL.value)
                            .group_by(B.c.org_id, B.c.provider_id, month, B.c.ineligible_reason)
                            .order_by(func.min(B.c.id))).all()
    else:
        rows = conn.execute(select(B.c.id, B.c.org_id, B.c.provider_id, B.c.kind == BillKind.CREDIT.value,
                                   func.coalesce(B.c.original_bill_id, 0), B.c.amount_fen, B.c.subsidy_fen,
                                   B.c.net_subsidy_fen, B.c.ineligible_reason, micros(B.c.created_at),
                                   cast(B.c.period_end, String))
                            .where(B.c.programme_id == prow.id).order_by(B.c.id)).all()
    provs = conn.execute(select(V.c.id, V.c.org_id, V.c.name, V.c.criterion).order_by(V.c.id)).all()
    i64 = np.int64
    cols = list(zip(*rows, strict=True)) if rows else [()] * 12
    bill_id = np.array(cols[0], dtype=i64)
    bill_org = np.array(cols[1], dtype=i64)
    bill_provider = np.array(cols[2], dtype=i64)
    org_ids = np.unique(np.concatenate([np.array([a.org_id for a in apps], dtype=i64), bill_org]))
    orgs = {o.id: o for o in conn.execute(select(OR.c.id, OR.c.uscc, OR.c.name, OR.c.kind, OR.c.city, OR.c.industry)
                                          .where(OR.c.id.in_(org_ids.tolist())))} if len(org_ids) else {}
    affil = {(r.org_a_id, r.org_b_id) for r in conn.execute(select(A.c.org_a_id, A.c.org_b_id))}

    prov_ids = np.array([p.id for p in provs], dtype=i64)
    unit_ix = {int(oid): i for i, oid in enumerate(org_ids.tolist())}
    prov_ix = {p.id: i for i, p in enumerate(provs)}
    prov_org = {p.id: p.org_id for p in provs}

    def related(org: int, prov: int) -> bool:
        other = prov_org[prov]
        return (min(org, other), max(org, other)) in affil

    # related-party pairs as a small unit × provider table, looked up per bill in one step
    pairs = np.zeros((len(org_ids), max(len(provs), 1)), dtype=bool)
    for a, b in affil:
        for oid, other in ((a, b), (b, a)):
            if oid in unit_ix:
                for k, p in enumerate(provs):
                    if p.org_id == other:
                        pairs[unit_ix[oid], k] = True
    b_unit = np.searchsorted(org_ids, bill_org).astype(i64)
    b_prov = np.searchsorted(prov_ids, bill_provider).astype(i64)
    reasons = np.array(cols[8], dtype=str) if rows else np.zeros(0, dtype=str)
    orig_ids = np.array(cols[4], dtype=i64)
    # PostgreSQL gives microseconds; SQLite its stored UTC text, which numpy parses
    recorded = np.array(cols[9], dtype=i64) if postgres else np.array(cols[9], dtype="datetime64[us]").astype(i64)
    held = [a.status in HELD for a in apps]
    return sim.Year(
        year=year, in_force=in_force(prow),
        unit_id=org_ids,
        unit_name=[orgs[o].name for o in org_ids.tolist()], unit_kind=[orgs[o].kind for o in org_ids.tolist()],
        unit_city=[orgs[o].city for o in org_ids.tolist()], unit_industry=[orgs[o].industry for o in org_ids.tolist()],
        unit_uscc=[orgs[o].uscc for o in org_ids.tolist()],
        prov_id=prov_ids, prov_name=[p.name for p in provs], prov_criterion=[p.criterion for p in provs],
        prov_unit=np.array([unit_ix.get(p.org_id, -1) for p in provs], dtype=i64),
        app_id=np.array([a.id for a in apps], dtype=i64),
        app_unit=np.array([unit_ix[a.org_id] for a in apps], dtype=i64),
        app_prov=np.array([prov_ix[a.provider_id] for a in apps], dtype=i64),
        app_planned=np.array([a.planned_spend_fen for a in apps], dtype=i64),
        app_approved=np.array([a.approved_fen if h else 0 for a, h in zip(apps, held, strict=True)], dtype=i64),
        app_reviewed=np.array([sim.epoch_seconds(a.reviewed_at) if h else -1
                               for a, h in zip(apps, held, strict=True)], dtype=i64),
        app_effective=np.array([sim.epoch_seconds(a.effective_at) if h else -1
                                for a, h in zip(apps, held, strict=True)], dtype=i64),
        app_affiliated=np.array([related(a.org_id, a.provider_id) for a in apps], dtype=bool),
        bill_id=bill_id, bill_unit=b_unit, bill_prov=b_prov,
        bill_amount=np.array(cols[5], dtype=i64),
        bill_credit=np.array(cols[3], dtype=bool),
        bill_orig=np.where(orig_ids > 0, np.searchsorted(bill_id, orig_ids), -1).astype(i64),
        bill_recorded=recorded,
        bill_usage_day=np.array(cols[10], dtype="datetime64[D]").astype(i64),
        bill_unit_refused=np.char.startswith(reasons, "unit is "),
        bill_not_qualified=np.char.startswith(reasons, "provider ") | np.char.startswith(reasons, "usage "),
        bill_affiliated=np.char.startswith(reasons, "related-party") | pairs[b_unit, b_prov]
        if len(provs) else np.zeros(len(rows), dtype=bool),
        rec_subsidy=np.array(cols[6], dtype=i64),
        rec_net=np.array(cols[7], dtype=i64),
        bill_count=np.array(cols[11], dtype=i64) if monthly else None,
    )


# --- running rule sets ------------------------------------------------------------------------


@dataclass
class Comparison:
    year: sim.Year
    base: sim.Result  # the rules in force
    runs: list[sim.Result]  # the rule sets asked for, in order


def read_rules(paths: Sequence[Path], base: sim.SimRules) -> list[sim.SimRules]:
    out = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read rules file {path}: {exc}", field="--rules",
                               fix="give a readable UTF-8 TOML file") from None
        out.append(sim.parse_rules(text, base=base, source=path.name))
    return out


def compare(year: sim.Year, rule_sets: Sequence[sim.SimRules]) -> Comparison:
    base = sim.replay(year, year.in_force)
    return Comparison(year, base, [sim.replay(year, r) for r in rule_sets])


def summary_rows(c: Comparison) -> tuple[list[str], list[tuple[str, list[object]]]]:
    """Side-by-side figures: (column names, [(metric, value per run)]); money in yuan text."""
    runs = [c.base, *c.runs]
    y = c.year
    cols = [r.rules.name for r in runs]
    rows: list[tuple[str, list[object]]] = [
        ("rate", [f"{r.rules.rate_bp / 100:g}%" for r in runs]),
        ("per-unit cap (yuan)", [sim.yuan(r.rules.unit_cap_fen) for r in runs]),
        ("pool (yuan)", [sim.yuan(r.rules.pool_fen) for r in runs]),
        ("province:city", [f"{r.rules.province_bp / 100:g}:{(10000 - r.rules.province_bp) / 100:g}" for r in runs]),
        ("settlement mode", [r.rules.settlement_mode for r in runs]),
        ("disclosure days", [r.rules.disclosure_days for r in runs]),
        ("bill binding", [r.rules.bill_binding for r in runs]),
        ("total subsidy (yuan)", [sim.yuan(r.total_fen) for r in runs]),
        ("quota committed (yuan)", [sim.yuan(r.committed_fen) for r in runs]),
        ("pool unused at year end (yuan)", [sim.yuan(r.rules.pool_fen - r.used_fen) for r in runs]),
        ("pool runs out on", [r.pool_exhausted_on.isoformat() if r.pool_exhausted_on else "—" for r in runs]),
        ("units capped", [r.units_capped for r in runs]),
        ("units paid", [int((r.unit_subsidy > 0).sum()) for r in runs]),
        ("units excluded", [sum(v["units"] for k, v in r.excluded.items() if k in sim._ELIGIBILITY) for r in runs]),
        ("top-10 share", [f"{sim.top_share(r):.1%}" for r in runs]),
        ("Gini", [f"{sim.lorenz(r)[2]:.3f}" for r in runs]),
        ("province share (yuan)", [sim.yuan(r.province_fen) for r in runs]),
        ("city share (yuan)", [sim.yuan(r.city_fen) for r in runs]),
        ("change vs in force (yuan)", [sim.yuan(r.total_fen - c.base.total_fen) for r in runs]),
        ("outside the plan's limits", ["; ".join(r.flags) or "—" for r in runs]),
    ]
    del y
    return cols, rows


# --- the workbook -----------------------------------------------------------------------------


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)


def _category_sheets(wb: Any, c: Comparison) -> None:
    """Subsidy by city, by industry and by kind of unit, one sheet and bar chart each."""
    from openpyxl.chart import BarChart, Reference

    runs = [c.base, *c.runs]
    names = [r.rules.name for r in runs]
    y = c.year
    money = _yuan
    for title, attr in (("By city", "unit_city"), ("By industry", "unit_industry"), ("By kind", "unit_kind")):
        wc = wb.create_sheet(title)
        cats = list(sim.by_category(y, c.base, attr))
        per = [sim.by_category(y, r, attr) for r in runs]
        for extra in per:
            cats += [k for k in extra if k not in cats]
        wc.append([title[3:], *names])
        for cat in cats:
            wc.append([cat, *[money(p.get(cat, 0)) for p in per]])
        bc = BarChart()
        bc.type, bc.title, bc.y_axis.title = "col", f"Subsidy {title.lower()} (yuan)", "yuan"
        bc.add_data(Reference(wc, min_col=2, max_col=1 + len(runs), min_row=1, max_row=1 + len(cats)),
                    titles_from_data=True)
        bc.set_categories(Reference(wc, min_col=1, min_row=2, max_row=1 + len(cats)))
        bc.width, bc.height = 22, 11
        wc.add_chart(bc, f"{_col(len(runs) + 3)}2")


def _movers_sheet(wb: Any, c: Comparison) -> None:
    """Per rule set, the units that gain and lose most against the rules in force."""
    money = _yuan
    y = c.year
    wm = wb.create_sheet("Movers")
    wm.append(["rule set", "gains most", "change (yuan)", "", "loses most", "change (yuan)"])
    for r in c.runs:
        gain, lose = sim.movers(y, r, c.base)
        for k in range(max(len(gain), len(lose), 1)):
            g = gain[k] if k < len(gain) else ("", 0)
            lo = lose[k] if k < len(lose) else ("", 0)
            wm.append([r.rules.name, g[0], money(g[1]) if g[0] else "", "", lo[0], money(lo[1]) if lo[0] else ""])


def workbook(c: Comparison) -> bytes:
    """The comparison as an .xlsx: summary, pool burn-down, Lorenz curve, by city / industry / kind,
    exclusions, movers and units, with native Excel charts (openpyxl)."""
    from openpyxl import Workbook
    from openpyxl.chart import LineChart, Reference, ScatterChart, Series
    from openpyxl.styles import Font

    runs = [c.base, *c.runs]
    names = [r.rules.name for r in runs]
    y = c.year
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    cols, rows = summary_rows(c)
    ws.append([f"{y.year} voucher year replayed under {len(c.runs)} rule set(s); money in yuan"])
    ws.append(["", *cols])
    for metric, vals in rows:
        ws.append([metric, *vals])
    ws.column_dimensions["A"].width = 32
    for cell in ws[2]:
        cell.font = Font(bold=True)

    def money(fen: int) -> float:
        return round(fen / 100, 2)

    # pool burn-down
    wp = wb.create_sheet("Pool")
    wp.append(["month end", *[f"{n}: pool left after use" for n in names], *[f"{n}: committed" for n in names]])
    for k, (d, _c, _u) in enumerate(c.base.burn):
        wp.append([d.isoformat(), *[money(r.rules.pool_fen - r.burn[k][2]) for r in runs],
                   *[money(r.burn[k][1]) for r in runs]])
    ch = LineChart()
    ch.title, ch.y_axis.title, ch.x_axis.title = "Pool left after use (yuan)", "yuan", "month"
    ch.add_data(Reference(wp, min_col=2, max_col=1 + len(runs), min_row=1, max_row=1 + len(c.base.burn)),
                titles_from_data=True)
    ch.set_categories(Reference(wp, min_col=1, min_row=2, max_row=1 + len(c.base.burn)))
    ch.width, ch.height = 22, 11
    wp.add_chart(ch, f"{_col(2 * len(runs) + 3)}2")

    # Lorenz curves
    wl = wb.create_sheet("Lorenz")
    sc = ScatterChart()
    sc.title, sc.x_axis.title, sc.y_axis.title = "Lorenz curve of subsidies", "share of units", "share of subsidy"
    sc.style = 13
    col = 1
    for r in runs:
        xs, ys, gini = sim.lorenz(r)
        wl.cell(1, col, f"{r.rules.name} units")
        wl.cell(1, col + 1, f"{r.rules.name} (Gini {gini:.3f})")
        for k, (a, b) in enumerate(zip(xs, ys, strict=True), start=2):
            wl.cell(k, col, round(a, 4))
            wl.cell(k, col + 1, round(b, 4))
        s = Series(Reference(wl, min_col=col + 1, min_row=1, max_row=len(xs) + 1),
                   Reference(wl, min_col=col, min_row=2, max_row=len(xs) + 1), title_from_data=True)
        s.marker.symbol = "none"
        sc.series.append(s)
        col += 3
    sc.width, sc.height = 18, 12
    wl.add_chart(sc, f"{_col(col + 1)}2")

    _category_sheets(wb, c)

    we = wb.create_sheet("Excluded")
    we.append(["rule set", "reason", "units", "applications", "bills", "billed amount (yuan)"])
    for r in runs:
        for why, v in sorted(r.excluded.items()):
            we.append([r.rules.name, sim.REASONS.get(why, why), v["units"], v.get("applications", 0), v["bills"],
                       money(v["amount_fen"])])

    _movers_sheet(wb, c)

    wu = wb.create_sheet("Units")
    wu.append(["unit", "kind", "city", "industry", *[f"{n} (yuan)" for n in names]])
    for i in range(y.n_units):
        wu.append([y.unit_name[i], y.unit_kind[i], y.unit_city[i], y.unit_industry[i],
                   *[money(int(r.unit_subsidy[i])) for r in runs]])

    wr = wb.create_sheet("Rules")
    wr.append(["rule set", "source", "rate %", "per-unit cap (yuan)", "pool (yuan)", "province %", "mode",
               "disclosure days", "bill binding", "approval", "provider criteria", "related party",
               "self-built", "individual businesses", "out of province", "flags"])
    for r in runs:
        s_ = r.rules
        wr.append([s_.name, s_.source, s_.rate_bp / 100, money(s_.unit_cap_fen), money(s_.pool_fen),
                   s_.province_bp / 100, s_.settlement_mode, s_.disclosure_days, s_.bill_binding, s_.approval,
                   ", ".join(s_.provider_criteria), s_.related_party, s_.self_built, s_.individual_businesses,
                   s_.out_of_province, "; ".join(r.flags)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _col(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


# --- forecast for the running year ------------------------------------------------------------


def forecast_for(engine: Engine, year: int, as_of=None, *, stale_ok: bool = False):
    """The running year's pool forecast (``yuzhi.vouchers.forecast``), backtested on the year before.

    Cached until the books change. ``stale_ok`` (the dashboard): when they have changed since today's
    last forecast, answer that one at once and redo it in a background thread, so a view never waits
    for three whole years to be read while bills keep arriving (seconds at a million bills)."""
    from datetime import UTC, date, datetime, timedelta

    today = as_of or datetime.now(UTC).date()
    if today.year != year:  # a past year is over: forecast as of its last day
        today = min(today, date(year, 12, 31))
    fp = _fingerprint(engine, year)
    key = (id(engine), year, today, fp)
    hit = _FORECASTS.get(key)
    if hit is not None:
        return hit
    latest = _LATEST.get((id(engine), year, today))
    if stale_ok and latest is None:  # a new day: yesterday's forecast until today's is ready (issue 14)
        latest = _LATEST.get((id(engine), year, today - timedelta(days=1)))
    if stale_ok and latest is not None:
        _refresh_in_background(engine, year, today, fp)
        return latest
    return _compute(engine, year, today, fp)


def keep_forecasts_warm(engine: Engine, *, every_s: float = 300.0,
                        stop: threading.Event | None = None) -> threading.Thread:
    """Compute the open years' forecasts when a serving process starts, then look again every
    ``every_s`` seconds, in a daemon thread of this process (the cache is per process).

    So no dashboard view computes a forecast itself: the first view after start-up or after midnight
    was 1.2–2.9 s at a million bills (issue 14). Each pass is one ``forecast_for(..., stale_ok=True)``
    per open year: nothing when the books stood still, a background refresh when they moved, and
    a new day's forecast (the view shows yesterday's meanwhile)."""
    import logging

    halt = stop or threading.Event()

    def run() -> None:
        while True:
            try:
                with engine.connect() as conn:
                    years = list(conn.execute(select(Programme.year).where(Programme.status == "open")).scalars())
                for year in years:
                    forecast_for(engine, year, stale_ok=True)
            except Exception as exc:  # a view computes it then; the next pass tries again
                logging.getLogger("yuzhi.vouchers").warning("forecast warm-up failed: %s", exc)
            if halt.wait(every_s):
                return

    thread = threading.Thread(target=run, name="yuzhi-forecast-warm", daemon=True)
    thread.start()
    return thread


def _compute(engine: Engine, year: int, today, fp: tuple[object, ...]):
    from yuzhi.vouchers import forecast as fc

    y = snapshot(engine, year, monthly=True)
    prev = prev_prev = None
    try:
        prev = snapshot(engine, year - 1, monthly=True)
        prev_prev = snapshot(engine, year - 2, monthly=True)
    except NotFound:
        pass
    out = fc.forecast(y, today, prev, prev_prev)
    with _LOCK:
        if len(_FORECASTS) > 16:
            _FORECASTS.clear()
        _FORECASTS[(id(engine), year, today, fp)] = out
        if len(_LATEST) > 16:
            _LATEST.clear()
        _LATEST[(id(engine), year, today)] = out
    return out


def _refresh_in_background(engine: Engine, year: int, today, fp: tuple[object, ...]) -> None:
    import logging

    job = (id(engine), year, today)
    with _LOCK:
        if job in _REFRESHING:
            return
        _REFRESHING.add(job)

    def run() -> None:
        try:
            _compute(engine, year, today, fp)
        except Exception as exc:  # the stale forecast stays; the next view tries again
            logging.getLogger("yuzhi.vouchers").warning("forecast refresh failed: %s", exc)
        finally:
            with _LOCK:
                _REFRESHING.discard(job)

    threading.Thread(target=run, name="yuzhi-forecast", daemon=True).start()


#: Forecasts by (engine, year, day, fingerprint of the books): the dashboard reads three whole years
#: for one, so a view repeats it only when a bill, an application or a programme changed.
_FORECASTS: dict[tuple[object, ...], object] = {}
#: Today's newest forecast per (engine, year, day), whatever the books did since (``stale_ok``).
_LATEST: dict[tuple[object, ...], object] = {}
_REFRESHING: set[tuple[object, ...]] = set()
_LOCK = threading.Lock()


def _fingerprint(engine: Engine, year: int) -> tuple[object, ...]:
    """The programmes' last changes, the last bill id anywhere (the primary key's end: cheap at any size)
    and the three years' applications' count and last change."""
    P, Q, B = Programme.__table__, QuotaApplication.__table__, Bill.__table__
    with engine.connect() as conn:
        conn = conn.execution_options(yuzhi_read_only=True)
        with conn.begin() as txn:
            progs = select(P.c.id).where(P.c.year.between(year - 2, year)).scalar_subquery()
            out = (tuple(conn.execute(select(P.c.id, P.c.updated_at).where(P.c.year.between(year - 2, year))
                                      .order_by(P.c.id)).all()),
                   conn.execute(select(func.max(B.c.id))).scalar(),  # bills are never deleted; a credit is a new one
                   tuple(conn.execute(select(func.count(), func.max(Q.c.id), func.max(Q.c.updated_at))
                                      .where(Q.c.programme_id.in_(progs))).one()))
            txn.rollback()
    return out


# --- a synthetic year from a workbook of expected demand ----------------------------------------

DEMAND_SHEETS = {
    "units": ("unit", "kind", "city", "industry"),  # optional column: uscc
    "providers": ("provider", "criterion"),
    "applications": ("unit", "provider", "planned_spend_yuan", "approved_on"),
    "demand": ("unit", "provider", "month", "amount_yuan"),
}


class _DemandBook:
    """The demand workbook's rows by sheet, read once; every error names the sheet and the cell."""

    def __init__(self, wb: Any, source: str, year: int) -> None:
        self.wb, self.source, self.year = wb, source, year
        self.rows: dict[str, list[tuple[int, dict[str, object]]]] = {}
        for sheet, cols in DEMAND_SHEETS.items():
            if sheet not in wb.sheetnames:
                raise InvalidInput(f"{source} has no sheet '{sheet}'", field=sheet,
                                   fix=f"add a sheet '{sheet}' with columns " + ", ".join(cols),
                                   key="workbook_no_sheet", params={"sheet": sheet, "columns": ", ".join(cols)})
            it = wb[sheet].iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(it, ())]
            for c in cols:
                if c not in header:
                    raise InvalidInput(f"{source} sheet '{sheet}' has no column '{c}'", field=f"{sheet}!1",
                                       fix=f"row 1 of '{sheet}' names the columns: " + ", ".join(cols),
                                       key="workbook_no_column",
                                       params={"sheet": sheet, "column": c, "columns": ", ".join(cols)})
            self.rows[sheet] = [(i, dict(zip(header, r, strict=False))) for i, r in enumerate(it, start=2)
                                if any(v is not None and str(v).strip() for v in r)]

    def cell(self, sheet: str, i: int, col: str) -> str:
        from openpyxl.utils import get_column_letter

        header = next(self.wb[sheet].iter_rows(values_only=True, max_row=1))
        k = [str(h).strip() if h is not None else "" for h in header].index(col) + 1
        return f"{sheet}!{get_column_letter(k)}{i}"

    def bad(self, sheet: str, i: int, col: str, msg: str, fix: str) -> InvalidInput:
        where = self.cell(sheet, i, col)
        return InvalidInput(f"{self.source} {where}: {msg}", field=where, fix=fix)

    def money(self, sheet: str, i: int, col: str, v: object) -> int:
        d = sim._decimal(v)
        if d is None or d < 0 or d * 100 != (d * 100).to_integral_value():
            raise self.bad(sheet, i, col, f"{v!r} is not an amount of yuan with at most two decimals",
                           "e.g. 120000.50")
        return int(d * 100)

    def ref(self, sheet: str, i: int, r: dict[str, object], col: str, table: dict[str, int]) -> int:
        name = str(r[col] or "").strip()
        if name not in table:
            raise self.bad(sheet, i, col, f"{col} {name!r} is not on the '{col}s' sheet",
                           "add it there or correct the name")
        return table[name]

    def day_of(self, sheet: str, i: int, col: str, v: object) -> date:
        year = self.year
        if isinstance(v, datetime):
            v = v.date()
        if isinstance(v, date) and v.year == year:
            return v
        try:
            d = date.fromisoformat(str(v).strip())
        except ValueError:
            d = None
        if d is None or d.year != year:
            raise self.bad(sheet, i, col, f"{v!r} is not a date in {year}", f"write e.g. {year}-03-15")
        return d

    def units(self) -> dict[str, int]:
        """Unit names to their index, each named once."""
        unit_ix: dict[str, int] = {}
        for i, r in self.rows["units"]:
            name = str(r["unit"] or "").strip()
            if not name or name in unit_ix:
                raise self.bad("units", i, "unit", f"unit {name!r} is empty or repeated",
                               "one row per unit, each named once")
            unit_ix[name] = len(unit_ix)
        return unit_ix

    def providers(self) -> tuple[dict[str, int], list[str]]:
        """Provider names to their index, and each one's qualifying criterion."""
        prov_ix: dict[str, int] = {}
        crit: list[str] = []
        for i, r in self.rows["providers"]:
            name = str(r["provider"] or "").strip()
            c = str(r["criterion"] or "").strip()
            if not name or name in prov_ix:
                raise self.bad("providers", i, "provider", f"provider {name!r} is empty or repeated",
                               "name each provider once")
            if c not in sim.CRITERIA:
                raise self.bad("providers", i, "criterion", f"{c!r} is not a qualifying criterion", "one of "
                               + ", ".join(sim.CRITERIA))
            prov_ix[name] = len(prov_ix)
            crit.append(c)
        return prov_ix, crit

    def applications(self, unit_ix: dict[str, int], prov_ix: dict[str, int]) -> list[tuple[date, int, int, int, int]]:
        """``(approved on, row, unit, provider, planned spend in fen)`` in date order."""
        apps = []
        for i, r in self.rows["applications"]:
            u = self.ref("applications", i, r, "unit", unit_ix)
            p = self.ref("applications", i, r, "provider", prov_ix)
            apps.append((self.day_of("applications", i, "approved_on", r["approved_on"]), i, u, p,
                         self.money("applications", i, "planned_spend_yuan", r["planned_spend_yuan"])))
        apps.sort()
        return apps

    def bills(self, unit_ix: dict[str, int], prov_ix: dict[str, int]) -> list[tuple[date, int, int, int, int]]:
        """``(month end, row, unit, provider, amount in fen)`` for each non-zero demand row, in date order."""
        year = self.year
        bills = []
        for i, r in self.rows["demand"]:
            u = self.ref("demand", i, r, "unit", unit_ix)
            p = self.ref("demand", i, r, "provider", prov_ix)
            m = r["month"]
            if not isinstance(m, int | float) or int(m) != m or not 1 <= int(m) <= 12:
                raise self.bad("demand", i, "month", f"{m!r} is not a month 1..12", "write the month's number, e.g. 3")
            amount = self.money("demand", i, "amount_yuan", r["amount_yuan"])
            if amount:
                end = (date(year, int(m) % 12 + 1, 1) if m < 12 else date(year + 1, 1, 1)) - timedelta(days=1)
                bills.append((end, i, u, p, amount))
        bills.sort()
        return bills


def _approve_in_order(apps: list[tuple[date, int, int, int, int]], base: sim.SimRules) -> list[int]:
    """The office approves the most the rules in force allow, in date order."""
    from yuzhi.vouchers.rules import approvable

    committed: dict[int, int] = {}
    pool = 0
    approved = []
    for _d, _i, u, _p, planned in apps:
        amt = approvable(planned, rate_bp=base.rate_bp, unit_remaining_fen=base.unit_cap_fen - committed.get(u, 0),
                         pool_remaining_fen=base.pool_fen - pool)
        committed[u] = committed.get(u, 0) + amt
        pool += amt
        approved.append(amt)
    return approved


def year_from_workbook(data: bytes, year: int, base: sim.SimRules, *, source: str = "demand.xlsx") -> sim.Year:
    """A year that has not happened, from expected demand: units, providers, applications (approved
    on a date, at the most the rules in force allow, in date order) and compute fees per unit,
    provider and month (one bill at each month end). Errors name the sheet and the cell."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # any unreadable file gets the same answer
        raise InvalidInput(f"{source} is not an .xlsx workbook", field="--demand",
                           fix="save the demand workbook as .xlsx with sheets " + ", ".join(DEMAND_SHEETS),
                           key="demand_not_xlsx",
                           params={"name": str(source), "sheets": ", ".join(DEMAND_SHEETS)}) from None
    book = _DemandBook(wb, source, year)
    units = book.rows["units"]
    unit_ix = book.units()
    prov_ix, crit = book.providers()
    apps = book.applications(unit_ix, prov_ix)
    approved = _approve_in_order(apps, base)

    def at(d: date, hour: int) -> int:
        return sim.epoch_seconds(datetime.combine(d, time(hour), tzinfo=UTC))

    reviewed = [at(d, 9) for d, *_ in apps]
    bills = book.bills(unit_ix, prov_ix)
    n_u, n_b = len(unit_ix), len(bills)
    z = np.zeros(n_b, dtype=bool)
    info = [r for _i, r in units]
    return sim.Year(
        year=year, in_force=base, unit_id=np.arange(n_u, dtype=np.int64), unit_name=list(unit_ix),
        unit_kind=[str(r.get("kind") or "") for r in info], unit_city=[str(r.get("city") or "") for r in info],
        unit_industry=[str(r.get("industry") or "") for r in info],
        unit_uscc=[str(r.get("uscc") or "914100") for r in info],
        prov_id=np.arange(len(prov_ix), dtype=np.int64), prov_name=list(prov_ix), prov_criterion=crit,
        prov_unit=np.full(len(prov_ix), -1, dtype=np.int64),
        app_id=np.arange(len(apps), dtype=np.int64), app_unit=np.array([a[2] for a in apps], dtype=np.int64),
        app_prov=np.array([a[3] for a in apps], dtype=np.int64),
        app_planned=np.array([a[4] for a in apps], dtype=np.int64), app_approved=np.array(approved, dtype=np.int64),
        app_reviewed=np.array(reviewed, dtype=np.int64),
        app_effective=np.array([t + base.disclosure_days * sim.DAY for t in reviewed], dtype=np.int64),
        app_affiliated=np.zeros(len(apps), dtype=bool),
        bill_id=np.arange(n_b, dtype=np.int64), bill_unit=np.array([b[2] for b in bills], dtype=np.int64),
        bill_prov=np.array([b[3] for b in bills], dtype=np.int64),
        bill_amount=np.array([b[4] for b in bills], dtype=np.int64), bill_credit=z,
        bill_orig=np.full(n_b, -1, dtype=np.int64), bill_recorded=np.array([at(b[0], 18) for b in bills],
                                                                         dtype=np.int64),
        bill_usage_day=np.array([sim.epoch_days(b[0]) for b in bills], dtype=np.int64),
        bill_unit_refused=z, bill_not_qualified=z, bill_affiliated=z)


def rules_in_force(engine: Engine, year: int) -> sim.SimRules:
    """The year's programme rules, or the plan's defaults for a year not opened yet (read-only)."""
    from yuzhi.vouchers.rules import ProgrammeRules

    with engine.connect() as conn:
        conn = conn.execution_options(yuzhi_read_only=True)
        with conn.begin() as txn:
            row = conn.execute(select(Programme.__table__).where(Programme.__table__.c.year == year)).first()
            txn.rollback()
    if row is not None:
        return in_force(row)
    d = ProgrammeRules()
    return sim.SimRules(name=f"{year} plan defaults", pool_fen=d.pool_fen, rate_bp=d.rate_bp,
                        unit_cap_fen=d.unit_cap_fen, province_bp=d.province_bp,
                        settlement_mode=d.settlement_mode.value, disclosure_days=d.disclosure_days, source="plan")
