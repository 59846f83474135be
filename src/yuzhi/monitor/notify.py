"""E-mail for alarms: SMTP settings and the message text (no database here).

Settings come from the environment, like every other setting (``YUZHI_`` prefix):
``YUZHI_SMTP_HOST`` (required to send), ``YUZHI_SMTP_PORT`` (25), ``YUZHI_SMTP_FROM``
(``yuzhi@localhost``), ``YUZHI_SMTP_USER`` / ``YUZHI_SMTP_PASSWORD`` (optional login),
``YUZHI_SMTP_STARTTLS`` (``1`` to upgrade the connection), ``YUZHI_SMTP_TIMEOUT`` (10 s).
A plant's own relay is the usual target; nothing leaves the site unless that relay forwards it.
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from yuzhi.errors import InvalidInput


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "yuzhi@localhost"
    user: str = ""
    password: str = ""
    starttls: bool = False
    timeout_s: float = 10.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmtpSettings:
        e = os.environ if env is None else env
        host = e.get("YUZHI_SMTP_HOST", "").strip()
        if not host:
            raise InvalidInput("no SMTP server configured", field="YUZHI_SMTP_HOST",
                               fix="set YUZHI_SMTP_HOST (and YUZHI_SMTP_PORT, YUZHI_SMTP_FROM) to the site's "
                                   "mail relay")
        try:
            port = int(e.get("YUZHI_SMTP_PORT", "25"))
            timeout = float(e.get("YUZHI_SMTP_TIMEOUT", "10"))
        except ValueError:
            raise InvalidInput("YUZHI_SMTP_PORT must be an integer and YUZHI_SMTP_TIMEOUT a number",
                               field="YUZHI_SMTP_PORT") from None
        return cls(host=host, port=port, sender=e.get("YUZHI_SMTP_FROM", "yuzhi@localhost"),
                   user=e.get("YUZHI_SMTP_USER", ""), password=e.get("YUZHI_SMTP_PASSWORD", ""),
                   starttls=e.get("YUZHI_SMTP_STARTTLS", "") in ("1", "true", "yes"), timeout_s=timeout)


def check_email(address: str) -> str:
    """A plausible mailbox (``name@domain``, no spaces); the relay does the rest."""
    a = address.strip()
    local, sep, domain = a.partition("@")
    if not sep or not local or not domain or " " in a or "@" in domain:
        raise InvalidInput(f"{address!r} is not an e-mail address", field="email", fix="e.g. duty@mine3.example.cn")
    return a


def send(settings: SmtpSettings, to: str, subject: str, body: str) -> None:
    """Send one plain-text message (raises ``OSError``/``smtplib.SMTPException`` on failure)."""
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.user:
            smtp.login(settings.user, settings.password)
        smtp.send_message(msg)
