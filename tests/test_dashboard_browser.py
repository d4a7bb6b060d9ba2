"""rectify dashboard: one self-contained HTML page, rendered in a real browser (headless
Chromium) with the network cut off.  Without Chromium the browser test is skipped — unless
CI is true, where it fails (install Debian's ``chromium`` package)."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, county, invoke, progressed_campaign

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND"]  # no network at all: the page needs none


def browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    message = "Chromium not found; install it with `sudo apt-get install -y chromium`"
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def page(tmp_path: Path) -> Path:
    db = county(str(tmp_path / "d.db"))
    progressed_campaign(db)
    out = tmp_path / "dashboard.html"
    invoke(db, "dashboard", CAMPAIGN, "-o", str(out), "--as-of", "2015-08-31")
    return out


def test_the_page_is_self_contained(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "url(" not in html and "@import" not in html and "<script" not in html
    for text in ("问题总数", "销号率", "阶段时间轴", "按状态", "逾期数（前15个单位）", "县财政局"):
        assert text in html


def _chromium(args: list[str], profile: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([browser(), *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


def test_the_page_renders_in_headless_chromium(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "dashboard.png"
    with tempfile.TemporaryDirectory() as profile:
        done = _chromium([f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri()], profile)
    assert shot.exists(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    assert len(data) > 30_000  # a drawn page, not a blank one (a blank one is a few KB)
    with tempfile.TemporaryDirectory() as profile:
        dom = _chromium(["--dump-dom", page.as_uri()], profile).stdout
    assert "工作看板" in dom and "问题总数" in dom
    assert dom.count("<svg") >= 5  # the timeline and the charts, parsed by the browser
