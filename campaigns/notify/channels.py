"""Delivering one message: e-mail over SMTP, a messenger robot's webhook, an SMS gateway.

Each message carries its stable key: as the e-mail's ``Message-ID`` and as an
``Idempotency-Key`` header (and ``id`` field, in the plain JSON format) on HTTP, so a receiver
that sees it twice (a sender killed after delivering, before recording it) can drop the
repeat.  The robot formats are those of the common office messengers: WeCom (企业微信) and
Feishu text messages, DingTalk with its signed URL (timestamp and HMAC-SHA256 of the secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from email.message import EmailMessage
from typing import Any

from .config import Notifications, Webhook

TIMEOUT = 20.0


class DeliveryFailed(Exception):
    """This attempt failed; the message is tried again later."""


def deliver(site: Notifications, message: Any) -> None:
    """Deliver one outbox row, or raise ``DeliveryFailed`` saying why."""
    try:
        if message.channel == "email":
            _email(site, message)
        elif message.channel == "webhook":
            hook = site.webhooks.get(message.recipient)
            if hook is None:
                raise DeliveryFailed(f"no webhook '{message.recipient}' in the site configuration")
            _post(hook, message)
        elif message.channel == "sms":
            hook = next((h for h in site.webhooks.values() if h.format == "sms"), None)
            if hook is None:
                raise DeliveryFailed("no webhook of format sms in the site configuration")
            _post(hook, message)
        else:
            raise DeliveryFailed(f"unknown channel '{message.channel}'")
    except DeliveryFailed:
        raise
    except (OSError, ValueError) as exc:  # network, refused, timed out, bad URL
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None


def _email(site: Notifications, message: Any) -> None:
    import smtplib

    smtp = site.smtp
    if smtp is None:
        raise DeliveryFailed("no smtp server in the site configuration")
    mail = EmailMessage()
    mail["From"] = smtp.sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Message-ID"] = f"<{message.idem_key}@rectify>"
    mail.set_content(message.body)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as server:
            if smtp.starttls:
                server.starttls()
            if smtp.username:
                from .config import _read

                server.login(smtp.username, _read(smtp.password_file))
            server.send_message(mail)
    except smtplib.SMTPException as exc:
        raise DeliveryFailed(f"SMTP: {exc}") from None


def body_for(hook: Webhook, message: Any) -> dict[str, Any]:
    text = f"{message.subject}\n{message.body}"
    if hook.format == "wecom":
        return {"msgtype": "text", "text": {"content": text}}
    if hook.format == "dingtalk":
        return {"msgtype": "text", "text": {"content": text}}
    if hook.format == "feishu":
        body: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
        secret = hook.secret()
        if secret:
            stamp = str(int(time.time()))
            key = f"{stamp}\n{secret}".encode()
            body["timestamp"] = stamp
            body["sign"] = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        return body
    if hook.format == "sms":
        return {"id": message.idem_key, "phone": message.recipient, "text": text}
    return {"id": message.idem_key, "subject": message.subject, "body": message.body,
            "stream": message.stream, "seq": message.seq}


def _url(hook: Webhook) -> str:
    url = hook.resolved_url()
    secret = hook.secret()
    if hook.format == "dingtalk" and secret:  # DingTalk signs the URL itself
        stamp = str(round(time.time() * 1000))
        digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
        sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
        url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={sign}"
    return url


def _post(hook: Webhook, message: Any) -> None:
    data = json.dumps(body_for(hook, message), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8",
               "Idempotency-Key": message.idem_key}
    secret = hook.secret()
    if hook.format == "json" and secret:  # a plain receiver checks the body's HMAC
        headers["X-Rectify-Signature"] = hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
    url = _url(hook)
    if not url.startswith(("http://", "https://")):
        raise DeliveryFailed(f"webhook '{hook.name}' has no http(s) URL")
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - http(s) only
            reply = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code} from webhook '{hook.name}'") from None
    _check_reply(hook, reply)


def _check_reply(hook: Webhook, reply: bytes) -> None:
    """The robots answer 200 with an error code in the body when they refuse a message."""
    if hook.format not in ("wecom", "dingtalk", "feishu"):
        return
    try:
        answer = json.loads(reply or b"{}")
    except ValueError:
        return
    code = answer.get("errcode", answer.get("code", 0)) if isinstance(answer, dict) else 0
    if code not in (0, None):
        raise DeliveryFailed(f"webhook '{hook.name}' refused the message: {answer}")
