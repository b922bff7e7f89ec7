"""Shared setup of the phone-page tests (the grid worker's app at /m/, the residents' page at /r/).

The API is small and kept stable, other test files import it:

- `System()`: `governance up --data D --port-offset N --demo` on a free offset, started and waited
  for ("all healthy") as Tests/Console/test_console.py does; `make_user(...)` makes a user with the
  operator tool (returns its TOTP secret, or "" for roles without a second factor), `sign_in(...)`
  opens a Connect API session as that user (a `Gateway`), `base` is the gateway's URL, `stop()` ends it.
- `mobile_browser()`: headless Chromium emulating a 360×640 Android phone (pixel ratio 2).
- `screenshot(browser, name)`: saved to .build/mobile/<name>.png.
- `assert_fits(testcase, browser)`: the page does not scroll sideways.
- `assert_translated(testcase, browser)`: no contract enum value, record id, raw division or grid
  code, or a script's "undefined" in the visible text (the console test's patterns).
"""
import http.cookiejar
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pyotp
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "External"))
from system import free_offset  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("GOVERNANCE_BIN_DIR", ROOT / ".build" / "debug"))
SHOTS = ROOT / ".build" / "mobile"
PASSWORD = "Mobile-test-2026"
GRID = "grid.v1.GridService"
ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/124.0.0.0 Mobile Safari/537.36")

# What must never show on a Chinese page: a contract's enum value, a record id, a raw 12-digit
# division or 15-digit grid code, or the words a script prints for a missing value (the same
# patterns as Tests/Console/test_console.py).
UNTRANSLATED = [
    re.compile(r"\b[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+\b"),
    re.compile(r"\b(?:case|org|cmp|div|grd|wkr|mbr|com|ctr|per|pnl|vol|team|wish|pst)_[0-9A-Za-z]{8,}\b"),
    re.compile(r"(?<![\d-])\d{12}(?:\d{3})?(?!\d)"),
    re.compile(r"\b(?:null|undefined|NaN)\b|\[object Object\]"),
]


class ServiceRefused(Exception):
    """A Connect error answer: the HTTP status and the `{"code", "message"}` body."""

    def __init__(self, status: int, body: dict):
        super().__init__(f"{status} {body.get('code')}: {body.get('message')}")
        self.status = status
        self.code = body.get("code", "")
        self.body = body


class Gateway:
    """The gateway's Connect API with a session, as the pages call it (cookie + X-CSRF-Token)."""

    def __init__(self, base: str, username: str, password: str = PASSWORD, otp: str = ""):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""
        answer = self.post("/auth/login", {"username": username, "password": password, "otp": otp})
        self.csrf = answer["csrfToken"]

    def post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json", "X-CSRF-Token": self.csrf})
        try:
            with self.opener.open(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise ServiceRefused(error.code, json.loads(error.read() or b"{}")) from None

    def call(self, service: str, method: str, body: dict) -> dict:
        """`service` as "grid.v1.GridService"."""
        return self.post(f"/governance.{service}/{method}", body)

    def grid(self, method: str, body: dict) -> dict:
        return self.call(GRID, method, body)


class System:
    """The whole system with the demo city, on a free port offset, with its own data directory."""

    def __init__(self, env: dict | None = None):
        self.data = tempfile.mkdtemp(prefix="governance-mobile-")
        # Everything the processes write, kept for a test to read (a resident's one-time code).
        self.log: list[str] = []
        output = self.log
        # A start that ends before "all healthy" (a port taken between the check and the bind) is
        # retried on another offset.
        for _ in range(3):
            self.offset = free_offset()
            self.process = subprocess.Popen(
                [BIN / "governance", "up", "--data", self.data, "--port-offset", str(self.offset), "--demo"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})
            deadline = time.time() + 180
            healthy = False
            for line in self.process.stdout:
                output.append(line)
                if "all healthy" in line:
                    healthy = True
                    break
                if time.time() > deadline:
                    break
            if healthy:
                break
            self.process.kill()
            self.process.wait(timeout=30)
        else:
            raise RuntimeError("the system did not come up:\n" + "".join(output[-30:]))
        # The processes go on writing logs to the pipe: it is drained into the log, so a full pipe
        # never blocks them.
        def keep():
            for line in self.process.stdout:
                self.log.append(line)
        threading.Thread(target=keep, daemon=True).start()
        self.base = f"http://127.0.0.1:{8080 + self.offset}"

    def make_user(self, username: str, role: str, scope: str) -> str:
        """A user made with the operator tool; its TOTP secret (administrators, auditors) or ""."""
        created = subprocess.run(
            [BIN / "governance", "user", "create", "--data", self.data, "--username", username, "--role", role,
             "--scope", scope],
            env={**os.environ, "GOVERNANCE_PASSWORD": PASSWORD}, capture_output=True, text=True, check=True)
        return next((line.split(": ", 1)[1] for line in created.stdout.splitlines() if "TOTP" in line), "")

    def sign_in(self, username: str, secret: str = "") -> Gateway:
        """A Connect API session as `username` (with a code from `secret` when it has one)."""
        return Gateway(self.base, username, otp=pyotp.TOTP(secret).now() if secret else "")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)


def mobile_browser() -> webdriver.Chrome:
    """Headless Chromium as an Android phone: 360×640 CSS pixels at pixel ratio 2, touch, Chinese."""
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN",
                     "--window-size=360,640"]:
        options.add_argument(argument)
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": 360, "height": 640, "pixelRatio": 2.0, "touch": True},
        "userAgent": ANDROID_CHROME})
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def screenshot(browser, name: str) -> pathlib.Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    browser.save_screenshot(str(path))
    return path


def assert_fits(testcase, browser):
    """The page is no wider than the phone: nothing scrolls sideways."""
    widths = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    testcase.assertLessEqual(widths[0], widths[1], f"the page scrolls sideways ({widths})")


def assert_translated(testcase, browser):
    """No enum value, record id, raw code or missing-value word in the page's visible text."""
    text = browser.execute_script("return document.body.innerText")
    for pattern in UNTRANSLATED:
        found = pattern.findall(text)
        testcase.assertEqual(found, [], f"untranslated text on the page: {found[:5]}")


def one_time_code(system: System, phone: str, after: int = 0, timeout: float = 15) -> str:
    """The last one-time code the gateway's development sender logged for `phone` (a
    `System`), among the log's lines from index `after` on."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        codes = [found.group(1) for line in system.log[after:] if phone in line
                 for found in [re.search(r"one-time code (\d{6})", line)] if found]
        if codes:
            return codes[-1]
        time.sleep(0.2)
    raise AssertionError(f"no one-time code for {phone} in the gateway's log")
