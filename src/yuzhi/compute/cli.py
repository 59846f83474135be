"""``yuzhi compute``: connect engines, publish capacity and prices, run the worker, submit and
follow jobs from a terminal (same services as the web UI and the REST API).

Provider and office commands act as the system administrator (run them on the platform host);
member commands take ``--as USERNAME`` and act as that user, with that user's tenant.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import overload

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Compute network: engines (local, Slurm), rate cards, budgets, AI jobs and the worker.",
                  no_args_is_help=True)
card_app = typer.Typer(help="Provider rate cards (prices per core-hour, GPU-hour, GB-hour in fen).",
                       no_args_is_help=True)
app.add_typer(card_app, name="rate-card")
accounts_app = typer.Typer(help="Per-unit Slurm accounts of a provider's cluster (endpoint config unit_accounts=true).",
                           no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
console = Console()


def _fen(v: int) -> str:
    return f"{'-' if v < 0 else ''}¥{abs(v) // 100:,}.{abs(v) % 100:02d}"


def _charge_cell(job) -> str:
    """An active job has no charge yet, only a budget hold: say so (冻结 = held), never pass it off as a charge."""
    if job.status in ("queued", "submitted", "running"):
        return f"held 冻结 {_fen(job.hold_fen)}" if job.hold_fen else "-"
    return _fen(job.charge_fen)


def _actor(session, username: str | None):
    from sqlalchemy import select

    from yuzhi.accounts import service as accounts
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.accounts.models import User
    from yuzhi.errors import NotFound

    if not username:
        return SYSTEM
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise NotFound(f"no active user {username!r}", field="--as", fix="give an existing username")
    return accounts.actor_for(user)


_PROVIDER = "the provider: name (国家超算郑州中心), USCC or id"


@overload
def _provider_id(ref: str | int) -> int: ...


@overload
def _provider_id(ref: None) -> None: ...


def _provider_id(ref: str | int | None) -> int | None:
    """A provider named the way people know it (name, USCC or id) → its id (None stays None)."""
    if ref is None:
        return None
    from yuzhi.db import transaction
    from yuzhi.providers.service import resolve

    with transaction(_engine()) as s:
        return resolve(s, str(ref)).id


def _engine():
    from yuzhi.db import get_engine

    return get_engine()


@app.command()
def connect(
    provider_id: str = typer.Argument(..., help=_PROVIDER),
    kind: str = typer.Option(..., "--kind", help="local or slurm"),
    config: str = typer.Option("{}", help='JSON, e.g. \'{"partition": "debug", "account": "yuzhi"}\''),
) -> None:
    """Connect a provider's engine and check that it accepts jobs."""
    pid = _provider_id(provider_id)  # a name, USCC or id, as people know it
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.compute import service
    from yuzhi.compute.schemas import EndpointIn
    from yuzhi.db import transaction
    from yuzhi.errors import InvalidInput

    try:
        cfg = json.loads(config)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--config is not JSON: {exc}", field="config") from None
    with transaction(_engine()) as s:
        ep = service.connect(s, actor=SYSTEM, provider_id=pid, endpoint_in=EndpointIn(kind=kind, config=cfg))
        reason = service.check_endpoint(s, endpoint=ep)
    typer.echo(f"provider {pid}: {kind} backend " + ("available" if reason is None else
                                                             f"UNAVAILABLE: {reason}"))


@app.command()
def capacity(
    provider_id: str = typer.Argument(..., help=_PROVIDER),
    nodes: int = typer.Option(1), cores: int = typer.Option(...), gpus: int = typer.Option(0),
    memory_gb: int = typer.Option(...), max_cpus_per_job: int = typer.Option(None),
    max_gpus_per_job: int = typer.Option(None), max_mem_mb_per_job: int = typer.Option(None),
    max_time_limit_s: int = typer.Option(7 * 86400),
) -> None:
    """Publish a provider's capacity (per-job maxima default to the whole provider)."""
    pid = _provider_id(provider_id)  # a name, USCC or id, as people know it
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.compute import service
    from yuzhi.compute.schemas import CapacityIn
    from yuzhi.db import transaction

    cap = CapacityIn(nodes=nodes, cores=cores, gpus=gpus, memory_gb=memory_gb,
                     max_cpus_per_job=max_cpus_per_job or cores, max_gpus_per_job=max_gpus_per_job or gpus,
                     max_mem_mb_per_job=max_mem_mb_per_job or memory_gb * 1024, max_time_limit_s=max_time_limit_s)
    with transaction(_engine()) as s:
        service.publish_capacity(s, actor=SYSTEM, provider_id=pid, capacity_in=cap)
    typer.echo(f"provider {pid}: {cores} cores, {gpus} GPUs, {memory_gb} GB published")


