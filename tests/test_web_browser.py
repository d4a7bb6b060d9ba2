"""End to end in a real browser: Debian's Chromium, driven by Selenium through Debian's
chromium-driver, against ``rectify serve``'s application on a real SQLite file, with the
network cut off (every asset is the server's own).

A unit's liaison signs in on a phone-sized screen, sees only their unit's items, reports
progress with a file and asks to close; the office verifies from its queue; the public board
shows the item closed.  Screenshots are saved under the test's tmp dir.  Without Chromium or
its driver the test is skipped, unless CI is true, where it fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_fixtures import CAMPAIGN, invoke
from web_fixtures import PASSWORD, TODAY, Site, build

from campaigns.web.app import create_app

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--window-size=390,844", "--lang=zh-CN"]


def _need(path: str | None, what: str) -> str:
    if path:
        return path
    message = f"{what} not found; install it with `sudo apt-get install -y chromium chromium-driver`"
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Site]]:
    """The application served by uvicorn on a free local port, in a thread."""
    import uvicorn

    site = build(str(tmp_path / "county.db"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(site.db, today=lambda _tz: TODAY), host="127.0.0.1",
                            port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started, "the server did not start"
    yield f"http://127.0.0.1:{port}", site
    running.should_exit = True
    thread.join(10)


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = _need(shutil.which("chromium") or shutil.which("chromium-browser"), "Chromium")
    driver_path = _need(shutil.which("chromedriver"), "chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def _sign_in(driver: object, base: str, key: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/")  # type: ignore[attr-defined]
    assert "/login" in driver.current_url  # type: ignore[attr-defined]
    driver.find_element(By.NAME, "key").send_keys(key)  # type: ignore[attr-defined]
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)  # type: ignore[attr-defined]
    _click(driver, By.CSS_SELECTOR, "form.stack button")
    assert driver.current_url.endswith("/items")  # type: ignore[attr-defined]


def _click(driver: object, by: str, what: str) -> None:
    """Click what submits a form, and wait for the next page to replace this one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")  # type: ignore[attr-defined]
    driver.find_element(by, what).click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 15).until(ec.staleness_of(old))
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script("return document.readyState") == "complete")


def _shot(driver: object, path: Path) -> None:
    driver.save_screenshot(str(path))  # type: ignore[attr-defined]
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, _height = struct.unpack(">II", data[16:24])
    assert width <= 400 * 3  # a phone-sized window (times the device pixel ratio)
    assert len(data) > 10_000  # a drawn page, not a blank one


def _open(driver: object, url: str) -> str:
    """Go to ``url`` and wait for its page to be drawn; its source."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)  # type: ignore[attr-defined]
    WebDriverWait(driver, 15).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && !!document.querySelector('body *')"))
    return str(driver.page_source)  # type: ignore[attr-defined]


def _sign_out(driver: object) -> None:
    from selenium.webdriver.common.by import By

    _click(driver, By.CSS_SELECTOR, "form.inline button")
    assert "/login" in driver.current_url  # type: ignore[attr-defined]


def _form(trigger: str) -> str:
    """The XPath of the form that fires ``trigger`` on an item's page."""
    return f"//form[input[@name='trigger' and @value='{trigger}']]"


