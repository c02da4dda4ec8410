"""Email notifications over SMTP, or into the local outbox when no server is configured.

SMTP settings live in the workspace configuration (`settings.smtp`: host, port, security
`starttls` | `ssl` | `none`, username, from, ca_file, timeout); the password is a workspace secret
(`smtp:password`), stored encrypted and never printed.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any

from kustodian.actions import render

if TYPE_CHECKING:
    from datetime import datetime

    from kustodian.workspace.workspace import Workspace

SETTINGS_KEY = "smtp"
PASSWORD_SECRET = "smtp:password"
SECURITY = ("starttls", "ssl", "none")
DEFAULT_FROM = "kustodian@localhost"


class SmtpError(Exception):
    """Sending failed; the message says at which step (connect, TLS, login, send)."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: str = "starttls"
    username: str = ""
    sender: str = DEFAULT_FROM
    ca_file: str = ""
    timeout: float = 30.0

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "username": self.username,
            "from": self.sender,
            "ca_file": self.ca_file,
            "timeout": self.timeout,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SmtpSettings:
        security = str(doc.get("security", "starttls"))
        if security not in SECURITY:
            raise ValueError(f"settings.smtp.security: '{security}': expected one of {SECURITY}")
        return cls(
            host=str(doc["host"]),
            port=int(doc.get("port", 587)),
            security=security,
            username=str(doc.get("username", "")),
            sender=str(doc.get("from", DEFAULT_FROM)),
            ca_file=str(doc.get("ca_file", "")),
            timeout=float(doc.get("timeout", 30.0)),
        )


def smtp_settings(ws: Workspace) -> SmtpSettings | None:
    """The workspace's SMTP server, or None: emails then go to the outbox."""
    doc = ws.config.settings.get(SETTINGS_KEY)
    if not isinstance(doc, dict) or not doc.get("host"):
        return None
    return SmtpSettings.from_json(doc)


def set_smtp(ws: Workspace, settings: SmtpSettings | None, password: str | None = None) -> None:
    """Store (or with None, remove) the SMTP server; a given password is stored encrypted."""
    if settings is None:
        ws.config.settings.pop(SETTINGS_KEY, None)
        ws.delete_secret(PASSWORD_SECRET)
    else:
        ws.config.settings[SETTINGS_KEY] = settings.to_json()
        if password is not None:
            ws.set_secret(PASSWORD_SECRET, password)
    ws.save_config()


def build_message(
    payload: dict[str, Any], to: str, sender: str, now: datetime, short_name: str = ""
) -> EmailMessage:
    """The notification email: a readable subject, a text part and an HTML part."""
    v = render.view(payload)
    msg = EmailMessage()
    msg["Subject"] = render.subject(v)
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(idstring=uuid.uuid4().hex[:12], domain="kustodian")
    if v.alert_id:
        msg["X-Kustodian-Alert-Id"] = v.alert_id
    msg.set_content(render.email_text(v, short_name))
    msg.add_alternative(render.email_html(v, short_name), subtype="html")
    return msg


def send(settings: SmtpSettings, password: str | None, msg: EmailMessage) -> None:
    """Send one message: connect (implicit TLS with `ssl`), STARTTLS, AUTH, send.

    Raises:
        SmtpError: any failure, with the step that failed.
    """
    context = ssl.create_default_context(cafile=settings.ca_file or None)
    step = "connect"
    try:
        client: smtplib.SMTP
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.security == "starttls":
                step = "STARTTLS"
                client.starttls(context=context)
            if settings.username:
                step = "login"
                client.login(settings.username, password or "")
            step = "send"
            client.send_message(msg, from_addr=settings.sender)
    except (smtplib.SMTPException, OSError) as e:
        raise SmtpError(f"SMTP {settings.host}:{settings.port}: {step} failed: {_reason(e)}") from e


def _reason(e: BaseException) -> str:
    if isinstance(e, smtplib.SMTPResponseException):
        text = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) else ""
        return f"{e.smtp_code} {text}".strip()
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return "recipient refused: " + ", ".join(e.recipients)
    return str(e) or type(e).__name__
