"""The gateway's three outside channels, each driven through the operator's
`governance message send` against someone else's implementation of the far side:

- e-mail: PyPI's `aiosmtpd`, a real SMTP server, receives the mail, which Python's `email`
  package parses (the Chinese subject's RFC 2047 words, the base64 body, the headers); refusals
  with 550 and 451, a relay that never greets and one that is not there;
- WeChat Work group robot: an `http.server` on loopback takes the webhook's place, checks the
  JSON and answers as WeChat does, errcode 0 or a refusal with HTTP 200;
- Tencent Cloud SMS: an `http.server` takes the endpoint's place, and the `Authorization` header
  is checked with Tencent's own SDK (PyPI's `tencentcloud-sdk-python-common`: its canonical
  request, `AbstractClient._get_tc3_signature`, and `Sign.sign_tc3`), an implementation of
  signature v3 independent of ours; then the body, and answers with `Response.Error`.

Last, the gateway itself (alone, its peers absent) sends a resident's one-time code through the
SMS channel, and that code signs the resident in.

Every server binds 127.0.0.1 on a free port. The binaries are `.build/debug/` (or
GOVERNANCE_BIN_DIR).
"""
import datetime
import email
import email.policy
import email.utils
import http.server
import json
import os
import pathlib
import re
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from aiosmtpd.controller import Controller
from tencentcloud.common.abstract_client import AbstractClient
from tencentcloud.common.http.request import RequestInternal

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("GOVERNANCE_BIN_DIR", ROOT / ".build" / "debug"))
PUBLIC_URL = "https://gov.example.cn"
SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
APP_ID = "1400006666"
SIGN_NAME = "社区治理"
TEMPLATES = "one_time_code=1234567,case_overdue=2345678"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_environment(**settings: str) -> dict:
    """This process's environment without any channel setting of the developer's, plus `settings`."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("GOVERNANCE_SMS_", "GOVERNANCE_SMTP_")) and name != "GOVERNANCE_PUBLIC_URL"}
    environment.update(settings)
    return environment


def send(channel: str, to: str, title: str = "案件 20261130-0007 已超时", body: str = "请尽快处理。",
         extra: tuple = (), **settings: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "governance"), "message", "send", "--channel", channel, "--to", to, "--title", title,
         "--body", body, *extra],
        env=clean_environment(**settings), capture_output=True, text=True, timeout=60)


class Recorder:
    """An aiosmtpd handler that keeps what it accepts, or refuses RCPT or DATA with a reply."""

    def __init__(self):
        self.envelopes = []
        self.refuse_rcpt = None
        self.refuse_data = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class EmailTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.recorder = Recorder()
        cls.port = free_port()
        cls.controller = Controller(cls.recorder, hostname="127.0.0.1", port=cls.port)
        cls.controller.start()

    @classmethod
    def tearDownClass(cls):
        cls.controller.stop()

    def setUp(self):
        self.recorder.envelopes.clear()
        self.recorder.refuse_rcpt = None
        self.recorder.refuse_data = None

    def settings(self, port=None) -> dict:
        return {"GOVERNANCE_SMTP_HOST": "127.0.0.1", "GOVERNANCE_SMTP_PORT": str(port or self.port),
                "GOVERNANCE_SMTP_FROM": "noreply@gov.example.cn", "GOVERNANCE_PUBLIC_URL": PUBLIC_URL}

    def test_a_mail_that_parses(self):
        title = "案件 20261130-0007 已超时：鼓楼区湖南路街道某小区电梯故障，已超过处置时限，请立即处理并反馈"
        body = "案件 20261130-0007 已超过处置时限。\n.以点开头的一行\n请网格员尽快到场。"
        run = send("email", "grid.worker@example.cn", title, body, ("--link", "/console/#/cases/cas_0007"),
                   **self.settings())
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.strip(), "sent")
        self.assertEqual(len(self.recorder.envelopes), 1)
        envelope = self.recorder.envelopes[0]
        self.assertEqual(envelope.mail_from, "noreply@gov.example.cn")
        self.assertEqual(envelope.rcpt_tos, ["grid.worker@example.cn"])
        raw = envelope.original_content
        self.assertTrue(all(len(line) <= 78 for line in raw.split(b"\r\n")), raw)
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(mail["From"], "noreply@gov.example.cn")
        self.assertEqual(mail["To"], "grid.worker@example.cn")
        self.assertEqual(str(mail["Subject"]), title)
        self.assertIn("=?UTF-8?B?", raw.decode("ascii"))
        sent = email.utils.parsedate_to_datetime(mail["Date"])
        self.assertLess(abs((datetime.datetime.now(datetime.timezone.utc) - sent).total_seconds()), 120)
        self.assertRegex(mail["Message-ID"], r"^<[0-9a-f-]{36}@gov\.example\.cn>$")
        self.assertEqual(mail["MIME-Version"], "1.0")
        self.assertEqual(mail.get_content_type(), "text/plain")
        self.assertEqual(mail.get_content_charset(), "utf-8")
        self.assertEqual(mail["Content-Transfer-Encoding"], "base64")
        body_lines = raw.split(b"\r\n\r\n", 1)[1].split(b"\r\n")
        self.assertTrue(all(len(line) <= 76 for line in body_lines))
        self.assertEqual(mail.get_content().replace("\r\n", "\n"),
                         body + "\n\n打开：https://gov.example.cn/console/#/cases/cas_0007")
        self.assertFalse(mail.defects, mail.defects)

    def test_a_refused_recipient_is_a_permanent_failure(self):
        self.recorder.refuse_rcpt = "550 5.1.1 <nobody@example.cn>: Recipient address rejected"
        run = send("email", "nobody@example.cn", **self.settings())
        self.assertEqual(run.returncode, 1)
        self.assertNotIn("sent", run.stdout)
        self.assertIn("failed (permanent)", run.stderr)
        self.assertIn("550 5.1.1", run.stderr)
        self.assertIn("Recipient address rejected", run.stderr)
        self.assertEqual(self.recorder.envelopes, [])

    def test_a_temporary_refusal_is_retryable(self):
        self.recorder.refuse_data = "451 4.3.0 Temporary local problem, try again later"
        run = send("email", "grid.worker@example.cn", **self.settings())
        self.assertEqual(run.returncode, 1)
        self.assertIn("failed (retryable)", run.stderr)
        self.assertIn("451 4.3.0 Temporary local problem", run.stderr)

    def test_a_relay_that_never_greets_times_out(self):
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen()
            started = time.monotonic()
            run = send("email", "grid.worker@example.cn", **self.settings(silent.getsockname()[1]))
            elapsed = time.monotonic() - started
        self.assertEqual(run.returncode, 1)
        self.assertIn("failed (retryable)", run.stderr)
        self.assertIn("did not finish within", run.stderr)
        self.assertGreater(elapsed, 9)
        self.assertLess(elapsed, 30)

    def test_a_relay_that_is_not_there_is_retryable(self):
        run = send("email", "grid.worker@example.cn", **self.settings(free_port()))
        self.assertEqual(run.returncode, 1)
        self.assertIn("failed (retryable)", run.stderr)
        self.assertIn("cannot reach the relay", run.stderr)

    def test_an_address_that_could_inject_is_refused_before_sending(self):
        run = send("email", "a@example.cn>\r\nRCPT TO:<b@example.cn", **self.settings())
        self.assertEqual(run.returncode, 1)
        self.assertIn("failed (permanent)", run.stderr)
        self.assertEqual(self.recorder.envelopes, [])

    def test_configuration(self):
        run = send("email", "grid.worker@example.cn", GOVERNANCE_SMTP_HOST="127.0.0.1")
        self.assertEqual(run.returncode, 1)
        self.assertIn("GOVERNANCE_SMTP_FROM", run.stderr)
        run = send("email", "grid.worker@example.cn")
        self.assertEqual(run.returncode, 1)
        self.assertIn("not configured", run.stderr)


class Recording(http.server.ThreadingHTTPServer):
    """An HTTP server on loopback that keeps every request (path, headers, body) and answers each
    POST with `answer` as JSON, HTTP 200."""

    def __init__(self):
        self.requests = []
        self.answer = {}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(handler):
                body = handler.rfile.read(int(handler.headers.get("Content-Length", "0")))
                self.requests.append({"path": handler.path, "headers": handler.headers, "body": body})
                answer = json.dumps(self.answer).encode()
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(len(answer)))
                handler.end_headers()
                handler.wfile.write(answer)

            def log_message(handler, *arguments):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self):
        self.shutdown()
        self.server_close()


class WeComRobotTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.robot = Recording()
        cls.webhook = cls.robot.base + "/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

    @classmethod
    def tearDownClass(cls):
        cls.robot.stop()

    def setUp(self):
        self.robot.requests.clear()

    def test_a_markdown_message(self):
        self.robot.answer = {"errcode": 0, "errmsg": "ok"}
        run = send("wecom", self.webhook, "案件 20261130-0007 已超时", "请尽快处理。\n第二行",
                   ("--link", "/console/#/cases/cas_0007"), GOVERNANCE_PUBLIC_URL=PUBLIC_URL)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.strip(), "sent")
        [request] = self.robot.requests
        path = urllib.parse.urlsplit(request["path"])
        self.assertEqual(path.path, "/cgi-bin/webhook/send")
        self.assertEqual(urllib.parse.parse_qs(path.query)["key"], ["693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"])
        self.assertTrue(request["headers"]["Content-Type"].startswith("application/json"))
        self.assertEqual(json.loads(request["body"]), {
            "msgtype": "markdown",
            "markdown": {"content": "**案件 20261130-0007 已超时**\n请尽快处理。\n第二行\n"
                                    "[打开](https://gov.example.cn/console/#/cases/cas_0007)"}})

    def test_no_link_without_a_public_address(self):
        self.robot.answer = {"errcode": 0, "errmsg": "ok"}
        run = send("wecom", self.webhook, "标题", "正文", ("--link", "/console/#/cases/cas_0007"))
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(json.loads(self.robot.requests[0]["body"])["markdown"]["content"], "**标题**\n正文")

    def test_a_long_body_is_cut_to_4096_bytes(self):
        self.robot.answer = {"errcode": 0, "errmsg": "ok"}
        run = send("wecom", self.webhook, "长消息", "网格巡查记录" * 400, ("--link", "/console/#/cases/cas_0007"),
                   GOVERNANCE_PUBLIC_URL=PUBLIC_URL)
        self.assertEqual(run.returncode, 0, run.stderr)
        content = json.loads(self.robot.requests[0]["body"])["markdown"]["content"]
        self.assertLessEqual(len(content.encode()), 4096)
        self.assertGreater(len(content.encode()), 4000)
        self.assertTrue(content.startswith("**长消息**\n网格巡查记录"))
        self.assertTrue(content.endswith("…\n[打开](https://gov.example.cn/console/#/cases/cas_0007)"))

    def test_an_invalid_webhook_is_a_permanent_failure(self):
        self.robot.answer = {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1764560000_x]"}
        run = send("wecom", self.webhook)
        self.assertEqual(run.returncode, 1)
        self.assertIn("failed (permanent)", run.stderr)
        self.assertIn("93000", run.stderr)
        self.assertIn("invalid webhook url", run.stderr)

    def test_the_rate_limit_is_retryable(self):
        self.robot.answer = {"errcode": 45009, "errmsg": "api freq out of limit"}
        run = send("wecom", self.webhook)
        self.assertEqual(run.returncode, 1)
        self.assertIn("failed (retryable)", run.stderr)
        self.assertIn("45009", run.stderr)

    def test_an_address_without_a_key_is_refused_before_sending(self):
        run = send("wecom", self.robot.base + "/cgi-bin/webhook/send")
        self.assertEqual(run.returncode, 1)
        self.assertIn("failed (permanent)", run.stderr)
        self.assertEqual(self.robot.requests, [])


SENT = {"Response": {"SendStatusSet": [{
    "SerialNo": "5000:1045710669157053657849499619", "PhoneNumber": "+8613800000000", "Fee": 1,
    "SessionContext": "", "Code": "Ok", "Message": "send success", "IsoCode": "CN"}],
    "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}}


def tencent_error(code: str, message: str) -> dict:
    return {"Response": {"Error": {"Code": code, "Message": message},
                         "RequestId": "b0aabda6-cf91-4f3e-a81f-9198114a2279"}}


def assert_signed_as_tencent_signs(test: unittest.TestCase, request: dict):
    """The request's Authorization header is what Tencent's SDK computes for it: the SDK's own
    canonical request and string to sign (`AbstractClient._get_tc3_signature`, which uses nothing
    of the client it belongs to), signed by its `Sign.sign_tc3`."""
    headers = request["headers"]
    match = re.fullmatch(
        r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/sms/tc3_request, "
        r"SignedHeaders=content-type;host, Signature=([0-9a-f]{64})", headers["Authorization"])
    test.assertIsNotNone(match, headers["Authorization"])
    secret_id, date, signature = match.groups()
    test.assertEqual(secret_id, SECRET_ID)
    timestamp = int(headers["X-TC-Timestamp"])
    test.assertLess(abs(time.time() - timestamp), 120)
    test.assertEqual(date, datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%d"))

    def tencent_signature(body: bytes, key: str) -> str:
        internal = RequestInternal(
            host=headers["Host"], method="POST", uri=urllib.parse.urlsplit(request["path"]).path,
            header={"Content-Type": headers["Content-Type"], "Host": headers["Host"],
                    "X-TC-Timestamp": headers["X-TC-Timestamp"]},
            data=body)
        return AbstractClient._get_tc3_signature(None, None, internal, date, "sms", key)

    test.assertEqual(signature, tencent_signature(request["body"], SECRET_KEY))
    # The check has teeth: another body or another key is another signature.
    test.assertNotEqual(signature, tencent_signature(request["body"] + b" ", SECRET_KEY))
    test.assertNotEqual(signature, tencent_signature(request["body"], SECRET_KEY + "x"))


class TencentSMSTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.endpoint = Recording()

    @classmethod
    def tearDownClass(cls):
        cls.endpoint.stop()

    def setUp(self):
        self.endpoint.requests.clear()
        self.endpoint.answer = SENT

    def settings(self) -> dict:
        return {"GOVERNANCE_SMS_ENDPOINT": self.endpoint.base + "/", "GOVERNANCE_SMS_SECRET_ID": SECRET_ID,
                "GOVERNANCE_SMS_SECRET_KEY": SECRET_KEY, "GOVERNANCE_SMS_APP_ID": APP_ID,
                "GOVERNANCE_SMS_SIGN_NAME": SIGN_NAME, "GOVERNANCE_SMS_TEMPLATES": TEMPLATES}

    def test_a_text_signed_as_tencent_signs(self):
        run = send("sms", "138 0000 0000", extra=("--template", "one_time_code", "--parameter", "123456",
                                                    "--parameter", "5"), **self.settings())
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.strip(), "sent")
        [request] = self.endpoint.requests
        headers = request["headers"]
        self.assertEqual(request["path"], "/")
        self.assertEqual(headers["X-TC-Action"], "SendSms")
        self.assertEqual(headers["X-TC-Version"], "2021-01-11")
        self.assertEqual(headers["X-TC-Region"], "ap-guangzhou")
        self.assertEqual(headers["Host"], f"127.0.0.1:{self.endpoint.server_address[1]}")
        assert_signed_as_tencent_signs(self, request)
        self.assertEqual(json.loads(request["body"]), {
            "PhoneNumberSet": ["+8613800000000"], "SmsSdkAppId": APP_ID, "SignName": SIGN_NAME,
            "TemplateId": "1234567", "TemplateParamSet": ["123456", "5"]})

    def test_region_and_an_international_number(self):
        run = send("sms", "+85291234567", extra=("--template", "case_overdue", "--parameter", "20261130-0007"),
                   GOVERNANCE_SMS_REGION="ap-beijing", **self.settings())
        self.assertEqual(run.returncode, 0, run.stderr)
        [request] = self.endpoint.requests
        self.assertEqual(request["headers"]["X-TC-Region"], "ap-beijing")
        assert_signed_as_tencent_signs(self, request)
        body = json.loads(request["body"])
        self.assertEqual(body["PhoneNumberSet"], ["+85291234567"])
        self.assertEqual(body["TemplateId"], "2345678")
        self.assertEqual(body["TemplateParamSet"], ["20261130-0007"])

    def test_an_error_answer_is_a_failure(self):
        self.endpoint.answer = tencent_error("FailedOperation.TemplateIncorrectOrUnapproved", "template is not approved")
        run = send("sms", "13800000000", extra=("--template", "one_time_code", "--parameter", "1"), **self.settings())
        self.assertEqual(run.returncode, 1)
        self.assertNotIn("sent", run.stdout)
        self.assertIn("failed (permanent)", run.stderr)
        self.assertIn("FailedOperation.TemplateIncorrectOrUnapproved", run.stderr)
        self.assertIn("b0aabda6-cf91-4f3e-a81f-9198114a2279", run.stderr)
        self.endpoint.answer = tencent_error("InvalidParameterValue.IncorrectPhoneNumber", "wrong number")
        run = send("sms", "13800000000", extra=("--template", "one_time_code"), **self.settings())
        self.assertIn("failed (permanent)", run.stderr)
        self.endpoint.answer = tencent_error("InternalError.Timeout", "request timed out")
        run = send("sms", "13800000000", extra=("--template", "one_time_code"), **self.settings())
        self.assertEqual(run.returncode, 1)
        self.assertIn("failed (retryable)", run.stderr)
        self.assertIn("InternalError.Timeout", run.stderr)

    def test_a_status_other_than_ok_is_a_failure(self):
        self.endpoint.answer = {"Response": {"SendStatusSet": [{
            "SerialNo": "", "PhoneNumber": "+8613800000000", "Fee": 0, "SessionContext": "",
            "Code": "LimitExceeded.PhoneNumberDailyLimit", "Message": "the number reached its daily limit",
            "IsoCode": "CN"}], "RequestId": "c0aabda6"}}
        run = send("sms", "13800000000", extra=("--template", "one_time_code"), **self.settings())
        self.assertEqual(run.returncode, 1)
        self.assertIn("failed (retryable)", run.stderr)
        self.assertIn("LimitExceeded.PhoneNumberDailyLimit", run.stderr)

    def test_an_unknown_template_is_refused_before_sending(self):
        run = send("sms", "13800000000", extra=("--template", "no_such_template",), **self.settings())
        self.assertEqual(run.returncode, 1)
        self.assertIn("failed (permanent)", run.stderr)
        self.assertIn("no_such_template", run.stderr)
        self.assertEqual(self.endpoint.requests, [])

    def test_configuration(self):
        settings = self.settings()
        del settings["GOVERNANCE_SMS_SIGN_NAME"]
        run = send("sms", "13800000000", extra=("--template", "one_time_code"), **settings)
        self.assertEqual(run.returncode, 1)
        self.assertIn("GOVERNANCE_SMS_SIGN_NAME", run.stderr)
        run = send("sms", "13800000000", extra=("--template", "one_time_code"),
                   **dict(self.settings(), GOVERNANCE_SMS_TEMPLATES="case_overdue=2345678"))
        self.assertEqual(run.returncode, 1)
        self.assertIn("one_time_code", run.stderr)
        run = send("sms", "13800000000", extra=("--template", "one_time_code"))
        self.assertEqual(run.returncode, 1)
        self.assertIn("not configured", run.stderr)


class GatewayCodesBySMSTest(unittest.TestCase):
    """The gateway, alone, with SMS configured: a resident's one-time code goes out through the
    channel (template one_time_code, parameters [code, "5"]) and that code signs the resident in."""

    @classmethod
    def setUpClass(cls):
        cls.endpoint = Recording()
        cls.endpoint.answer = SENT
        cls.data = tempfile.TemporaryDirectory()
        cls.port = free_port()
        cls.base = f"http://127.0.0.1:{cls.port}"
        # The peers point at a port nothing listens on: sending a code calls none of them.
        nowhere = free_port()
        peers = [argument for name in ("organisation", "property", "grid", "volunteers", "evaluation")
                 for argument in ("--peer", f"{name}=127.0.0.1:{nowhere}")]
        cls.log = open(pathlib.Path(cls.data.name) / "gateway.log", "w")
        cls.gateway = subprocess.Popen(
            [str(BIN / "gateway"), "--listen", f"127.0.0.1:{cls.port}", "--data-dir", cls.data.name, *peers],
            env=clean_environment(
                GOVERNANCE_SMS_ENDPOINT=cls.endpoint.base + "/", GOVERNANCE_SMS_SECRET_ID=SECRET_ID,
                GOVERNANCE_SMS_SECRET_KEY=SECRET_KEY, GOVERNANCE_SMS_APP_ID=APP_ID,
                GOVERNANCE_SMS_SIGN_NAME=SIGN_NAME, GOVERNANCE_SMS_TEMPLATES=TEMPLATES),
            stdout=cls.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(cls.base + "/healthz", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if cls.gateway.poll() is not None or time.monotonic() > deadline:
                    cls.tearDownClass()
                    raise RuntimeError("the gateway did not start; see its log")
                time.sleep(0.2)

    @classmethod
    def tearDownClass(cls):
        if cls.gateway.poll() is None:
            cls.gateway.terminate()
            cls.gateway.wait(timeout=30)
        cls.log.close()
        cls.endpoint.stop()
        cls.data.cleanup()

    def setUp(self):
        self.endpoint.requests.clear()

    def post(self, path: str, body: dict) -> tuple:
        request = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def test_a_code_by_sms_signs_in(self):
        status, answer = self.post("/resident/code", {"phone": "13800000000"})
        self.assertEqual(status, 202, answer)
        [request] = self.endpoint.requests
        body = json.loads(request["body"])
        self.assertEqual(body["PhoneNumberSet"], ["+8613800000000"])
        self.assertEqual(body["TemplateId"], "1234567")
        code, minutes = body["TemplateParamSet"]
        self.assertRegex(code, r"^\d{6}$")
        self.assertEqual(minutes, "5")
        assert_signed_as_tencent_signs(self, request)
        status, answer = self.post("/resident/session", {"phone": "13800000000", "code": code})
        self.assertEqual(status, 200, answer)
        self.assertIn("csrfToken", answer)
        # Nothing went to the log in the development sender's place.
        self.assertNotIn("one-time code", (pathlib.Path(self.data.name) / "gateway.log").read_text())

    def test_a_refused_text_is_unavailable(self):
        self.endpoint.answer = tencent_error("InternalError.Timeout", "request timed out")
        try:
            status, answer = self.post("/resident/code", {"phone": "13900000000"})
        finally:
            self.endpoint.answer = SENT
        self.assertEqual(status, 503, answer)
        self.assertEqual(answer["code"], "unavailable")


if __name__ == "__main__":
    unittest.main()
