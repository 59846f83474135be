"""Monitoring web pages: the alarm list and one alarm with the sensor traces around it.

Server-rendered HTML with an inline SVG chart (no JavaScript, no CDN). Forms POST and redirect
(post/redirect/get); a domain error rolls the request back and is shown on the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yuzhi.errors import DomainError
from yuzhi.monitor import console as C
from yuzhi.monitor import service
from yuzhi.monitor.chart import traces_svg
from yuzhi.web import i18n
from yuzhi.web.deps import OptionalUser, SessionDep
from yuzhi.web.templating import lang_of, render

router = APIRouter(include_in_schema=False)

NAV = [("Console", "/monitor", "any"), ("Alarms", "/monitor/alarms", "any")]

i18n.register("zh", {
    "Alarms": "报警", "Sensor": "传感器", "Level": "级别", "Raised": "报警时间", "Back to normal": "恢复正常",
    "Acknowledge": "确认", "Clear": "消除", "Comment": "备注", "Value": "数值", "Peak": "峰值",
    "Limit": "限值", "active": "持续中", "raised": "已报警", "acknowledged": "已确认", "cleared": "已消除",
    "Sensor traces around the alarm": "报警前后的传感器曲线", "All": "全部",
    "Console": "监控台", **C.LEVEL_NAMES["zh"],
    "Beijing time": "北京时间", "Last value": "最新值", "Learned score": "学习模型得分",
    "Needs acknowledgement": "待确认", "Acknowledged by": "确认人", "Live": "实时", "Paused": "已暂停",
    "No sensors yet.": "尚无传感器。", "Threshold": "阈值", "Alarms in range": "时段内报警",
    "updated": "更新于", "Replay": "回放",
})
i18n.register("ja", {
    "Alarms": "アラーム", "Sensor": "センサー", "Level": "レベル", "Raised": "発報", "Back to normal": "正常復帰",
    "Acknowledge": "確認", "Clear": "解除", "Comment": "コメント", "Value": "値", "Peak": "ピーク",
    "Limit": "限界値", "active": "継続中", "raised": "発報中", "acknowledged": "確認済み", "cleared": "解除済み",
    "Sensor traces around the alarm": "アラーム前後のセンサー波形", "All": "すべて",
    "Console": "監視盤", **C.LEVEL_NAMES["ja"], "Beijing time": "北京時間", "Last value": "最新値",
    "Learned score": "学習スコア",
    "Needs acknowledgement": "未確認", "Acknowledged by": "確認者", "Live": "ライブ", "Paused": "停止中",
    "No sensors yet.": "センサーはまだありません。", "Threshold": "しきい値", "Alarms in range": "期間内のアラーム",
    "updated": "更新", "Replay": "再生",
})


def _fmt_ctx() -> dict[str, object]:
    """Formatting helpers every monitoring page uses: Beijing time, sensible precision, severity."""
    return {"beijing": C.beijing, "fmt": C.fmt_value, "state_of": C.LEVEL_STATE}


def _login() -> Response:
    return RedirectResponse("/login", status_code=303)


def _window(range_: str | None, at: str | None) -> tuple[datetime, datetime, str]:
    """``(since, until, range key)``: the picker's range ending now, or at ``at`` (ISO, replay)."""
    from yuzhi.errors import InvalidInput

    seconds = C.parse_range(range_)
    if at:
        try:
            until = C.as_utc(datetime.fromisoformat(at))
        except ValueError:
            raise InvalidInput(f"cannot read time {at!r}", field="at",
                               fix="ISO 8601, e.g. 2026-03-01T16:00:00+08:00",
                               key="not_a_time", params={"text": at}) from None
    else:
        until = datetime.now(UTC)
    return until - timedelta(seconds=seconds), until, range_ or "6h"


def _usernames(session, ids) -> dict[int, str]:
    from sqlalchemy import select

    from yuzhi.accounts.models import User

    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def _tiles_json(sites, lang: str) -> dict[str, object]:
    return {"tiles": [{"id": t["sensor"].id, "value": t["value"], "state": t["state"],
                       "state_label": i18n.translate(str(t["state"]), lang),
                       "levels": [i18n.translate(lv, lang) for lv in t["levels"]],
                       "unacked": len(t["unacked"]), "last": C.beijing(t["last_ts"]), "spark": t["spark"]}
                      for site in sites for t in site["tiles"]],
            "updated": C.beijing(datetime.now(UTC))}


