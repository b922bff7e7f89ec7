"""Files through the gateway (`POST /files/cases/{id}`, `GET /files/{id}`) against the real system,
with the images made and read by Pillow and piexif, libraries independent of the platform: a grid
worker's photo keeps its GPS position for the street's staff who handle the case and loses every
piece of metadata (EXIF, PNG text chunks, WebP's EXIF) for an auditor or property staff of the same
jurisdiction, while still decoding to the same picture; a file is typed by its content, never by
its name; the size limits hold; a PDF is shown to the handlers only; the answers cannot run as a
page; and `governance backup` / `governance restore` carry the files with the databases.
"""
import io
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import unittest
import urllib.error
import urllib.request
import uuid

import piexif
import requests
from PIL import Image, PngImagePlugin

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from system import BIN, System  # noqa: E402

DISTRICT = "320114000000"
STREET = "320114003000"
COMMUNITY = "320114003001"
GRID = "320114003001001"
# The community covers 118.80–118.82 E, 32.00–32.02 N; its one grid the middle of it.
IN_GRID = {"longitude": 118.81, "latitude": 32.01, "accuracyMeters": 8}
PASSWORD = "Attachments-test-2026"
GRID_SERVICE = "governance.grid.v1.GridService"


def square(west, south, east, north):
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                [west, south]]]}


def gps_exif() -> bytes:
    """EXIF with a camera make and a GPS position (32°0'36" N, 118°48'36" E), as a phone writes it."""
    return piexif.dump({
        "0th": {piexif.ImageIFD.Make: b"TestPhone", piexif.ImageIFD.Model: b"X1"},
        "Exif": {piexif.ExifIFD.DateTimeOriginal: b"2026:11:30 09:15:00"},
        "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((32, 1), (0, 1), (3600, 100)),
                piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: ((118, 1), (48, 1), (3600, 100))},
    })