@card_app.command("add")
def card_add(
    provider_id: str = typer.Argument(..., help=_PROVIDER),
    core_hour_fen: int = typer.Option(..., help="fen per core-hour"),
    gpu_hour_fen: int = typer.Option(0, help="fen per GPU-hour"),
    mem_gb_hour_fen: int = typer.Option(0, help="fen per GiB-hour of memory"),
    valid_from: str = typer.Option(..., help="YYYY-MM-DD (China Standard Time)"),
    valid_to: str = typer.Option(None, help="YYYY-MM-DD inclusive; omit for open-ended"),
    failed_policy: str = typer.Option("charged", help="charged or free: are failed/timed-out jobs billed"),
    min_increment_s: int = typer.Option(1, help="billing increment in seconds (60 = per started minute)"),
    min_charge_fen: int = typer.Option(0, help="minimum charge per charged job, fen"),
    billing_period: str = typer.Option("job", help="job (a bill per job) or month (yuzhi compute invoice)"),
) -> None:
    """Publish a rate card. A card starting after the open card's start supersedes it (the open card
    ends the day before); past jobs keep their price. The cards stay free of gaps and overlaps."""
    pid = _provider_id(provider_id)  # a name, USCC or id, as people know it
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.compute import service
    from yuzhi.compute.schemas import RateCardIn
    from yuzhi.db import transaction

    card = RateCardIn(core_hour_fen=core_hour_fen, gpu_hour_fen=gpu_hour_fen, mem_gb_hour_fen=mem_gb_hour_fen,
                      valid_from=date.fromisoformat(valid_from),
                      valid_to=date.fromisoformat(valid_to) if valid_to else None, failed_policy=failed_policy,
                      min_increment_s=min_increment_s, min_charge_fen=min_charge_fen,
                      billing_period=billing_period)
    with transaction(_engine()) as s:
        row = service.publish_rate_card(s, actor=SYSTEM, provider_id=pid, card_in=card)
    typer.echo(f"rate card {row.id} for provider {pid} from {valid_from}")


@card_app.command("end")
def card_end(
    provider_id: str = typer.Argument(..., help=_PROVIDER),
    card_id: int = typer.Argument(...),
    valid_to: str = typer.Option(..., help="last day the card applies, YYYY-MM-DD (China Standard Time)"),
) -> None:
    """End a card on a date (no job already priced under it may have started after that date)."""
    pid = _provider_id(provider_id)  # a name, USCC or id, as people know it
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.compute import service
    from yuzhi.db import transaction

    with transaction(_engine()) as s:
        service.end_rate_card(s, actor=SYSTEM, provider_id=pid, card_id=card_id,
                              valid_to=date.fromisoformat(valid_to))
    typer.echo(f"rate card {card_id} of provider {pid} ends {valid_to}")


@card_app.command("list")
def card_list(provider_id: str = typer.Argument(..., help=_PROVIDER)) -> None:
    """A provider's rate-card history, oldest first, with the jobs priced under each card."""
    pid = _provider_id(provider_id)  # a name, USCC or id, as people know it
    from yuzhi.compute import service
    from yuzhi.db import transaction

    t = Table("id", "from", "to", "core-h", "GPU-h", "GiB-h", "failed jobs", "jobs priced")
    with transaction(_engine()) as s:
        used = service.jobs_per_card(s, provider_id=pid)
        for r in service.rate_cards(s, provider_id=pid):
            t.add_row(str(r.id), str(r.valid_from), str(r.valid_to or "open"), _fen(r.core_hour_fen),
                      _fen(r.gpu_hour_fen), _fen(r.mem_gb_hour_fen), r.failed_policy, str(used.get(r.id, 0)))
    console.print(t)