@router.get("/monitor", response_class=HTMLResponse)
def console_page(request: Request, session: SessionDep, actor: OptionalUser, range: str | None = None,
                 at: str | None = None) -> Response:
    """The operator's console: every site's sensors as tiles, most severe first, live via SSE."""
    if actor is None:
        return _login()
    try:
        since, until, key = _window(range, at)
        sites = service.console_tiles(session, actor=actor, since=since, until=until)
    except DomainError as exc:
        return render(request, "monitor/console.html", {"sites": [], "ranges": C.RANGES, "range": "6h",
                                                        "error": exc, "at": at or ""},
                      status_code=exc.status_code, actor=actor)
    return render(request, "monitor/console.html", {
        "sites": sites, "ranges": C.RANGES, "range": key, "at": at or "", "beijing": C.beijing,
        "fmt": C.fmt_value, "until": C.beijing(until),
        "users": _usernames(session, [a.ack_by for s in sites for t in s["tiles"] for a in t["acked"]])},
        actor=actor)


@router.get("/monitor/console.json")
def console_json(request: Request, session: SessionDep, actor: OptionalUser, range: str | None = None,
                 at: str | None = None) -> Response:
    """The tiles' live part (value, state, sparkline) as JSON: what the SSE stream pushes."""
    from fastapi.responses import JSONResponse

    if actor is None:
        return JSONResponse({"detail": "log in first"}, status_code=401)
    since, until, _ = _window(range, at)
    sites = service.console_tiles(session, actor=actor, since=since, until=until)
    return JSONResponse(_tiles_json(sites, lang_of(request)))


@router.get("/monitor/stream")
async def console_stream(request: Request, actor: OptionalUser, range: str | None = None,
                         interval: float = 5.0, once: bool = False) -> Response:
    """Server-sent events: a ``tiles`` event every ``interval`` seconds (``once``: a single one)."""
    import asyncio
    import json

    from fastapi.responses import JSONResponse, StreamingResponse
    from starlette.concurrency import run_in_threadpool

    if actor is None:
        return JSONResponse({"detail": "log in first"}, status_code=401)
    C.parse_range(range)
    lang = lang_of(request)
    interval = min(max(interval, 1.0), 60.0)

    def snapshot() -> str:
        with request.app.state.sessionmaker() as session:
            since, until, _ = _window(range, None)
            sites = service.console_tiles(session, actor=actor, since=since, until=until)
            return json.dumps(_tiles_json(sites, lang), ensure_ascii=False)

    async def events():
        while True:
            data = await run_in_threadpool(snapshot)
            yield f"event: tiles\ndata: {data}\n\n"
            if once or await request.is_disconnected():
                return
            await asyncio.sleep(interval)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/monitor/sensors/{sensor_id}", response_class=HTMLResponse)
def sensor_page(sensor_id: int, request: Request, session: SessionDep, actor: OptionalUser,
                range: str | None = None, at: str | None = None) -> Response:
    """Drill-down: one sensor's chart with its limits, the alarms in range and the learned score."""
    if actor is None:
        return _login()
    try:
        since, until, key = _window(range, at)
        data = service.sensor_series(session, actor=actor, sensor_id=sensor_id, since=since, until=until)
    except DomainError as exc:
        return render(request, "monitor/console.html", {"sites": [], "ranges": C.RANGES, "range": "6h",
                                                        "error": exc, "at": at or ""},
                      status_code=exc.status_code, actor=actor)
    spans = []
    t1 = until.timestamp()
    for a in data["alarms"]:  # type: ignore[attr-defined]
        end = C.as_utc(a.normal_at).timestamp() if a.normal_at else t1
        spans.append((C.as_utc(a.raised_at).timestamp(), end, C.LEVEL_STATE.get(a.level, "alarm")))
    lang = lang_of(request)
    svg = C.chart_svg(data["points"], since.timestamp(), t1, unit=str(data["unit"]),  # type: ignore[arg-type]
                      limits=[(i18n.translate(lv, lang), v) for lv, v in data["limits"]],  # type: ignore[attr-defined]
                      spans=spans, score=data["score"])  # type: ignore[arg-type]
    users = _usernames(session, [a.ack_by for a in data["alarms"]])  # type: ignore[attr-defined]
    pts = data["points"]
    last = (datetime.fromtimestamp(pts[-1][0], UTC), pts[-1][1]) if pts else (None, None)  # type: ignore[index]
    return render(request, "monitor/sensor.html", {**data, "svg": svg, "ranges": C.RANGES, "range": key,
                                                   "at": at or "", "beijing": C.beijing, "fmt": C.fmt_value,
                                                   "users": users, "until": C.beijing(until),
                                                   "state_of": C.LEVEL_STATE, "last_ts": last[0],
                                                   "last_value": last[1]}, actor=actor)