def picture(size=(64, 48)) -> Image.Image:
    image = Image.new("RGB", size, (200, 40, 40))
    for x in range(size[0] // 2):
        image.putpixel((x, x % size[1]), (10, 200, 30))
    return image


def encoded(image: Image.Image, kind: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


class AttachmentsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.system = System()
        cls.admin = cls.system.apikey("files-setup")
        cls.worker = cls.system.apikey("files-worker", role="grid_worker", scope=COMMUNITY)
        cls.official = cls.system.apikey("files-street", role="street", scope=STREET[:9])
        cls.auditor = cls.system.apikey("files-auditor", role="auditor", scope=STREET[:9])
        cls.property = cls.system.apikey("files-property", role="property", scope=COMMUNITY)
        for code in [DISTRICT, STREET, COMMUNITY]:
            cls.connect("CreateDivision", {"division": {"divisionCode": code, "name": f"区划{code[-3:]}"}})
        cls.connect("CreateGrid", {"grid": {"divisionCode": COMMUNITY, "gridCode": GRID, "name": "一网格",
                                            "kind": "GRID_KIND_BASIC"}})
        features = [
            {"type": "Feature", "properties": {"code": COMMUNITY}, "geometry": square(118.80, 32.00, 118.82, 32.02)},
            {"type": "Feature", "properties": {"code": GRID}, "geometry": square(118.805, 32.005, 118.815, 32.015)},
        ]
        cls.connect("ImportBoundaries", {"divisionCode": STREET, "featureCollection": json.dumps(
            {"type": "FeatureCollection", "features": features})})
        # Reported by its point alone: the service finds the grid from the boundaries.
        cls.case = cls.connect("CreateCase", {"gridCase": {
            "source": "CASE_SOURCE_PATROL", "category": "environment", "title": "垃圾堆放",
            "location": {"point": IN_GRID, "address": "三号楼东侧"}}}, key=cls.worker)

    @classmethod
    def tearDownClass(cls):
        cls.system.stop()

    @classmethod
    def connect(cls, method, body, key=None):
        request = urllib.request.Request(
            f"{cls.system.gateway}/{GRID_SERVICE}/{method}", data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {key or cls.admin}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method}: {error.code} {error.read()!r}") from None

    def upload(self, content: bytes, filename: str, key=None, parent=None, fields=None, mime="image/jpeg"):
        return requests.post(f"{self.system.gateway}/files/{parent or 'cases/' + self.case['id']}",
                             headers={"Authorization": f"Bearer {key or self.worker}"},
                             files={"file": (filename, content, mime)}, data=fields or {}, timeout=30)

    def uploaded(self, content: bytes, filename: str, **options) -> dict:
        answer = self.upload(content, filename, **options)
        self.assertEqual(answer.status_code, 201, answer.text)
        attachment = answer.json()
        self.assertEqual(answer.headers["Location"], f"/files/{attachment['id']}")
        return attachment

    def fetch(self, attachment_id: str, key: str) -> requests.Response:
        return requests.get(f"{self.system.gateway}/files/{attachment_id}",
                            headers={"Authorization": f"Bearer {key}"}, timeout=30)

    def test_a_jpeg_keeps_its_gps_for_the_handlers_and_loses_all_exif_for_others(self):
        original = encoded(picture(), "JPEG", exif=gps_exif(), quality=90)
        self.assertIn(piexif.GPSIFD.GPSLatitude, piexif.load(original)["GPS"], "the test's own photo has a position")
        attachment = self.uploaded(original, "现场照片.jpg")
        self.assertEqual(attachment["parent"], f"cases/{self.case['id']}")
        self.assertEqual(attachment["mediaType"], "image/jpeg")
        self.assertEqual(attachment["filename"], "现场照片.jpg")
        self.assertTrue(attachment["eventId"], "the file comes with the case's latest event")
        self.assertNotEqual(attachment["sha256"], attachment["publicSha256"])

        whole = self.fetch(attachment["id"], self.official)
        self.assertEqual(whole.status_code, 200, whole.text)
        self.assertEqual(whole.content, original)
        gps = piexif.load(whole.content)["GPS"]
        self.assertEqual(gps[piexif.GPSIFD.GPSLatitude], ((32, 1), (0, 1), (3600, 100)))
        self.assertEqual(gps[piexif.GPSIFD.GPSLongitudeRef], b"E")
        self.assertEqual(whole.headers["Content-Type"], "image/jpeg")
        self.assertEqual(whole.headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(whole.headers["Content-Security-Policy"], "default-src 'none'; sandbox")
        self.assertTrue(whole.headers["Content-Disposition"].startswith("inline"), whole.headers["Content-Disposition"])
        self.assertIn("filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.jpg", whole.headers["Content-Disposition"])
        self.assertRegex(whole.headers["Cache-Control"], r"^private, max-age=\d+$")

        for key in (self.auditor, self.property):
            shown = self.fetch(attachment["id"], key)
            self.assertEqual(shown.status_code, 200, shown.text)
            self.assertEqual(shown.headers["Content-Type"], "image/jpeg")
            self.assertNotEqual(shown.content, original)
            loaded = piexif.load(shown.content)
            self.assertEqual({name: loaded[name] for name in ("0th", "Exif", "GPS", "1st", "Interop")},
                             {"0th": {}, "Exif": {}, "GPS": {}, "1st": {}, "Interop": {}}, "no EXIF at all")
            self.assertNotIn(b"Exif\x00\x00", shown.content)
            image = Image.open(io.BytesIO(shown.content))
            image.load()
            self.assertEqual(image.format, "JPEG")
            self.assertEqual(image.size, (64, 48))
            self.assertEqual(len(image.getexif()), 0)
            self.assertNotIn("exif", image.info)

    def test_a_png_loses_its_text_chunks_and_a_webp_its_exif(self):
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "拍摄于张三家门口")
        info.add_text("Author", "Zhang San")
        png = encoded(picture((40, 30)), "PNG", pnginfo=info)
        self.assertIn(b"tEXt", png)
        attachment = self.uploaded(png, "门口.png", mime="image/png")
        self.assertEqual(attachment["mediaType"], "image/png")
        self.assertEqual(self.fetch(attachment["id"], self.official).content, png)
        shown = self.fetch(attachment["id"], self.auditor)
        self.assertEqual(shown.headers["Content-Type"], "image/png")
        self.assertNotIn(b"tEXt", shown.content)
        self.assertNotIn("Zhang San".encode(), shown.content)
        image = Image.open(io.BytesIO(shown.content))
        image.load()
        self.assertEqual((image.format, image.size), ("PNG", (40, 30)))
        self.assertEqual(getattr(image, "text", {}), {})

        webp = encoded(picture((50, 20)), "WEBP", exif=gps_exif(), quality=80)
        self.assertIn(b"EXIF", webp)
        attachment = self.uploaded(webp, "photo.webp", mime="image/webp")
        self.assertEqual(attachment["mediaType"], "image/webp")
        whole = self.fetch(attachment["id"], self.official)
        self.assertIn(piexif.GPSIFD.GPSLatitude, piexif.load(Image.open(io.BytesIO(whole.content)).info["exif"])["GPS"])
        shown = self.fetch(attachment["id"], self.property)
        self.assertEqual(shown.headers["Content-Type"], "image/webp")
        self.assertNotIn(b"EXIF", shown.content)
        self.assertNotIn(b"TestPhone", shown.content)
        image = Image.open(io.BytesIO(shown.content))
        image.load()
        self.assertEqual((image.format, image.size), ("WEBP", (50, 20)))
        self.assertNotIn("exif", image.info)

    def test_a_file_is_typed_by_its_content_and_bounded_in_size(self):
        html = self.upload(b"<html><body><script>alert(document.cookie)</script></body></html>", "photo.jpg")
        self.assertEqual(html.status_code, 400, html.text)
        refusal = html.json()
        self.assertEqual(refusal["code"], "invalid_argument")
        metadata = next(detail["debug"]["metadata"] for detail in refusal["details"]
                        if detail["type"] == "google.rpc.ErrorInfo")
        self.assertEqual(metadata["field"], "content")

        huge = self.upload(b"\xff\xd8\xff" + bytes(4 * 1024 * 1024), "huge.jpg")
        self.assertEqual(huge.status_code, 413, huge.text[:300])
        self.assertIn("file", huge.json()["message"])
        # Past the service's 3 MiB but within the gateway's form limit: the service refuses it.
        large = self.upload(b"\xff\xd8\xff" + bytes(3 * 1024 * 1024 + 100), "large.jpg")
        self.assertEqual(large.status_code, 400, large.text[:300])
        self.assertIn("content", large.json()["message"])

        plain = requests.post(f"{self.system.gateway}/files/cases/{self.case['id']}", data=b"\xff\xd8\xff",
                              headers={"Authorization": f"Bearer {self.worker}", "Content-Type": "image/jpeg"},
                              timeout=30)
        self.assertEqual(plain.status_code, 415)
        self.assertEqual(plain.headers["Accept-Post"], "multipart/form-data")
        unnamed = requests.post(f"{self.system.gateway}/files/cases/{self.case['id']}",
                                headers={"Authorization": f"Bearer {self.worker}"},
                                files={"photo": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")}, timeout=30)
        self.assertEqual(unnamed.status_code, 400)
        self.assertIn("file", unnamed.json()["message"])
        self.assertEqual(self.upload(b"\xff\xd8\xff", "a.jpg", key=self.auditor).status_code, 403)
        anonymous = requests.post(f"{self.system.gateway}/files/cases/{self.case['id']}",
                                  files={"file": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")}, timeout=30)
        self.assertEqual(anonymous.status_code, 401)
        self.assertEqual(self.fetch("att_doesnotexist0000", self.official).status_code, 404)

    def test_a_pdf_goes_to_the_handlers_only_as_a_download(self):
        pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
               b"trailer<</Root 1 0 R>>\n%%EOF\n")
        attachment = self.uploaded(pdf, "整改报告.pdf", mime="application/pdf")
        self.assertEqual(attachment["mediaType"], "application/pdf")
        whole = self.fetch(attachment["id"], self.official)
        self.assertEqual(whole.status_code, 200)
        self.assertEqual(whole.content, pdf)
        self.assertEqual(whole.headers["Content-Type"], "application/pdf")
        self.assertEqual(whole.headers["Content-Disposition"],
                         "attachment; filename*=UTF-8''%E6%95%B4%E6%94%B9%E6%8A%A5%E5%91%8A.pdf")
        self.assertEqual(whole.headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(whole.headers["Content-Security-Policy"], "default-src 'none'; sandbox")
        for key in (self.auditor, self.property):
            refused = self.fetch(attachment["id"], key)
            self.assertEqual(refused.status_code, 403, refused.text)
            self.assertEqual(refused.json()["code"], "permission_denied")

    def test_the_event_is_chosen_and_the_list_shows_every_file(self):
        events = self.connect("ListCaseEvents", {"caseId": self.case["id"]}, key=self.official)["events"]
        first = events[0]["id"]
        attachment = self.uploaded(encoded(picture(), "JPEG"), "before.jpg", fields={"event_id": first})
        self.assertEqual(attachment["eventId"], first)
        wrong = self.upload(encoded(picture(), "JPEG"), "x.jpg", fields={"event_id": "evt_notthisone0000"})
        self.assertIn(wrong.status_code, (400, 404), wrong.text)
        listed = self.connect("ListAttachments", {"parent": f"cases/{self.case['id']}"}, key=self.auditor)
        self.assertIn(attachment["id"], [item["id"] for item in listed["attachments"]])
        # A retried upload with the same request id stores once.
        request_id = f"retry-{uuid.uuid4()}"
        once = self.uploaded(encoded(picture(), "JPEG"), "again.jpg", fields={"request_id": request_id})
        twice = self.uploaded(encoded(picture(), "JPEG"), "again.jpg", fields={"request_id": request_id})
        self.assertEqual(once["id"], twice["id"])

    def test_each_kind_of_record_goes_to_the_service_that_owns_it(self):
        photo = encoded(picture(), "PNG")
        # The property service answers for acceptances, the evaluation service for orders: each
        # finds no such record; a kind no service has is refused naming the parent.
        for parent, owner in [("acceptances/acc_none", "acceptance"), ("rectification_orders/ord_none", "order ord_none")]:
            answer = self.upload(photo, "x.png", key=self.admin, parent=parent, mime="image/png")
            self.assertEqual(answer.status_code, 404, answer.text)
            self.assertEqual(answer.json()["code"], "not_found")
            self.assertIn(owner, answer.json()["message"])
        answer = self.upload(photo, "x.png", key=self.admin, parent="grids/320113005001001", mime="image/png")
        self.assertEqual(answer.status_code, 400, answer.text)
        self.assertIn("parent", answer.json()["message"])
        missing = self.fetch("att_00000000000000000000000000", self.admin)
        self.assertEqual(missing.status_code, 404, missing.text)

    def test_a_console_session_uploads_with_its_csrf_token(self):
        run = subprocess.run([BIN / "governance", "user", "create", "--data", self.system.data, "--username", "jiedao",
                              "--role", "street", "--scope", STREET[:9]], capture_output=True, text=True,
                             env={"GOVERNANCE_PASSWORD": PASSWORD, "PATH": "/usr/bin:/bin"}, timeout=60)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        session = requests.Session()
        login = session.post(f"{self.system.gateway}/auth/login", json={"username": "jiedao", "password": PASSWORD},
                             timeout=30)
        self.assertEqual(login.status_code, 200, login.text)
        csrf = login.json()["csrfToken"]
        photo = encoded(picture(), "JPEG", exif=gps_exif())
        url = f"{self.system.gateway}/files/cases/{self.case['id']}"
        forged = session.post(url, files={"file": ("a.jpg", photo, "image/jpeg")}, timeout=30)
        self.assertEqual(forged.status_code, 403, forged.text)
        sent = session.post(url, files={"file": ("a.jpg", photo, "image/jpeg")}, headers={"X-CSRF-Token": csrf},
                            timeout=30)
        self.assertEqual(sent.status_code, 201, sent.text)
        shown = session.get(f"{self.system.gateway}/files/{sent.json()['id']}", timeout=30)
        self.assertEqual(shown.content, photo, "the street's session sees the original")

    def test_backup_and_restore_bring_the_files_back(self):
        photo = encoded(picture((33, 22)), "JPEG", exif=gps_exif())
        attachment = self.uploaded(photo, "backup.jpg")
        work = pathlib.Path(tempfile.mkdtemp(prefix="governance-files-backup-"))
        backup = work / "backup"
        run = subprocess.run([BIN / "governance", "backup", "--data", self.system.data, "--to", str(backup)],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("grid.files", run.stdout)
        for digest in (attachment["sha256"], attachment["publicSha256"]):
            self.assertTrue((backup / "grid.files" / "sha256" / digest[:2] / digest).is_file(), digest)
        fresh = work / "fresh"
        run = subprocess.run([BIN / "governance", "restore", "--from", str(backup), "--data", str(fresh)],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        stored = fresh / "grid.files" / "sha256" / attachment["sha256"][:2] / attachment["sha256"]
        self.assertEqual(stored.read_bytes(), photo)
        # A system started on the restored data shows the file, whole and stripped, with the same keys.
        archive = work / "fresh.tgz"
        with tarfile.open(archive, "w:gz") as bundle:
            for path in fresh.iterdir():
                bundle.add(path, arcname=path.name)
        restored = System(archive=archive)
        try:
            base = restored.gateway
            whole = requests.get(f"{base}/files/{attachment['id']}", headers={"Authorization": f"Bearer {self.official}"},
                                 timeout=30)
            self.assertEqual((whole.status_code, whole.content), (200, photo))
            shown = requests.get(f"{base}/files/{attachment['id']}", headers={"Authorization": f"Bearer {self.auditor}"},
                                 timeout=30)
            self.assertEqual(shown.status_code, 200)
            self.assertEqual(piexif.load(shown.content)["GPS"], {})
        finally:
            restored.stop()


if __name__ == "__main__":
    unittest.main()
