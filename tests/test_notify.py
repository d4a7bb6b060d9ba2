"""Notifications: the site's rules queue messages in the transaction of the change that causes
them; ``rectify notify send`` delivers them to a real SMTP server (aiosmtpd) and a real HTTP
webhook receiver on loopback, at least once, each with its stable id; failures are retried with
backoff and end as failed; a sender killed mid-run loses nothing and, with the receiver dropping
repeats by id, delivers nothing twice."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from ledger_fixtures import CAMPAIGN, county, invoke, progressed_campaign, query

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """A real SMTP server on loopback keeping what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        box = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                box.messages.append(message_from_bytes(envelope.content, policy=default))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


class Receiver:
    """A real HTTP server on loopback: keeps every POST; ``fail`` answers 500; ``stall`` holds
    the n-th request for a long time (to kill the sender in mid-delivery)."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], Any]] = []
        self.fail = False
        self.stall_at: int | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.posts.append((dict(self.headers), body))
                if receiver.stall_at is not None and len(receiver.posts) == receiver.stall_at:
                    time.sleep(30)
                code = 500 if receiver.fail else 200
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # the sender killed mid-request leaves a broken pipe behind: expected, not news
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def keys(self) -> list[str]:
        return [h["Idempotency-Key"] for h, _ in self.posts]


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    yield box
    box.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


def site_config(tmp_path: Path, mailbox: Mailbox, receiver: Receiver) -> Path:
    url = tmp_path / "office-robot.url"
    url.write_text(f"http://127.0.0.1:{receiver.port}/robot?key=secret-key\n", encoding="utf-8")
    path = tmp_path / "site.yaml"
    path.write_text(f"""\
notifications:
  office: county
  smtp: {{host: 127.0.0.1, port: {mailbox.port}, sender: "县委督查室 <ducha@county.example>"}}
  webhooks:
    office-robot: {{format: wecom, url_file: {url}}}
  units:
    czj: {{email: [czj@county.example]}}
    county: {{webhooks: [office-robot]}}
  send:
    - {{rule: "escalation.*", to: [unit, office]}}
    - {{trigger: return, to: [unit]}}