@router.get("/monitor/alarms", response_class=HTMLResponse)
def alarms_page(request: Request, session: SessionDep, actor: OptionalUser, status: str | None = None) -> Response:
    if actor is None:
        return _login()
    try:
        rows, count = service.list_alarms(session, actor=actor, status=status or None, limit=500)
    except DomainError as exc:
        return render(request, "monitor/alarms.html", {"rows": [], "count": 0, "status": status, "error": exc,
                                                       "sensors": {}, **_fmt_ctx()}, status_code=exc.status_code,
                      actor=actor)
    sensors = {s.id: s for s in service.list_sensors(session, actor=actor)}
    return render(request, "monitor/alarms.html", {"rows": rows, "count": count, "status": status,
                                                   "sensors": sensors, **_fmt_ctx(),
                                                   "flash": request.query_params.get("flash")}, actor=actor)


def _alarm_context(session, actor, alarm_id: int) -> dict[str, object]:
    alarm, data = service.samples_around(session, actor=actor, alarm_id=alarm_id)
    sensor = service.get_sensor(session, actor=actor, sensor_id=alarm.sensor_id)
    raised = alarm.raised_at.replace(tzinfo=UTC) if alarm.raised_at.tzinfo is None else alarm.raised_at
    t0 = min((pts[0][0] for pts in data.values() if pts), default=raised)

    def sec(t):
        return (t - t0).total_seconds()

    normal = alarm.normal_at
    if normal is not None and normal.tzinfo is None:
        normal = normal.replace(tzinfo=UTC)
    end = sec(normal) if normal else max((sec(p[-1][0]) for p in data.values() if p), default=sec(raised))
    limits: dict[str, Sequence[float]] = {sensor.key: [alarm.threshold]} if alarm.threshold is not None else {}
    svg = traces_svg({k: [(sec(t) / 60, v) for t, v in pts] for k, pts in data.items()},
                     span=(sec(raised) / 60, end / 60), limits=limits, highlight=sensor.key,
                     title=f"minutes after {C.beijing(t0)} (Beijing time); shaded: {alarm.level}")
    return {"alarm": alarm, "sensor": sensor, "svg": svg, **_fmt_ctx(),
            "users": _usernames(session, [alarm.ack_by, alarm.cleared_by])}


@router.get("/monitor/alarms/{alarm_id}", response_class=HTMLResponse)
def alarm_page(alarm_id: int, request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    if actor is None:
        return _login()
    try:
        ctx = _alarm_context(session, actor, alarm_id)
    except DomainError as exc:
        return render(request, "monitor/alarms.html", {"rows": [], "count": 0, "status": None, "error": exc,
                                                       "sensors": {}, **_fmt_ctx()}, status_code=exc.status_code,
                      actor=actor)
    return render(request, "monitor/alarm.html", {**ctx, "flash": request.query_params.get("flash")}, actor=actor)


def _act(kind: str, alarm_id: int, request: Request, session, actor, comment: str) -> Response:
    if actor is None:
        return _login()
    try:
        fn = service.acknowledge if kind == "acknowledge" else service.clear
        alarm = fn(session, actor=actor, alarm_id=alarm_id, comment=comment)
    except DomainError as exc:
        session.rollback()
        try:
            ctx = _alarm_context(session, actor, alarm_id)
        except DomainError:
            return render(request, "monitor/alarms.html", {"rows": [], "count": 0, "status": None, "error": exc,
                                                           "sensors": {}, **_fmt_ctx()},
                          status_code=exc.status_code, actor=actor)
        return render(request, "monitor/alarm.html", {**ctx, "error": exc}, status_code=exc.status_code, actor=actor)
    return RedirectResponse(f"/monitor/alarms/{alarm_id}?flash={quote(alarm.status)}", status_code=303)


@router.post("/monitor/alarms/{alarm_id}/acknowledge", response_class=HTMLResponse)
def acknowledge_form(alarm_id: int, request: Request, session: SessionDep, actor: OptionalUser,
                     comment: Annotated[str, Form()] = "") -> Response:
    return _act("acknowledge", alarm_id, request, session, actor, comment)


@router.post("/monitor/alarms/{alarm_id}/clear", response_class=HTMLResponse)
def clear_form(alarm_id: int, request: Request, session: SessionDep, actor: OptionalUser,
               comment: Annotated[str, Form()] = "") -> Response:
    return _act("clear", alarm_id, request, session, actor, comment)
