"""E-mail and escalation against a real SMTP server on 127.0.0.1 (aiosmtpd), and the log."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest

from tests.monitor.conftest import make_tenants
from yuzhi.db import transaction
from yuzhi.errors import Conflict, InvalidInput
from yuzhi.monitor import service
from yuzhi.monitor.notify import SmtpSettings
from yuzhi.monitor.schemas import SampleIn, SensorCreate

aiosmtpd = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd (test extra) not installed")

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.mails: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd hook
        self.mails.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = free_port()
    ctl = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield inbox, SmtpSettings(host="127.0.0.1", port=port, sender="alarms@mine3.example.cn", timeout_s=5)
    finally:
        ctl.stop()


def power_off_alarm(s, t):  # type: ignore[no-untyped-def]
    """Methane 0.5 → 1.6 %: both the statutory alarm (≥ 1.0) and power-off (≥ 1.5) are raised."""
    service.create_sensor(s, actor=t.a, sensor_in=SensorCreate(key="ch4_face", name="采煤工作面甲烷", unit="%",
                                                              preset="methane.coal_face", period_s=60))
    service.ingest(s, actor=t.a, samples=[SampleIn(sensor="ch4_face", ts=T0 + timedelta(minutes=i), value=v)
                                          for i, v in enumerate([0.5, 1.6])])
    alarms, _ = service.list_alarms(s, actor=t.a)
    assert sorted(a.level for a in alarms) == ["alarm", "power_off"]
    return next(a for a in alarms if a.level == "power_off"), alarms


def test_escalation_ladder_emails_the_next_person_until_acknowledged(engine, smtp):
    inbox, settings = smtp
    with transaction(engine) as s:
        t = make_tenants(s)
        alarm, both = power_off_alarm(s, t)
        service.add_contact(s, actor=t.a, name="班组长 李工", email="li@mine3.example.cn", after_min=0)
        service.add_contact(s, actor=t.a, name="通风科长 王工", email="wang@mine3.example.cn", after_min=10)
        service.add_contact(s, actor=t.b, name="其他公司", email="x@other.example.cn", after_min=0)
        raised = alarm.raised_at
        first = service.notify_due(s, smtp=settings, now=raised + timedelta(minutes=1))
    assert [n.status for n in first] == ["sent", "sent"]  # one mail per alarm
    assert [m[0] for m in inbox.mails] == [["li@mine3.example.cn"]] * 2  # not the other tenant's contact
    msg = next(m for _, m in inbox.mails if "power_off" in m["Subject"])
    assert "断电" in msg["Subject"] and "采煤工作面甲烷" in msg["Subject"] and "1.60 %" in msg["Subject"]
    body = msg.get_content()
    assert "2026-03-01 16:01:00" in body and f"/monitor/alarms/{alarm.id}" in body  # Beijing time, a link
    with transaction(engine) as s:
        # nine minutes later: still only the first rung, nobody mailed twice
        assert service.notify_due(s, smtp=settings, now=raised + timedelta(minutes=9)) == []
        second = service.notify_due(s, smtp=settings, now=raised + timedelta(minutes=11))
    assert [m[0] for m in inbox.mails][2:] == [["wang@mine3.example.cn"]] * 2 and len(second) == 2
    with transaction(engine) as s:
        service.add_contact(s, actor=t.a, name="矿长", email="boss@mine3.example.cn", after_min=30)
        for a in both:
            service.acknowledge(s, actor=t.a, alarm_id=a.id, comment="已撤人, 查风机")
        assert service.notify_due(s, smtp=settings, now=raised + timedelta(minutes=45)) == []
    assert len(inbox.mails) == 4  # acknowledged: the ladder stops before the 30-minute rung
    with transaction(engine) as s:
        log = service.notification_log(s, actor=t.a, alarm_id=alarm.id)
        assert [(c.email, n.status) for n, c, _ in log] == [("wang@mine3.example.cn", "sent"),
                                                            ("li@mine3.example.cn", "sent")]
        assert service.notification_log(s, actor=t.b) == []


def test_failed_sends_are_logged_and_retried(engine, smtp):
    _, settings = smtp
    dead = SmtpSettings(host="127.0.0.1", port=free_port(), timeout_s=2)  # nothing listens there
    with transaction(engine) as s:
        t = make_tenants(s)
        alarm, _ = power_off_alarm(s, t)
        service.add_contact(s, actor=t.a, name="值班员", email="duty@mine3.example.cn")
        failed = service.notify_due(s, smtp=dead, now=alarm.raised_at + timedelta(minutes=1))
        assert [n.status for n in failed] == ["failed"] * 2 and "Error" in failed[0].error
        again = service.notify_due(s, smtp=settings, now=alarm.raised_at + timedelta(minutes=2))
        assert [(n.status, n.attempts) for n in again] == [("sent", 2)] * 2


def test_contact_and_settings_errors(engine):
    with transaction(engine) as s:
        t = make_tenants(s)
        with pytest.raises(InvalidInput, match="not an e-mail address"):
            service.add_contact(s, actor=t.a, name="x", email="duty at mine")
        with pytest.raises(InvalidInput, match="after_min"):
            service.add_contact(s, actor=t.a, name="x", email="a@b.cn", after_min=-5)
        service.add_contact(s, actor=t.a, name="x", email="a@b.cn")
        with pytest.raises(Conflict):
            service.add_contact(s, actor=t.a, name="y", email="a@b.cn")
    with pytest.raises(InvalidInput, match="no SMTP server configured"):
        SmtpSettings.from_env({})
    st = SmtpSettings.from_env({"YUZHI_SMTP_HOST": "relay", "YUZHI_SMTP_PORT": "2525", "YUZHI_SMTP_STARTTLS": "1"})
    assert (st.host, st.port, st.starttls) == ("relay", 2525, True)