""", encoding="utf-8")
    return path


@pytest.fixture
def db(tmp_path: Path, mailbox: Mailbox, receiver: Receiver,
       monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RECTIFY_SITE_CONFIG", str(site_config(tmp_path, mailbox, receiver)))
    db = county(str(tmp_path / "n.db"))
    progressed_campaign(db)
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-08-31")  # a reminder, then 督办, for czj
    return db


def outbox(db: str) -> list[tuple[Any, ...]]:
    return query(db, "SELECT channel, recipient, subject, status, seq FROM outbox ORDER BY id")


def test_the_ladder_queues_messages_with_its_events_and_send_delivers_them(
        db: str, mailbox: Mailbox, receiver: Receiver) -> None:
    queued = outbox(db)
    escalations = query(db, "SELECT seq FROM events WHERE rule LIKE 'escalation.%' ORDER BY seq")
    assert len(escalations) == 2  # the reminder on Aug 20, the 督办 on Aug 26
    assert [(c, r, s) for c, r, s, _st, _q in queued] == [
        ("email", "czj@county.example", "【提醒】WGBW-2015-0002"),
        ("webhook", "office-robot", "【提醒】WGBW-2015-0002"),
        ("email", "czj@county.example", "【督办】WGBW-2015-0002"),
        ("webhook", "office-robot", "【督办】WGBW-2015-0002")]
    assert {q for *_rest, q in queued} == {s for (s,) in escalations}
    out = invoke(db, "notify", "send").output
    assert out.strip() == "sent 4, to retry 0, failed 0"
    assert [m["Subject"] for m in mailbox.messages] == ["【提醒】WGBW-2015-0002", "【督办】WGBW-2015-0002"]
    keys = [k for (k,) in query(db, "SELECT idem_key FROM outbox WHERE channel = 'email' ORDER BY id")]
    assert [m["Message-ID"] for m in mailbox.messages] == [f"<{k}@rectify>" for k in keys]
    body = mailbox.messages[1].get_content()
    assert "予以督办" in body and "新的整改时限：2015-09-10" in body and "责任单位 县财政局" in body
    assert "项目资金" not in body  # the title is never in a message
    (headers, robot), _ = receiver.posts[1], receiver.posts[0]
    assert robot["msgtype"] == "text" and "【督办】WGBW-2015-0002" in robot["text"]["content"]
    assert headers["Idempotency-Key"] == query(db, "SELECT idem_key FROM outbox WHERE id = 4")[0][0]
    assert {s for *_r, s, _q in outbox(db)} == {"sent"}
    status = json.loads(invoke(db, "notify", "status", "--json").output)
    assert (status["pending"], status["sent"], status["failed"]) == (0, 4, 0)
    assert invoke(db, "notify", "send").output.strip() == "sent 0, to retry 0, failed 0"


def test_a_return_goes_to_the_unit(db: str, mailbox: Mailbox) -> None:
    code = "WGBW-2015-0002"
    invoke(db, "item", "advance", "submit", code, "--actor", "zhang-czj", "--as-of", "2015-09-02")
    invoke(db, "item", "advance", "return", code, "--note", "材料不全", "--actor", "sup",
           "--as-of", "2015-09-03")
    last = outbox(db)[-1]
    assert last[:2] == ("email", "czj@county.example") and last[2].endswith(code)
    invoke(db, "notify", "send")
    assert "材料不全" not in mailbox.messages[-1].get_content()


def test_failures_are_retried_with_backoff_and_end_as_failed(db: str, receiver: Receiver) -> None:
    from campaigns.db import Database
    from campaigns.notify.sender import MAX_ATTEMPTS, backoff, send

    receiver.fail = True
    result = invoke(db, "notify", "send")
    assert result.output.startswith("sent 2, to retry 2, failed 0")
    assert "not delivered: webhook office-robot: HTTP 500" in result.stderr
    pending = query(db, "SELECT attempts, next_try_at, last_error FROM outbox "
                        "WHERE status = 'pending'")
    assert [(a, e) for a, _n, e in pending] == [(1, "HTTP 500 from webhook 'office-robot'")] * 2
    assert backoff(1) == dt.timedelta(minutes=1) and backoff(3) == dt.timedelta(minutes=4)
    assert backoff(30) == dt.timedelta(hours=6)
    assert invoke(db, "notify", "send").output.startswith("sent 0, to retry 0")  # not due yet
    later = dt.datetime.now(dt.UTC)
    for _ in range(MAX_ATTEMPTS - 1):
        later += dt.timedelta(hours=7)
        send(Database(db), now=lambda at=later: at)
    status = json.loads(invoke(db, "notify", "status", "--json").output)
    assert (status["pending"], status["failed"]) == (0, 2)
    assert status["failed_messages"][0]["attempts"] == MAX_ATTEMPTS
    text = invoke(db, "notify", "status").output
    assert "failed 2" in text and "HTTP 500 from webhook 'office-robot'" in text
    receiver.fail = False
    assert invoke(db, "notify", "retry").output.strip() == "queued 2 failed message(s) again"
    assert invoke(db, "notify", "send").output.strip() == "sent 2, to retry 0, failed 0"


def test_a_killed_sender_loses_nothing_and_duplicates_nothing(db: str, receiver: Receiver,
                                                              mailbox: Mailbox) -> None:
    for day in ("2015-09-10", "2015-09-24"):  # more escalations: more messages
        invoke(db, "tick", CAMPAIGN, "--as-of", day)
    total = len(outbox(db))
    assert total >= 6
    receiver.stall_at = 2  # the second webhook delivery hangs: the sender is killed in it
    env = {**os.environ, "RECTIFY_DB": db}
    rectify = os.path.join(os.path.dirname(sys.executable), "rectify")
    sender = subprocess.Popen([rectify, "notify", "send"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(receiver.posts) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receiver.posts) == 2, sender.poll()  # the second is in flight
    sender.send_signal(signal.SIGKILL)
    sender.wait()
    receiver.stall_at = None
    invoke(db, "notify", "send")
    keys = [k for (k,) in query(db, "SELECT idem_key FROM outbox WHERE channel = 'webhook'")]
    delivered = receiver.keys()
    assert set(delivered) == set(keys)  # nothing lost
    assert len(delivered) == len(keys) + 1  # the one in flight came twice, with the same id
    assert len({m["Message-ID"] for m in mailbox.messages}) == len(mailbox.messages)
    assert {s for *_r, s, _q in outbox(db)} == {"sent"}


def test_without_settings_nothing_is_queued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECTIFY_SITE_CONFIG", raising=False)
    db = county(str(tmp_path / "plain.db"))
    progressed_campaign(db)
    invoke(db, "tick", CAMPAIGN, "--as-of", "2015-08-31")
    assert outbox(db) == []
    result = invoke(db, "notify", "send", ok=False)
    assert result.exit_code == 4 and "RECTIFY_SITE_CONFIG" in result.output


def test_a_bad_site_configuration_is_located(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("notifications:\n  webhooks:\n    robot: {format: qq}\n"
                    "  units:\n    czj: {email: [not-an-address], webhooks: [nobody]}\n"
                    "  send:\n    - {to: [unit]}\n", encoding="utf-8")
    monkeypatch.setenv("RECTIFY_SITE_CONFIG", str(path))
    db = county(str(tmp_path / "b.db"), start=False)
    result = invoke(db, "notify", "send", ok=False)
    assert result.exit_code == 1, result.output
    for text in (f"{path}:3:13: error[site-config]: unknown format 'qq'",
                 "webhook 'robot' needs one of url or url_file",
                 f"{path}:5:19: error[site-config]: 'not-an-address' is not an e-mail address",
                 "unknown webhook 'nobody'", "each entry needs a rule",
                 "e-mail addresses are given but no smtp server"):
        assert text in result.output, result.output