@app.command()
def budget(
    org_id: int = typer.Argument(...),
    fen: int = typer.Argument(None, help="new budget in fen; omit to show the account"),
    yuan: str = typer.Option(None, "--yuan", help="the new budget in yuan instead: 50,000 / 5万"),
) -> None:
    """Show or set an organisation's compute budget (held and spent shown too)."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.compute import service
    from yuzhi.compute.schemas import BudgetIn
    from yuzhi.db import transaction
    from yuzhi.errors import InvalidInput
    from yuzhi.fmt import MoneyError, parse_money

    if yuan is not None:
        if fen is not None:
            raise InvalidInput("give the budget once", field="--yuan", fix="either FEN or --yuan AMOUNT")
        try:
            fen = parse_money(yuan, allow_zero=True)
        except MoneyError as exc:
            raise InvalidInput(f"{yuan!r} is not an amount in yuan", field="--yuan",
                               fix="yuan with at most two decimals, e.g. 50,000 or 5万") from exc

    with transaction(_engine()) as s:
        if fen is not None:
            service.set_budget(s, actor=SYSTEM, org_id=org_id, budget_in=BudgetIn(budget_fen=fen))
        a = service.get_account(s, actor=SYSTEM, org_id=org_id)
        typer.echo(f"org {org_id}: budget {_fen(a.budget_fen)}, held {_fen(a.held_fen)}, spent {_fen(a.spent_fen)}, "
                   f"free {_fen(a.budget_fen - a.held_fen - a.spent_fen)}")


@app.command("register-app")
def register_app(
    name: str = typer.Argument(...),
    argv: list[str] = typer.Argument(..., help="command template; {python}, {input:NAME} are expanded"),
    description: str = typer.Option(""),
    no_args: bool = typer.Option(False, "--no-args", help="members may not append arguments"),
) -> None:
    """Register a command members may run as a job (put `--` before a template starting with '-')."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.compute import service
    from yuzhi.compute.schemas import AppIn
    from yuzhi.db import transaction

    with transaction(_engine()) as s:
        a = service.register_app(s, actor=SYSTEM, app_in=AppIn(name=name, argv=argv, description=description,
                                                                allow_args=not no_args))
    typer.echo(f"app {a.name} registered (id {a.id})")


@app.command()
def upload(path: Path = typer.Argument(..., exists=True, dir_okay=False),
           user: str = typer.Option(None, "--as", help="username whose organisation may then use the file "
                                    "as a job input (a job may read only its own tenant's files)")) -> None:
    """Store a file in the artifact store; prints its SHA-256 for --input."""
    from yuzhi.compute.service import default_store, owner_key
    from yuzhi.db import transaction

    owner = None
    if user:
        with transaction(_engine()) as s:
            owner = owner_key(_actor(s, user))
    art = default_store().put_file(path, owner=owner)
    typer.echo(f"{art.sha256}  {art.size} bytes  {art.name}")


def _parse_inputs(items: list[str] | None, owner: str | None = None) -> dict[str, str]:
    from yuzhi.compute.service import default_store
    from yuzhi.errors import InvalidInput

    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(f"--input {item!r} is not NAME=PATH or NAME=SHA256", field="--input")
        if Path(value).is_file():
            value = default_store().put_file(Path(value), name=name, owner=owner).sha256
        out[name] = value
    return out


