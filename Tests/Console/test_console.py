"""The admin console in headless Chromium against the whole system started by `governance up`.

An administrator is created with the operator tool (no default account exists), signs in with a
password and a TOTP code, sees the dashboard with its charts, reports a case, accepts and
escalates it, and finds the escalation in the case's history; a title holding markup stays text.
Screenshots are saved to .build/console-dashboard.png and .build/console.png.
"""
import os
import pathlib
import random
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import pyotp
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("GOVERNANCE_BIN_DIR", ROOT / ".build" / "debug"))
PASSWORD = "Console-test-2026"


def totp(secret: str, at: float) -> str:
    """The code an authenticator app shows for the printed Base32 secret (pyotp, RFC 6238)."""
    return pyotp.TOTP(secret).at(at)


def free_offset() -> int:
    """A port offset under which the gateway's, services' and metrics ports are all free and
    outside the kernel's ephemeral range, which the tests' client sockets draw from."""
    low, high = map(int, pathlib.Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    for _ in range(200):
        offset = random.randint(1000, 15480)
        ports = [8080 + offset] + [50051 + offset + i for i in range(5)] + [9451 + offset + i for i in range(5)]
        if all(port < 65536 and not low <= port <= high for port in ports) and all(_free(port) for port in ports):
            return offset
    raise RuntimeError("no free ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class ConsoleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.mkdtemp(prefix="governance-console-")
        created = subprocess.run(
            [BIN / "governance", "user", "create", "--data", cls.data, "--username", "admin", "--role", "city_admin",
             "--scope", "3201"],
            env={**os.environ, "GOVERNANCE_PASSWORD": PASSWORD}, capture_output=True, text=True, check=True)
        cls.secret = next(line.split(": ", 1)[1] for line in created.stdout.splitlines() if "TOTP" in line)
        cls.offset = free_offset()
        cls.up = subprocess.Popen(
            [BIN / "governance", "up", "--data", cls.data, "--port-offset", str(cls.offset), "--demo"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 120
        for line in cls.up.stdout:
            if "all healthy" in line:
                break
            if time.time() > deadline:
                raise RuntimeError("the system did not come up")
        # The processes go on writing logs to the pipe: it is drained, so a full pipe never blocks them.
        threading.Thread(target=lambda: cls.up.stdout.read(), daemon=True).start()
        cls.base = f"http://127.0.0.1:{8080 + cls.offset}"
        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1600"]:
            options.add_argument(argument)
        options.binary_location = "/usr/bin/chromium"
        try:
            cls.browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        except Exception:
            # No browser: the system started for it is stopped rather than left running.
            cls.up.send_signal(signal.SIGINT)
            cls.up.wait(timeout=30)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.up.send_signal(signal.SIGINT)
        cls.up.wait(timeout=30)

    def wait(self, condition, timeout=20):
        return WebDriverWait(self.browser, timeout).until(condition)

    def test_sign_in_dashboard_and_case_workflow(self):
        browser = self.browser
        browser.get(self.base + "/")
        self.wait(EC.presence_of_element_located((By.ID, "login")))
        self.assertEqual(browser.find_element(By.ID, "title").text, "党建引领基层治理平台")

        # A wrong password is refused with a message; the right one with its TOTP code signs in.
        browser.find_element(By.ID, "username").send_keys("admin")
        browser.find_element(By.ID, "password").send_keys("wrong-password-1")
        browser.find_element(By.ID, "otp").send_keys(totp(self.secret, time.time()))
        browser.find_element(By.ID, "signin").click()
        self.wait(lambda b: b.find_element(By.ID, "login-error").text != "")
        browser.find_element(By.ID, "password").clear()
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "otp").clear()
        browser.find_element(By.ID, "otp").send_keys(totp(self.secret, time.time()))
        browser.find_element(By.ID, "signin").click()

        # The dashboard draws its charts on the page.
        self.wait(lambda b: len(b.find_elements(By.CSS_SELECTOR, "svg.chart")) >= 6)
        for chart in ["chart-compound-coverage", "chart-case-status", "chart-on-time", "chart-stars", "chart-lists"]:
            self.assertTrue(browser.find_element(By.ID, chart).is_displayed(), chart)
        self.wait(lambda b: b.find_element(By.ID, "volunteer-hours").text != "")
        browser.save_screenshot(str(ROOT / ".build" / "console-dashboard.png"))

        # Report a case whose title holds markup; it opens on its own page, as text.
        browser.find_element(By.CSS_SELECTOR, "nav a[data-page=cases]").click()
        self.wait(EC.presence_of_element_located((By.ID, "new-case")))
        title = "<script>alert('x')</script> 楼道堆物"
        browser.find_element(By.ID, "new-case-category").send_keys("环境卫生")
        browser.find_element(By.ID, "new-case-title").send_keys(title)
        browser.find_element(By.ID, "new-case-divisionCode").send_keys("320113005001")
        browser.find_element(By.ID, "new-case-submit").click()
        self.wait(EC.presence_of_element_located((By.ID, "case-history")))
        self.assertIn(title, browser.find_element(By.TAG_NAME, "main").text)
        self.assertEqual(browser.find_element(By.ID, "case-status").text, "REPORTED")

        # Accept, then escalate: the history shows both steps.
        browser.find_element(By.ID, "action-AcceptCase").click()
        self.wait(lambda b: b.find_element(By.ID, "case-status").text == "ACCEPTED")
        browser.find_element(By.ID, "action-EscalateCase").click()
        self.wait(lambda b: "ESCALATED" in b.find_element(By.ID, "case-history").text)
        history = browser.find_element(By.ID, "case-history").text
        self.assertIn("ACCEPTED", history)
        self.assertIn("STREET", history)

        # The language switches to English.
        browser.find_element(By.ID, "lang").click()
        self.wait(lambda b: b.find_element(By.ID, "title").text == "Community Governance Platform")
        screenshot = ROOT / ".build" / "console.png"
        browser.save_screenshot(str(screenshot))
        self.assertTrue(screenshot.stat().st_size > 10_000)


if __name__ == "__main__":
    unittest.main()