def test_a_liaison_reports_and_asks_for_time_and_the_office_extends_and_verifies(
        server: tuple[str, Site], browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    base, site = server
    d = browser
    # the clock's reminder, issued as a numbered 督办通知书 to 县财政局
    invoke(site.db, "tick", CAMPAIGN, "--as-of", TODAY.isoformat())
    invoke(site.db, "notices", CAMPAIGN, "--issue", "--since", "2015-08-01", "--as-of",
           TODAY.isoformat(), "--actor", "sup", "-o", str(tmp_path / "notices"))
    # 县财政局's head: only their unit's items, with the yellow light of a deadline tomorrow
    _sign_in(d, base, "zhang-czj")
    page = d.page_source  # type: ignore[attr-defined]
    assert "我的事项" in page and site.czj in page and site.jyj not in page
    assert "临近时限" in page  # the yellow light: deadline 2015-08-25, today 08-24
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    _shot(d, tmp_path / "1-liaison-items.png")

    # the notice received: signed for (签收)
    page = _open(d, f"{base}/campaigns/{CAMPAIGN}/notices")
    assert "县组督〔2015〕1号" in page and "未签收" in page
    _click(d, By.XPATH, "//form[contains(@action, '/documents/sign')]//button")
    assert "zhang-czj 于 2015-08-24 签收" in d.page_source  # type: ignore[attr-defined]
    _shot(d, tmp_path / "1b-liaison-notices.png")

    # progress with a file
    _click(d, By.LINK_TEXT, site.czj)
    evidence = tmp_path / "整改照片.png"
    evidence.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    d.find_element(By.CSS_SELECTOR, "textarea[name=note]").send_keys("已建立限时办结制度并公开")  # type: ignore[attr-defined]
    d.find_element(By.NAME, "evidence").send_keys(str(evidence))  # type: ignore[attr-defined]
    _click(d, By.XPATH, "//button[text()='提交进展']")
    page = d.page_source  # type: ignore[attr-defined]
    assert "已建立限时办结制度并公开" in page and "整改照片.png" in page

    # an extension asked for, with its reason and the deadline needed
    form = d.find_element(By.XPATH, _form("request-extension"))  # type: ignore[attr-defined]
    form.find_element(By.NAME, "note").send_keys("需协调上级资金，申请延期")
    d.execute_script("arguments[0].value = '2015-09-15'",  # type: ignore[attr-defined]
                     form.find_element(By.NAME, "deadline"))
    _click(d, By.XPATH, _form("request-extension") + "//button")
    assert "<strong>延期待批</strong>" in d.page_source  # type: ignore[attr-defined]
    _shot(d, tmp_path / "2-liaison-item.png")
    _open(d, base + "/extensions")
    assert site.czj in d.page_source and "等待办公室审批" in d.page_source  # type: ignore[attr-defined]
    _sign_out(d)

    # the office approves, with the deadline asked for
    _sign_in(d, base, "sup")
    _open(d, base + "/extensions")
    assert site.czj in d.page_source and "2015-09-15" in d.page_source  # type: ignore[attr-defined]
    _shot(d, tmp_path / "3-office-extensions.png")
    _click(d, By.XPATH, "//button[@value='approve-extension']")
    assert "/extensions" in d.current_url and site.czj not in d.page_source  # type: ignore[attr-defined]
    _open(d, f"{base}/items/{site.czj}")
    assert "2015-09-15" in d.page_source and "批准延期" in d.page_source  # type: ignore[attr-defined]
    _sign_out(d)

    # the unit reports it done
    _sign_in(d, base, "zhang-czj")
    _open(d, f"{base}/items/{site.czj}")
    _click(d, By.XPATH, _form("submit") + "//button")
    assert "<strong>申请销号</strong>" in d.page_source  # type: ignore[attr-defined]
    _sign_out(d)

    # the office verifies from its queue
    _sign_in(d, base, "sup")
    _open(d, base + "/queue")
    d.find_element(By.CSS_SELECTOR, f"input[aria-label='{site.czj}']").click()  # type: ignore[attr-defined]
    _shot(d, tmp_path / "4-office-queue.png")
    _click(d, By.XPATH, "//button[text()='验收销号所选事项']")
    assert site.czj not in d.page_source  # type: ignore[attr-defined]
    _open(d, f"{base}/items/{site.czj}")
    assert "已销号" in d.page_source  # type: ignore[attr-defined]
    _shot(d, tmp_path / "5-office-item.png")
    _open(d, f"{base}/campaign")
    assert "监督检查" in d.page_source  # type: ignore[attr-defined]
    _shot(d, tmp_path / "6-campaign-status.png")
    _open(d, f"{base}/campaigns/{CAMPAIGN}/dashboard")
    assert "销号率" in d.page_source  # type: ignore[attr-defined]
    _shot(d, tmp_path / "7-dashboard.png")

    # the public board, with no sign-in, shows the item closed
    _sign_out(d)
    _open(d, f"{base}/board/{CAMPAIGN}")
    board = d.page_source  # type: ignore[attr-defined]
    assert "整改情况公示" in board and "项目资金拨付拖延" in board
    row = d.find_element(By.XPATH, "//tr[td[contains(., '项目资金拨付拖延')]]").text  # type: ignore[attr-defined]
    assert "已销号" in row and "2015-08-24" in row, row
    _shot(d, tmp_path / "8-public-board.png")
    print(f"screenshots in {tmp_path}")