@app.command()
def submit(
    user: str = typer.Option(..., "--as", help="username of the submitting organisation member"),
    kind: str = typer.Option("app", help="app, or a typed job such as monitor.fit"),
    app_name: str = typer.Option(None, "--app", help="registered app (kind=app)"),
    inputs: list[str] = typer.Option(None, "--input", help="NAME=PATH (uploaded) or NAME=SHA256; repeatable"),
    provider_id: str | None = typer.Option(None, "--provider", "--provider-id",
                                    help="name, USCC or id; omit for the cheapest eligible provider"),
    cpus: int = typer.Option(1), gpus: int = typer.Option(0), mem_mb: int = typer.Option(1024),
    time_limit_s: int = typer.Option(3600), name: str = typer.Option(""),
    nodes: int = typer.Option(1, help="nodes (Slurm); --gpus and --mem-mb are then per node"),
    ntasks: int = typer.Option(1, help="tasks (MPI ranks); --cpus is then per task"),
    gpu_type: str = typer.Option("", help="GPU type as the cluster's gres.conf names it, e.g. a100"),
    srun: bool = typer.Option(False, "--srun", help="launch the program with srun (one copy per task)"),
    args: list[str] = typer.Argument(None, help="extra arguments for the app"),
) -> None:
    """Quote, hold and queue a job (the worker dispatches it). Quoted on the whole allocation."""
    pid = _provider_id(provider_id)  # a name, USCC or id, as people know it
    from yuzhi.compute import service
    from yuzhi.compute.schemas import JobIn
    from yuzhi.db import transaction
    from yuzhi.workflows import compute_billing as flows

    with transaction(_engine()) as s:
        actor = _actor(s, user)
        job_in = JobIn(kind=kind, app=app_name, args=args or [], inputs=_parse_inputs(inputs, service.owner_key(actor)),
                       provider_id=pid, cpus=cpus, gpus=gpus, mem_mb=mem_mb, time_limit_s=time_limit_s,
                       name=name, nodes=nodes, ntasks=ntasks, gpu_type=gpu_type, launcher="srun" if srun else "")
        job = service.submit_job(s, actor=actor, job_in=job_in, estimate_subsidy=flows.estimate_subsidy)
    typer.echo(f"job {job.id} queued on provider {job.provider_id}: quote {_fen(job.quote_fen)} held, "
               f"expected subsidy {_fen(job.expected_subsidy_fen)}")


@app.command()
def jobs(
    user: str = typer.Option(None, "--as", help="list as this user (default: everything, as the office)"),
    status: str = typer.Option(None), limit: int = typer.Option(50),
) -> None:
    """List jobs with status, usage and cost."""
    from yuzhi.compute import service
    from yuzhi.db import transaction

    t = Table("id", "org", "provider", "kind", "status", "elapsed s", "CPU s", "charge", "subsidy", "reason")
    with transaction(_engine()) as s:
        rows, total = service.list_jobs(s, actor=_actor(s, user), status=status, limit=limit)
        for j in rows:
            t.add_row(str(j.id), str(j.org_id), str(j.provider_id), j.kind, j.status, f"{j.elapsed_s:.1f}",
                      f"{j.cpu_s:.1f}", _charge_cell(j), _fen(j.subsidy_fen), j.reason[:40])
    console.print(t)
    typer.echo(f"{total} job(s)")


@app.command()
def show(job_id: int = typer.Argument(...), user: str = typer.Option(None, "--as")) -> None:
    """One job in full (JSON), including its metering and money trail."""
    from yuzhi.compute import service
    from yuzhi.compute.api import job_read
    from yuzhi.db import transaction

    with transaction(_engine()) as s:
        job = service.get_job(s, actor=_actor(s, user), job_id=job_id)
        typer.echo(job_read(job).model_dump_json(indent=2))


@app.command()
def log(job_id: int = typer.Argument(...), user: str = typer.Option(None, "--as")) -> None:
    """Print the job's log (stdout and stderr)."""
    from yuzhi.compute import service
    from yuzhi.db import transaction

    with transaction(_engine()) as s:
        typer.echo(service.job_log(s, actor=_actor(s, user), job_id=job_id), nl=False)


@app.command()
def cancel(job_id: int = typer.Argument(...), user: str = typer.Option(None, "--as")) -> None:
    """Cancel a job (a queued one at once, a running one at the worker's next pass)."""
    from yuzhi.compute import service
    from yuzhi.db import transaction

    with transaction(_engine()) as s:
        job = service.cancel_job(s, actor=_actor(s, user), job_id=job_id)
    typer.echo(f"job {job.id}: {job.status}" + (" (cancellation requested)" if job.cancel_requested else ""))


