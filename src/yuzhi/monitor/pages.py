"""Monitoring web pages: the alarm list and one alarm with the sensor traces around it.

Server-rendered HTML with an inline SVG chart (no JavaScript, no CDN). Forms POST and redirect
(post/redirect/get); a domain error rolls the request back and is shown on the page.
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yuzhi.errors import DomainError
from yuzhi.monitor import service
from yuzhi.monitor.chart import traces_svg
from yuzhi.web import i18n
from yuzhi.web.deps import OptionalUser, SessionDep
from yuzhi.web.templating import render

router = APIRouter(include_in_schema=False)

NAV = [("Alarms", "/monitor/alarms", "any")]

i18n.register("zh", {
    "Alarms": "报警", "Sensor": "传感器", "Level": "级别", "Raised": "报警时间", "Back to normal": "恢复正常",
    "Acknowledge": "确认", "Clear": "消除", "Comment": "备注", "Value": "数值", "Peak": "峰值",
    "Limit": "限值", "active": "持续中", "raised": "已报警", "acknowledged": "已确认", "cleared": "已消除",
    "Sensor traces around the alarm": "报警前后的传感器曲线", "All": "全部",
})
i18n.register("ja", {
    "Alarms": "アラーム", "Sensor": "センサー", "Level": "レベル", "Raised": "発報", "Back to normal": "正常復帰",
    "Acknowledge": "確認", "Clear": "解除", "Comment": "コメント", "Value": "値", "Peak": "ピーク",
    "Limit": "限界値", "active": "継続中", "raised": "発報中", "acknowledged": "確認済み", "cleared": "解除済み",
    "Sensor traces around the alarm": "アラーム前後のセンサー波形", "All": "すべて",
})


def _login() -> Response:
    return RedirectResponse("/login", status_code=303)


@router.get("/monitor", response_class=HTMLResponse)
def home() -> Response:
    return RedirectResponse("/monitor/alarms", status_code=303)


@router.get("/monitor/alarms", response_class=HTMLResponse)
def alarms_page(request: Request, session: SessionDep, actor: OptionalUser, status: str | None = None) -> Response:
    if actor is None:
        return _login()
    try:
        rows, count = service.list_alarms(session, actor=actor, status=status or None, limit=500)
    except DomainError as exc:
        return render(request, "monitor/alarms.html", {"rows": [], "count": 0, "status": status, "error": exc,
                                                       "sensors": {}}, status_code=exc.status_code, actor=actor)
    sensors = {s.id: s for s in service.list_sensors(session, actor=actor)}
    return render(request, "monitor/alarms.html", {"rows": rows, "count": count, "status": status,
                                                   "sensors": sensors,
                                                   "flash": request.query_params.get("flash")}, actor=actor)


def _alarm_context(session, actor, alarm_id: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    alarm, data = service.samples_around(session, actor=actor, alarm_id=alarm_id)
    sensor = service.get_sensor(session, actor=actor, sensor_id=alarm.sensor_id)
    raised = alarm.raised_at.replace(tzinfo=UTC) if alarm.raised_at.tzinfo is None else alarm.raised_at
    t0 = min((pts[0][0] for pts in data.values() if pts), default=raised)

    def sec(t):  # type: ignore[no-untyped-def]
        return (t - t0).total_seconds()

    normal = alarm.normal_at
    if normal is not None and normal.tzinfo is None:
        normal = normal.replace(tzinfo=UTC)
    end = sec(normal) if normal else max((sec(p[-1][0]) for p in data.values() if p), default=sec(raised))
    limits = {sensor.key: [alarm.threshold]} if alarm.threshold is not None else {}
    svg = traces_svg({k: [(sec(t), v) for t, v in pts] for k, pts in data.items()}, span=(sec(raised), end),
                     limits=limits, highlight=sensor.key,
                     title=f"{t0.isoformat()} + seconds; shaded: alarm {alarm.level}")
    return {"alarm": alarm, "sensor": sensor, "svg": svg}


@router.get("/monitor/alarms/{alarm_id}", response_class=HTMLResponse)
def alarm_page(alarm_id: int, request: Request, session: SessionDep, actor: OptionalUser) -> Response:
    if actor is None:
        return _login()
    try:
        ctx = _alarm_context(session, actor, alarm_id)
    except DomainError as exc:
        return render(request, "monitor/alarms.html", {"rows": [], "count": 0, "status": None, "error": exc,
                                                       "sensors": {}}, status_code=exc.status_code, actor=actor)
    return render(request, "monitor/alarm.html", {**ctx, "flash": request.query_params.get("flash")}, actor=actor)


def _act(kind: str, alarm_id: int, request: Request, session, actor, comment: str) -> Response:  # type: ignore[no-untyped-def]
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
                                                           "sensors": {}}, status_code=exc.status_code, actor=actor)
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
