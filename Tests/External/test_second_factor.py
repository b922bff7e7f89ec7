"""Second factors as an authenticator app sees them: the secret `governance user create` prints is
Base32 and an otpauth:// URI that pyotp (an independent RFC 6238 implementation) reads; its codes
sign in; `governance user reset-second-factor` replaces a lost one, the old codes stop working,
and the audit trail records who did it."""
import json
import pathlib
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

import pyotp

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import BIN, System  # noqa: E402

PASSWORD = "Second-factor-2026"


class SecondFactorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.system = System()

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    def governance(self, *arguments) -> list:
        run = subprocess.run([BIN / "governance", *arguments, "--data", self.system.data], capture_output=True, text=True,
                             env={"GOVERNANCE_PASSWORD": PASSWORD, "PATH": "/usr/bin:/bin"}, timeout=60)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        return run.stdout.splitlines()

    @staticmethod
    def printed(lines, label) -> str:
        return next(line.split(": ", 1)[1] for line in lines if line.startswith(label))

    def sign_in(self, username: str, code: str) -> int:
        request = urllib.request.Request(f"{self.system.gateway}/auth/login", data=json.dumps(
            {"username": username, "password": PASSWORD, "otp": code}).encode(), headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def test_an_authenticator_app_reads_the_secret_and_its_codes_sign_in(self):
        lines = self.governance("user", "create", "--username", "chief", "--role", "city_admin", "--scope", "3201")
        secret = self.printed(lines, "second factor (TOTP, RFC 6238) secret, Base32")
        self.assertRegex(secret, r"^[A-Z2-7]{32}$", "a 160-bit key in RFC 4648 Base32")
        uri = pyotp.parse_uri(self.printed(lines, "authenticator URI"))
        self.assertEqual(uri.secret, secret)
        self.assertEqual((uri.digits, uri.interval, uri.name), (6, 30, "chief"))
        self.assertEqual(self.sign_in("chief", pyotp.TOTP(secret).at(time.time() + 60)), 401, "a code two steps ahead")
        self.assertEqual(self.sign_in("chief", pyotp.TOTP(secret).now()), 200)

        reset = self.governance("user", "reset-second-factor", "--username", "chief", "--by", "admin-wang")
        renewed = self.printed(reset, "second factor (TOTP, RFC 6238) secret, Base32")
        self.assertNotEqual(renewed, secret)
        self.assertEqual(self.sign_in("chief", pyotp.TOTP(secret).now()), 401, "the lost factor still works")
        self.assertEqual(self.sign_in("chief", pyotp.TOTP(renewed).now()), 200)

        auditor_lines = self.governance("user", "create", "--username", "audit", "--role", "auditor")
        auditor = self.printed(auditor_lines, "second factor (TOTP, RFC 6238) secret, Base32")
        request = urllib.request.Request(f"{self.system.gateway}/auth/login", data=json.dumps(
            {"username": "audit", "password": PASSWORD, "otp": pyotp.TOTP(auditor).now()}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            cookie = response.headers["Set-Cookie"].split(";")[0]
        trail = urllib.request.Request(f"{self.system.gateway}/audit?action=user.reset_second_factor",
                                       headers={"Cookie": cookie})
        with urllib.request.urlopen(trail, timeout=10) as response:
            entries = json.loads(response.read())["entries"]
        self.assertEqual([(e["subject"], e["target"]) for e in entries], [("operator:admin-wang", "chief")])


if __name__ == "__main__":
    unittest.main()