@app.command()
def worker(
    once: bool = typer.Option(False, "--once", help="one pass, then exit"),
    interval: float = typer.Option(1.0, help="seconds between passes"),
) -> None:
    """Dispatch queued jobs, follow running ones, charge and bill finished ones. Safe to restart
    at any time: all state is in the database and every engine call is idempotent."""
    import threading

    from yuzhi.compute import service
    from yuzhi.compute import worker as worker_loop
    from yuzhi.workflows import compute_billing as flows

    engine = _engine()
    store = service.default_store()
    if not once:
        def show(report: service.TickReport) -> None:
            if report.changed or report.unavailable or report.errors:
                console.print(_summary(report), markup=False)

        from yuzhi.ops.leader import Leader

        # the same leader lock as `yuzhi serve`'s dispatcher: of all workers and servers, one dispatches
        console.print("waiting for the dispatcher lead (another worker or yuzhi serve may hold it)", markup=False)
        worker_loop.run(engine, interval=interval, store=store, stop=threading.Event(), on_report=show,
                        leader=Leader(engine, "dispatcher"))
        return
    report = service.tick(engine, store=store, biller=flows.bill_job)
    console.print(_summary(report), markup=False)


def _summary(report) -> str:
    msg = f"dispatched {report.dispatched}, finished {report.finished}, changed {report.changed}"
    if report.unavailable:
        msg += "; unavailable: " + "; ".join(f"provider {k}: {v}" for k, v in report.unavailable.items())
    if report.errors:
        msg += "; errors: " + "; ".join(f"job {k}: {v}" for k, v in report.errors.items())
    return msg


@app.command()
def rebill() -> None:
    """Bill finished jobs whose bill was refused earlier (e.g. the programme year was not open yet)."""
    from yuzhi.compute import service
    from yuzhi.compute.models import ComputeJob
    from yuzhi.db import transaction
    from yuzhi.workflows import compute_billing as flows

    engine = _engine()
    with transaction(engine) as s:
        ids = service.unbilled(s)
    for job_id in ids:
        with transaction(engine) as s:
            job = s.get_one(ComputeJob, job_id)  # listed just above; jobs are never deleted
            flows.bill_job(s, job)
            typer.echo(f"job {job_id}: {job.bill_status}")
    typer.echo(f"{len(ids)} job(s) without a bill looked at")


@app.command()
def invoice(provider: str = typer.Option(..., "--provider", help=_PROVIDER),
            month: str = typer.Option(..., help="YYYY-MM (China Standard Time, by job start)")) -> None:
    """Month-end: one invoice per unit with a line per job, subsidy computed once per invoice
    (jobs under rate cards with billing period 'month'). Running it again is a replay."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.compute import invoices
    from yuzhi.db import transaction
    from yuzhi.providers import service as providers
    from yuzhi.workflows import compute_billing as flows

    t = Table("invoice", "unit", "jobs", "amount", "subsidy", "bill", "problem")
    with transaction(_engine()) as s:
        pid = providers.resolve(s, provider).id
        results = invoices.invoice_month(s, actor=SYSTEM, provider_id=pid, month=month,
                                         record_bill=flows.record_usage_bill)
        for r in results:
            t.add_row(r.invoice_no, str(r.org_id), str(len(r.job_ids)), _fen(r.amount_fen), _fen(r.subsidy_fen),
                      str(r.bill_id or "-"), r.problem[:60])
    console.print(t)
    typer.echo(f"{len(results)} invoice(s) for {month}")


@app.command()
def reconcile(provider: str = typer.Option(..., "--provider", help=_PROVIDER),
              month: str = typer.Option(..., help="YYYY-MM (China Standard Time, by Slurm Start)"),
              xlsx: Path = typer.Option(None, help="also write the report to this .xlsx file")) -> None:
    """Compare the platform's jobs, prices and bills with the centre's sacct for a month; list every
    difference (missing on either side, usage, price, not billed). Exit code 1 if any."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.compute import reconcile as rec
    from yuzhi.compute import service
    from yuzhi.db import transaction
    from yuzhi.errors import InvalidInput
    from yuzhi.providers import service as providers

    with transaction(_engine()) as s:
        pid = providers.resolve(s, provider).id
        ep = service.get_endpoint(s, provider_id=pid)
        if ep is None:
            raise InvalidInput(f"provider {pid} has no engine connected", field="provider",
                               fix="yuzhi compute connect PROVIDER --kind slurm")
        rep = rec.reconcile(s, actor=SYSTEM, provider_id=pid, month=month, backend=service.backend_for(ep))
    t = Table(*rec.HEADERS)
    for d in rep.differences:
        t.add_row(*d.row())
    console.print(t)
    typer.echo(f"{month}: {rep.jobs_platform} platform job(s), {rep.jobs_sacct} in sacct, charged "
               f"{_fen(rep.charged_fen)}, subsidy {_fen(rep.subsidy_fen)}, {len(rep.differences)} difference(s)")
    if xlsx is not None:
        xlsx.write_bytes(rec.to_xlsx(rep))
        typer.echo(f"written {xlsx}")
    if rep.differences:
        raise typer.Exit(1)


