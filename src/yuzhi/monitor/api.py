"""Monitoring REST API (thin: every route calls :mod:`yuzhi.monitor.service`).

Machines push samples with an API token (``Authorization: Bearer …``); operators list,
acknowledge and clear alarms. Webhooks are delivered after the request's transaction commits.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile

from yuzhi.errors import DomainError, InvalidInput
from yuzhi.monitor import service
from yuzhi.monitor.schemas import (
    AlarmAction,
    AlarmRead,
    IngestReport,
    SamplesIn,
    SensorCreate,
    SensorRead,
    WebhookCreate,
    WebhookRead,
)
from yuzhi.pagination import Page
from yuzhi.types import MAX_ID, IdPath, IdQuery, Limit, Offset, SecondsQuery
from yuzhi.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/monitor", tags=["monitor"])


def _deliver_later(request: Request, tasks: BackgroundTasks) -> None:
    maker = request.app.state.sessionmaker

    def run() -> None:
        session = maker()
        try:
            service.deliver_pending(session)
            session.commit()
        finally:
            session.close()

    tasks.add_task(run)


@router.post("/sensors", response_model=SensorRead, status_code=201)
def create_sensor(body: SensorCreate, session: SessionDep, actor: CurrentUser) -> SensorRead:
    """Register a sensor with an optional statutory preset, dead band and site overrides."""
    return SensorRead.model_validate(service.create_sensor(session, actor=actor, sensor_in=body))


@router.get("/sensors", response_model=Page[SensorRead])
def list_sensors(session: SessionDep, actor: CurrentUser) -> Page[SensorRead]:
    rows = service.list_sensors(session, actor=actor)
    return Page(data=[SensorRead.model_validate(s) for s in rows], count=len(rows))


@router.post("/samples", response_model=IngestReport)
def push_samples(body: SamplesIn, request: Request, tasks: BackgroundTasks, session: SessionDep,
                 actor: CurrentUser) -> IngestReport:
    """Push samples ``[{sensor, ts, value}]``; duplicates and late samples are counted, not refused."""
    report = service.ingest(session, actor=actor, samples=body.samples, org_id=body.org_id, source="http")
    _deliver_later(request, tasks)
    return report


@router.post("/samples/file", response_model=IngestReport)
def upload_file(request: Request, tasks: BackgroundTasks, session: SessionDep, actor: CurrentUser,
                file: UploadFile = File(...), org_id: int | None = Form(None, ge=1, le=MAX_ID)) -> IngestReport:
    """Upload a CSV/Parquet table (timestamp + one column per registered sensor key)."""
    from yuzhi.monitor.io import read_table

    suffix = Path(file.filename or "upload.csv").suffix or ".csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{Path(file.filename or 'upload').stem}{suffix}"
        path.write_bytes(file.file.read())
        try:
            table = read_table(path, order="sort", dedupe=True)
        except DomainError:
            raise
        except (ValueError, OSError) as exc:  # pandas/pyarrow on a file that is not a table at all
            raise InvalidInput(f"{path.name} is not a readable CSV or Parquet table ({type(exc).__name__})",
                               field="file", fix="upload a header line with a timestamp column and one column "
                                                 "per sensor key, then one row per time",
                               key="table_unreadable", params={"name": path.name}) from None
    report = service.ingest_table(session, actor=actor, table=table, org_id=org_id)
    _deliver_later(request, tasks)
    return report


@router.get("/alarms", response_model=Page[AlarmRead])
def list_alarms(session: SessionDep, actor: CurrentUser, status: str | None = None,
                sensor_id: IdQuery = None, limit: Limit = 100,
                offset: Offset = 0) -> Page[AlarmRead]:
    rows, count = service.list_alarms(session, actor=actor, status=status, sensor_id=sensor_id,
                                      limit=limit, offset=offset)
    return Page(data=[AlarmRead.model_validate(a) for a in rows], count=count)


@router.get("/alarms/{alarm_id}", response_model=AlarmRead)
def get_alarm(alarm_id: IdPath, session: SessionDep, actor: CurrentUser) -> AlarmRead:
    return AlarmRead.model_validate(service.get_alarm(session, actor=actor, alarm_id=alarm_id))


@router.post("/alarms/{alarm_id}/acknowledge", response_model=AlarmRead)
def acknowledge(alarm_id: IdPath, body: AlarmAction, request: Request, tasks: BackgroundTasks,
                session: SessionDep, actor: CurrentUser) -> AlarmRead:
    alarm = service.acknowledge(session, actor=actor, alarm_id=alarm_id, comment=body.comment)
    _deliver_later(request, tasks)
    return AlarmRead.model_validate(alarm)


@router.post("/alarms/{alarm_id}/clear", response_model=AlarmRead)
def clear(alarm_id: IdPath, body: AlarmAction, request: Request, tasks: BackgroundTasks,
          session: SessionDep, actor: CurrentUser) -> AlarmRead:
    alarm = service.clear(session, actor=actor, alarm_id=alarm_id, comment=body.comment)
    _deliver_later(request, tasks)
    return AlarmRead.model_validate(alarm)


@router.get("/alarms/{alarm_id}/traces")
def traces(alarm_id: IdPath, session: SessionDep, actor: CurrentUser, before_s: SecondsQuery = 3600,
           after_s: SecondsQuery = 3600) -> dict[str, object]:
    """Every sensor of the alarm's organisation around the alarm: ``{key: [[iso_ts, value], …]}``."""
    alarm, data = service.samples_around(session, actor=actor, alarm_id=alarm_id, before_s=before_s,
                                         after_s=after_s)
    return {"alarm": AlarmRead.model_validate(alarm).model_dump(mode="json"),
            "traces": {k: [[t.isoformat(), v] for t, v in pts] for k, pts in data.items()}}


@router.post("/stale-check", response_model=list[AlarmRead])
def stale_check(request: Request, tasks: BackgroundTasks, session: SessionDep,
                actor: CurrentUser) -> list[AlarmRead]:
    """Raise stale-sensor alarms for silent sensors (run it from a timer, e.g. every minute)."""
    rows = service.check_stale(session, actor=actor)
    _deliver_later(request, tasks)
    return [AlarmRead.model_validate(a) for a in rows]


@router.post("/webhooks", response_model=WebhookRead, status_code=201)
def create_webhook(body: WebhookCreate, session: SessionDep, actor: CurrentUser) -> WebhookRead:
    return WebhookRead.model_validate(service.create_webhook(session, actor=actor, webhook_in=body))


@router.get("/webhooks", response_model=list[WebhookRead])
def list_webhooks(session: SessionDep, actor: CurrentUser) -> list[WebhookRead]:
    return [WebhookRead.model_validate(h) for h in service.list_webhooks(session, actor=actor)]