@app.command()
def statement(provider_id: str = typer.Argument(..., help=_PROVIDER),
              year: int = typer.Option(date.today().year)) -> None:
    """A provider's statement: every finished job with metered usage, price, charge and subsidy."""
    pid = _provider_id(provider_id)  # a name, USCC or id, as people know it
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.compute import service
    from yuzhi.db import transaction

    t = Table("job", "org", "kind", "status", "elapsed s", "CPUs", "GPUs", "GiB", "price", "charged", "subsidy",
              "bill")
    totals = [0, 0, 0]
    with transaction(_engine()) as s:
        for j in service.statement(s, actor=SYSTEM, provider_id=pid, year=year):
            t.add_row(str(j.id), str(j.org_id), j.kind, j.status, f"{j.elapsed_s:.0f}", str(j.alloc_cpus),
                      str(j.alloc_gpus), f"{j.alloc_mem_bytes / 2**30:.2f}", _fen(j.price_fen), _fen(j.charge_fen),
                      _fen(j.subsidy_fen), str(j.bill_id or "—"))
            totals = [totals[0] + j.price_fen, totals[1] + j.charge_fen, totals[2] + j.subsidy_fen]
    console.print(t)
    typer.echo(f"total price {_fen(totals[0])}, charged {_fen(totals[1])}, subsidy {_fen(totals[2])}")


def _accounts_table(rows) -> None:
    t = Table("Slurm account", "unit id", "unit", "status")
    for r in rows:
        t.add_row(r.account, str(r.org_id or "—"), r.unit, r.status)
    console.print(t)


@accounts_app.command("sync")
def accounts_sync(provider: str = typer.Option(..., "--provider", help=_PROVIDER)) -> None:
    """Create the missing Slurm account (and the worker user's association) of every unit holding a
    compute budget. Fair-share and QoS per unit stay the centre's: set them with sacctmgr."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.compute import slurm_accounts
    from yuzhi.db import transaction
    from yuzhi.providers import service as providers

    with transaction(_engine()) as s:
        rows = slurm_accounts.sync(s, actor=SYSTEM, provider_id=providers.resolve(s, provider).id)
    _accounts_table(rows)
    typer.echo(f"{sum(r.status == 'created' for r in rows)} account(s) created, "
               f"{sum(r.status == 'exists' for r in rows)} already there")


@accounts_app.command("list")
def accounts_list(provider: str = typer.Option(..., "--provider", help=_PROVIDER)) -> None:
    """The units' Slurm accounts: which exist, which are missing (run sync), which no unit owns."""
    from yuzhi.accounts.actor import SYSTEM
    from yuzhi.compute import slurm_accounts
    from yuzhi.db import transaction
    from yuzhi.providers import service as providers

    with transaction(_engine()) as s:
        rows = slurm_accounts.listing(s, actor=SYSTEM, provider_id=providers.resolve(s, provider).id)
    _accounts_table(rows)
    missing = sum(r.status == "missing" for r in rows)
    hint = " (run: yuzhi compute accounts sync)" if missing else ""
    typer.echo(f"{len(rows)} account(s); {missing} missing{hint}")
