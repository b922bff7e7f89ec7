"""The residents' public phone page (/r/) in headless Chromium as a 360×640 Android phone, against
the whole system `governance up --demo` starts (Tests/Mobile/mobile.py).

A resident verifies a phone with the one-time code the gateway's development sender writes to its
log, reports a problem with a photo (carrying EXIF GPS) and the phone's position inside a demo grid;
the case lands in the grid LocatePoint names, with source RESIDENT, the reporter whole for staff;
staff accept, assign, start and resolve it through the Connect API; the resident sees it resolved
and evaluates it, and the evaluation is stored. Another resident looks the tracking number up and
sees the reporter masked and nothing to do. Codes asked too fast and a 4 MiB photo are refused in
Chinese on the page. One resident posts a micro-wish and the other claims it, which registers them
as a volunteer. The reporter reopens within the window; a report placed by compound and building
lands there. Every screen is saved as .build/mobile/resident-<screen>.png (and the whole page as
resident-<screen>-whole.png) and checked: it fits the phone, shows no untranslated value, labels its
inputs, keeps its targets at 44 px or more and has nothing blocked by the content security policy.

The one-time codes are read from the gateway's log (mobile.System's log, one_time_code).
"""
import base64
import json
import os
import pathlib
import re
import sys
import tempfile
import time
import unittest
import urllib.request
import uuid

import piexif
import requests
from PIL import Image
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from mobile import (System, SHOTS, assert_fits, assert_translated, mobile_browser, one_time_code,  # noqa: E402
                    screenshot)

VOLUNTEERS = "volunteers.v1.VolunteersService"
PROPERTY = "property.v1.PropertyService"
PHONE_1, PHONE_2, PHONE_3 = "13812345678", "13987654321", "15011112222"
NAME_1, NAME_2 = "张三丰", "李四"


def photo_with_gps(path: pathlib.Path, size=(640, 480)):
    """A JPEG whose EXIF says where and with what it was taken."""
    exif = {"0th": {piexif.ImageIFD.Make: b"TestPhone", piexif.ImageIFD.Model: b"Pixel 7"},
            "GPS": {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((31, 1), (54, 1), (3000, 100)),
                    piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: ((118, 1), (36, 1), (3000, 100))}}
    Image.new("RGB", size, (60, 140, 90)).save(path, "JPEG", exif=piexif.dump(exif))


def gps_of(content: bytes) -> dict:
    """The GPS block of a JPEG's EXIF; empty when it has none."""
    try:
        return piexif.load(content).get("GPS") or {}
    except Exception:  # no EXIF segment at all
        return {}


class ResidentPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.system = System()
        try:
            cls.base = cls.system.base
            cls.admin = cls.system.sign_in("admin", cls.system.make_user("admin", "city_admin", "3201"))
            cls.find_grid()
            cls.folder = pathlib.Path(tempfile.mkdtemp(prefix="resident-photos-"))
            cls.browser = mobile_browser()
            # What the content security policy blocks (an inline style, a script from elsewhere) is recorded.
            cls.browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
                window.__blocked = [];
                document.addEventListener('securitypolicyviolation',
                  (event) => window.__blocked.push(`${event.violatedDirective} ${event.blockedURI}`));"""})
        except Exception:
            cls.system.stop()
            raise
        cls.cookies = {}

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "browser", None):
            cls.browser.quit()
        cls.system.stop()

    @classmethod
    def find_grid(cls):
        """A demo grid with a worker, and a point its boundary holds (LocatePoint's answer)."""
        workers = cls.admin.grid("ListGridWorkers", {"pageSize": 100})["workers"]
        worker = next(w for w in workers if any(len(code) == 15 for code in w.get("gridCodes", [])))
        cls.grid_code = next(code for code in worker["gridCodes"] if len(code) == 15)
        cls.worker_id = worker["id"]
        boundary = cls.admin.grid("GetGrid", {"gridCode": cls.grid_code}).get("boundary", "")
        if not boundary:
            cls.import_boundaries()
            boundary = cls.admin.grid("GetGrid", {"gridCode": cls.grid_code})["boundary"]
        geometry = json.loads(boundary)
        ring = geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"][0][0]
        west, east = min(p[0] for p in ring), max(p[0] for p in ring)
        south, north = min(p[1] for p in ring), max(p[1] for p in ring)
        # The middle of the grid's box first, then a sweep of it: the first point LocatePoint puts in the grid.
        candidates = [(0.5, 0.5)] + [(x / 6, y / 6) for x in range(1, 6) for y in range(1, 6)]
        for fx, fy in candidates:
            point = {"longitude": round(west + (east - west) * fx, 6), "latitude": round(south + (north - south) * fy, 6)}
            if cls.admin.grid("LocatePoint", {"point": point}).get("gridCode") == cls.grid_code:
                cls.point = point
                return
        raise AssertionError(f"no point of grid {cls.grid_code}'s box lies in it")

    @classmethod
    def import_boundaries(cls):
        """Boundaries for the grid's community and its grids, as test_console.py imports them, when the demo has none."""
        community = cls.grid_code[:12]
        grids = cls.admin.grid("ListGrids", {"divisionPrefix": community, "pageSize": 100})["grids"]
        codes = [grid["gridCode"] for grid in grids if len(grid["gridCode"]) == 15]
        west, south = 118.60, 31.90
        features = [{"type": "Feature", "properties": {"code": community}, "geometry": {"type": "Polygon", "coordinates": [
            [[west, south], [west + 0.05, south], [west + 0.05, south + 0.03], [west, south + 0.03], [west, south]]]}}]
        for index, code in enumerate([cls.grid_code] + [c for c in codes if c != cls.grid_code][:3]):
            left = west + 0.001 + index * 0.012
            features.append({"type": "Feature", "properties": {"code": code}, "geometry": {"type": "Polygon", "coordinates": [
                [[left, south + 0.001], [left + 0.01, south + 0.001], [left + 0.01, south + 0.029], [left, south + 0.029],
                 [left, south + 0.001]]]}})
        cls.admin.grid("ImportBoundaries", {"divisionCode": community[:9] + "000", "featureCollection": json.dumps(
            {"type": "FeatureCollection", "features": features})})

    # ---- helpers ----

    def wait(self, condition, timeout=20):
        # A part of the page drawn again between finding an element and reading it is read again.
        return WebDriverWait(self.browser, timeout, ignored_exceptions=[StaleElementReferenceException]).until(condition)

    def find(self, selector):
        return self.browser.find_element(By.CSS_SELECTOR, selector)

    def tap(self, target):
        """Taps an element (a selector or the element) as a finger does: scrolled into the middle
        of the screen first, clear of the fixed tab bar."""
        element = self.find(target) if isinstance(target, str) else target
        self.browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()

    def text(self, selector) -> str:
        return self.find(selector).text

    def settle(self):
        """The page has drawn: nothing loading."""
        self.wait(lambda b: b.execute_script(
            "const m = document.getElementById('main');"
            "return m.children.length > 0 && !m.getAttribute('aria-busy') && !m.innerText.includes('加载中');"))
        time.sleep(0.3)

    def check_screen(self, name: str):
        """Saved as resident-<name>.png; fits the phone, all in Chinese words, inputs labelled, targets ≥ 44 px."""
        self.browser.execute_script("window.scrollTo(0, 0)")
        screenshot(self.browser, f"resident-{name}")
        # The whole page as well, as long as it is, for a person to look over.
        whole = self.browser.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "clip": {
            "x": 0, "y": 0, "width": 360, "scale": 1,
            "height": self.browser.execute_script("return document.documentElement.scrollHeight")}})
        (SHOTS / f"resident-{name}-whole.png").write_bytes(base64.b64decode(whole["data"]))
        assert_fits(self, self.browser)
        assert_translated(self, self.browser)
        self.assertEqual(self.browser.execute_script("return window.__blocked"), [], f"{name}: blocked by the CSP")
        unlabelled = self.browser.execute_script("""
            return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter((input) => input.offsetParent !== null || input.type === 'file')
              .filter((input) => !(input.id && document.querySelector(`label[for="${input.id}"]`)) && !input.getAttribute('aria-label'))
              .map((input) => input.name || input.id);""")
        self.assertEqual(unlabelled, [], f"{name}: inputs without a label")
        small = self.browser.execute_script("""
            const targets = document.querySelectorAll('button, a[href], select, textarea, input:not([type=hidden]):not([type=file]):not([type=radio]), label.choice, .star-pick label');
            return [...targets].filter((node) => node.offsetParent !== null || getComputedStyle(node).position === 'fixed')
              .map((node) => [node, node.getBoundingClientRect()])
              .filter(([, box]) => box.width > 0 && (box.height < 43.5 || box.width < 43.5))
              .map(([node, box]) => `${node.tagName.toLowerCase()}#${node.id}.${node.className} ${Math.round(box.width)}×${Math.round(box.height)} ${node.textContent.trim().slice(0, 12)}`);""")
        self.assertEqual(small, [], f"{name}: targets smaller than 44 px")

    def open(self, fragment: str = ""):
        """The page loaded afresh (not only its hash changed) at `fragment`."""
        self.browser.get("about:blank")
        self.browser.get(f"{self.base}/r/{fragment}")
        self.settle()

    def be(self, phone: str):
        """The browser as the resident of `phone` (the session cookie saved when they verified)."""
        self.browser.get(f"{self.base}/r/labels.json")
        self.browser.delete_all_cookies()
        self.browser.add_cookie({"name": "gov_resident", "value": self.cookies[phone], "path": "/"})

    def verify(self, phone: str, wrong_first: bool = False):
        """Verifies `phone` through the page's form (shown where a page needs it) and keeps its session cookie."""
        browser = self.browser
        self.wait(EC.element_to_be_clickable((By.ID, "phone"))).clear()
        self.find("#phone").send_keys(phone)
        after = len(self.system.log)
        self.tap("#get-code")
        self.wait(lambda b: "验证码已发送至" in b.find_element(By.ID, "code-sent").text)
        self.assertIn(phone[:3] + "****" + phone[-4:], self.text("#code-sent"))
        self.wait(lambda b: "秒后可重新获取" in b.find_element(By.ID, "get-code").text)
        self.assertFalse(self.find("#get-code").is_enabled(), "the code cannot be asked again at once")
        code = one_time_code(self.system, phone, after)
        if wrong_first:
            self.check_screen("code-sent")
            self.find("#code").send_keys("000000" if code != "000000" else "111111")
            self.tap("#verify")
            self.wait(lambda b: b.find_element(By.ID, "verify-status").text)
            self.assertIn("验证码错误", self.text("#verify-status"))
            self.assert_chinese(self.text("#verify-status"))
            self.check_screen("wrong-code")
            self.find("#code").clear()
        self.find("#code").send_keys(code)
        self.tap("#verify")
        self.wait(EC.invisibility_of_element_located((By.ID, "verify-form")))
        self.wait(lambda b: not b.find_element(By.ID, "signout").get_attribute("hidden"))
        self.cookies[phone] = browser.get_cookie("gov_resident")["value"]

    def assert_chinese(self, text: str):
        self.assertTrue(text.strip())
        self.assertIsNone(re.search(r"[A-Za-z]{3,}", text), f"English in a refusal: {text!r}")

    def case_of(self, number: str) -> dict:
        found = self.admin.grid("ListCases", {"caseNumber": number, "pageSize": 1})["cases"]
        self.assertEqual(len(found), 1, number)
        return self.admin.grid("GetCase", {"id": found[0]["id"], "revealReporter": True})

    # ---- tests, in order ----

    def test_1_resident_verifies_and_reports_with_a_photo_and_the_phone_position(self):
        browser = self.browser
        self.open()
        self.wait(EC.presence_of_element_located((By.ID, "verify-form")))
        self.assertEqual(self.text("#title"), "居民服务")
        self.check_screen("verify")
        # A number that is no mainland mobile is refused on the page, in Chinese, before any call.
        self.find("#phone").send_keys("12345")
        self.tap("#get-code")
        self.wait(lambda b: b.find_element(By.ID, "phone-error").text)
        self.assertIn("11 位", self.text("#phone-error"))
        self.verify(PHONE_1, wrong_first=True)

        # The report form, the phone's position granted and emulated inside the grid.
        self.wait(EC.presence_of_element_located((By.ID, "report-form")))
        self.settle()
        self.check_screen("report-form")
        browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": self.base, "permissions": ["geolocation"]})
        browser.execute_cdp_cmd("Emulation.setGeolocationOverride", {
            "latitude": self.point["latitude"], "longitude": self.point["longitude"], "accuracy": 15})
        Select(self.find("#category")).select_by_value("environment")
        self.assertIn("楼道堆物", self.text("#category-hint"))
        description = "3栋2单元楼道堆放大量纸箱，<b>影响通行</b>"
        self.find("#description").send_keys(description)
        self.find("#reporter-name").send_keys(NAME_1)
        photo = self.folder / "楼道.jpg"
        photo_with_gps(photo)
        self.assertTrue(gps_of(photo.read_bytes()), "the photo taken carries its position")
        self.find("#photo-camera").send_keys(str(photo))
        thumb = self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#photo-list img")))
        self.wait(lambda b: b.execute_script("return arguments[0].complete && arguments[0].naturalWidth", thumb) == 640)
        self.tap("#use-location")
        self.wait(lambda b: "已获取当前位置" in b.find_element(By.ID, "location-status").text)
        self.assertIn("15 米", self.text("#location-status"))
        browser.execute_script("document.getElementById('place').scrollIntoView()")
        screenshot(browser, "resident-report-filled")
        self.check_screen("report-filled-top")
        self.tap("#submit-report")

        # The tracking number, big, with a copy button.
        number_node = self.wait(EC.presence_of_element_located((By.ID, "tracking-number")))
        number = number_node.text
        self.assertRegex(number, r"^\d{8}-\d{5}$")
        self.assertGreaterEqual(float(number_node.value_of_css_property("font-size").rstrip("px")), 28)
        browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": self.base, "permissions": [
            "geolocation", "clipboardReadWrite", "clipboardSanitizedWrite"]})
        self.tap("#copy-number")
        self.wait(lambda b: b.find_element(By.ID, "copy-status").text in ("已复制", "请长按编号手动复制"))
        self.check_screen("tracking-number")
        type(self).number = number

        # Staff see the case in the grid whose boundary holds the point, from a resident, the reporter whole.
        located = self.admin.grid("LocatePoint", {"point": self.point})
        gridCase = self.case_of(number)
        self.assertEqual(gridCase["source"], "CASE_SOURCE_RESIDENT")
        self.assertEqual(gridCase["location"]["gridCode"], located["gridCode"])
        self.assertEqual(gridCase["location"]["gridCode"], self.grid_code)
        self.assertEqual(gridCase["reporter"]["name"], NAME_1)
        self.assertEqual(gridCase["reporter"]["phone"], PHONE_1)
        self.assertEqual(gridCase["details"], description)
        self.assertAlmostEqual(gridCase["location"]["point"]["longitude"], self.point["longitude"], places=5)
        type(self).case_id = gridCase["id"]

        # The photo: the resident's copy has no position; the handling staff's original keeps it.
        self.tap("#view-progress")
        self.wait(EC.presence_of_element_located((By.ID, "report-timeline")))
        self.settle()
        image = self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#report-photos img")))
        self.wait(lambda b: b.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 640)
        self.assertIn("<b>影响通行</b>", self.text("#report-description"), "typed text is shown as text")
        self.assertEqual(browser.find_elements(By.CSS_SELECTOR, "#report-description b"), [])
        self.assertEqual(self.text("#report-status-badge"), "已上报")
        self.check_screen("report-status")
        with urllib.request.urlopen(image.get_attribute("src"), timeout=30) as answer:
            stripped = answer.read()
        self.assertEqual(gps_of(stripped), {}, "the public copy of the photo has no GPS")
        self.assertNotIn(b"Pixel 7", stripped)
        attachments = self.admin.grid("ListAttachments", {"parent": f"cases/{self.case_id}"})["attachments"]
        self.assertEqual(len(attachments), 1)
        original = self.admin.grid("GetAttachmentContent", {"id": attachments[0]["id"]})
        self.assertTrue(gps_of(base64.b64decode(original["content"])), "the handling staff's original keeps its position")

    def test_2_staff_resolve_and_the_resident_evaluates(self):
        browser = self.browser
        case_id = self.case_id
        for method, extra in [("AcceptCase", {}), ("AssignCase", {"assigneeId": self.worker_id}), ("StartCase", {}),
                              ("ResolveCase", {"resolution": "已联系物业清理楼道纸箱"})]:
            self.admin.grid(method, {"requestId": f"{method}-{uuid.uuid4()}", "caseId": case_id, **extra})
        self.be(PHONE_1)
        self.open("#mine")
        row = self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, f"#my-reports a[href='#track/{self.number}']")))
        self.assertIn("已办结", row.text)
        self.assertIn("环境卫生", row.text)
        self.check_screen("my-reports")
        self.tap(row)
        self.wait(EC.presence_of_element_located((By.ID, "evaluation-form")))
        self.settle()
        self.assertEqual(self.text("#report-status-badge"), "已办结")
        self.assertIn("已联系物业清理楼道纸箱", self.text("#report-resolution"))
        timeline = self.text("#report-timeline")
        for step in ["上报", "受理", "办结"]:
            self.assertIn(step, timeline)
        self.assertTrue(self.find("#reopen-form").is_displayed(), "the reporter may reopen within the window")
        self.check_screen("resolved")
        # Sent without stars, refused on the page; then 4 stars and a comment.
        self.tap("#submit-evaluation")
        self.wait(lambda b: "1 至 5 星" in b.find_element(By.ID, "evaluation-status").text)
        self.tap("label[for=star-4]")
        self.wait(lambda b: "4 星" in b.find_element(By.ID, "satisfaction-words").text)
        browser.execute_script("document.getElementById('evaluation-form').scrollIntoView()")
        screenshot(browser, "resident-evaluating")
        self.find("#evaluation-comment").send_keys("处理及时，楼道干净了，谢谢")
        self.tap("#submit-evaluation")
        self.wait(EC.presence_of_element_located((By.ID, "evaluated")))
        self.assertEqual(self.text("#report-status-badge"), "已评价")
        self.assertEqual(browser.find_elements(By.ID, "evaluation-form"), [])
        self.assertIn("处理及时", self.text("#report-evaluation"))
        self.check_screen("evaluated")
        evaluation = self.case_of(self.number)["evaluation"]
        self.assertEqual(evaluation["satisfaction"], 4)
        self.assertEqual(evaluation["comment"], "处理及时，楼道干净了，谢谢")

    def test_3_another_resident_looks_the_number_up_and_sees_the_reporter_masked(self):
        browser = self.browser
        browser.delete_all_cookies()
        self.open("#wishes")
        self.tap("#post-wish")
        self.verify(PHONE_2)
        self.open("#mine")
        self.find("#lookup-number").send_keys(self.number.replace("-", ""))
        self.tap("#lookup")
        self.wait(EC.presence_of_element_located((By.ID, "report-timeline")))
        self.settle()
        reporter = self.text("#report-reporter")
        self.assertRegex(reporter, r"^张\*+ 138\*{4}5678$")
        page = self.find("body").text
        self.assertNotIn(NAME_1, page)
        self.assertNotIn(PHONE_1, page)
        self.assertEqual(browser.find_elements(By.ID, "evaluation-form"), [])
        self.assertEqual(browser.find_elements(By.ID, "reopen-form"), [])
        self.assertNotIn("我的上报", self.text("main"))
        self.check_screen("lookup-other")
        # A number nobody has is said so, in Chinese.
        self.open("#track/20200101-00001")
        self.wait(EC.presence_of_element_located((By.ID, "not-found")))
        self.assertIn("没有找到编号为 20200101-00001 的上报", self.text("#not-found"))
        self.check_screen("lookup-not-found")

    def test_4_codes_asked_too_fast_are_refused_on_the_page(self):
        browser = self.browser
        browser.delete_all_cookies()
        self.open()
        self.find("#phone").send_keys(PHONE_3)
        self.tap("#get-code")
        self.wait(lambda b: "验证码已发送至" in b.find_element(By.ID, "code-sent").text)
        # The page holds the button for the minute; a reload forgets that, and the gateway refuses.
        self.open()
        self.find("#phone").send_keys(PHONE_3)
        self.tap("#get-code")
        status = self.wait(lambda b: b.find_element(By.ID, "verify-status").text and b.find_element(By.ID, "verify-status"))
        self.assertIn("操作过于频繁", status.text)
        self.assertIn("同一手机号 1 分钟内最多获取 1 次验证码", status.text)
        self.assertRegex(status.text, r"请 (\d+ 秒|1 分钟)后再试")
        self.assert_chinese(status.text)
        self.wait(lambda b: "秒后可重新获取" in b.find_element(By.ID, "get-code").text)
        self.check_screen("rate-limited")

    def test_5_a_photo_over_3_mib_is_shrunk_on_the_phone_or_refused(self):
        browser = self.browser
        big = self.folder / "大照片.jpg"
        photo_with_gps(big, (800, 600))
        with open(big, "ab") as file:  # a JPEG of 4 MiB: the image, then bytes after its end
            file.write(b"\0" * (4 * 1024 * 1024 - big.stat().st_size))
        self.assertEqual(big.stat().st_size, 4 * 1024 * 1024)
        self.be(PHONE_1)
        self.open("#report")
        self.wait(EC.presence_of_element_located((By.ID, "report-form")))
        # A camera's photo over 3 MB is redrawn smaller on the phone and taken.
        self.find("#photo-album").send_keys(str(big))
        self.wait(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#photo-list img")) == 1)
        self.assertEqual(self.find("#photo-error").text, "")
        self.tap("#photo-list button.remove")
        # Bytes no browser can draw, over 3 MB, are refused on the page.
        noise = self.folder / "坏照片.jpg"
        noise.write_bytes(os.urandom(4 * 1024 * 1024))
        self.find("#photo-album").send_keys(str(noise))
        error = self.wait(lambda b: b.find_element(By.ID, "photo-error").text and b.find_element(By.ID, "photo-error"))
        self.assertIn("超过 3 MB", error.text)
        self.assertIn("4.0 MB", error.text)
        self.assertEqual(browser.find_elements(By.CSS_SELECTOR, "#photo-list img"), [])
        browser.execute_script("document.getElementById('photos').scrollIntoView({block: 'center'})")
        screenshot(browser, "resident-photo-too-big")
        self.check_screen("photo-too-big-top")
        # The gateway refuses it too, whatever a page does, and stores nothing.
        def resident_cases():
            return len(self.admin.grid("ListCases", {"source": "CASE_SOURCE_RESIDENT", "pageSize": 500}).get("cases", []))
        before = resident_cases()
        session = requests.Session()
        session.cookies.set("gov_resident", self.cookies[PHONE_1])
        csrf = session.get(f"{self.base}/resident/session", timeout=30).json()["csrfToken"]
        answer = session.post(f"{self.base}/resident/reports", headers={"X-CSRF-Token": csrf}, timeout=60, data={
            "request_id": str(uuid.uuid4()), "category": "environment", "description": "照片太大", "name": NAME_1,
            "longitude": str(self.point["longitude"]), "latitude": str(self.point["latitude"])},
            files={"photo": ("大照片.jpg", big.read_bytes(), "image/jpeg")})
        self.assertEqual(answer.status_code, 413, answer.text)
        self.assertEqual(answer.json()["code"], "invalid_argument")
        self.assertEqual(resident_cases(), before, "nothing was stored")

    def test_6_a_wish_posted_by_one_resident_is_claimed_by_another(self):
        browser = self.browser
        compound = self.admin.call(PROPERTY, "ListCompounds", {"pageSize": 1})["compounds"][0]
        self.be(PHONE_1)
        self.open("#wishes")
        self.check_screen("wishes")
        self.tap("#post-wish")
        self.wait(EC.presence_of_element_located((By.ID, "wish-form")))
        title = f"帮忙修理楼道感应灯 {int(time.time()) % 1000}"
        self.find("#wish-title").send_keys(title)
        Select(self.find("#wish-category")).select_by_value("维修")
        self.find("#wish-details").send_keys("三楼感应灯坏了，晚上上下楼看不清")
        self.find("#wish-compound-search").send_keys(compound["name"][:2])
        result = self.wait(EC.element_to_be_clickable((By.XPATH, f"//ul[@id='wish-compound-results']//button[strong='{compound['name']}']")))
        screenshot(browser, "resident-wish-compound-search")
        assert_fits(self, browser)
        assert_translated(self, browser)
        self.tap(result)
        self.assertEqual(self.text("#wish-compound-chosen"), compound["name"])
        self.find("#wish-name").send_keys(NAME_1)
        self.check_screen("wish-form")
        self.tap("#submit-wish")
        self.wait(EC.presence_of_element_located((By.ID, "wish-message")))
        self.assertIn("心愿已发布", self.text("#wish-message"))
        card = self.find_wish(title)
        self.assertIn("我发布的", card.text)
        self.assertIn("待认领", card.text)
        self.assertEqual(card.find_elements(By.CSS_SELECTOR, "button.claim"), [], "one does not claim one's own wish")
        self.check_screen("wish-posted")

        self.be(PHONE_2)
        self.open("#wishes")
        card = self.find_wish(title)
        self.assertIn("张*", card.text)
        self.assertNotIn(NAME_1, self.find("body").text)
        self.tap(card.find_element(By.CSS_SELECTOR, "button.claim"))
        name = self.wait(lambda b: self.find_wish(title).find_element(By.CSS_SELECTOR, "input[name=name]"))
        name.send_keys(NAME_2)
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", name)
        screenshot(browser, "resident-wish-claiming")
        self.tap(self.find_wish(title).find_element(By.CSS_SELECTOR, "button[type=submit]"))
        self.wait(EC.presence_of_element_located((By.ID, "wish-message")))
        self.assertIn("认领成功", self.text("#wish-message"))
        self.assertIn("我已认领", self.find_wish(title).text)
        self.check_screen("wish-claimed")

        wishes = self.admin.call(VOLUNTEERS, "ListMicroWishes", {"compoundId": compound["id"], "pageSize": 100})["wishes"]
        wish = next(w for w in wishes if w["title"] == title)
        self.assertEqual(wish["state"], "MICRO_WISH_STATE_CLAIMED")
        self.assertEqual(wish["claimant"]["kind"], "CLAIMANT_KIND_VOLUNTEER")
        volunteer = self.admin.call(VOLUNTEERS, "GetVolunteer", {"id": wish["claimant"]["id"], "revealContact": True})
        self.assertEqual(volunteer["contact"]["name"], NAME_2)
        self.assertEqual(volunteer["contact"]["phone"], PHONE_2)
        self.assertEqual(volunteer["kind"], "VOLUNTEER_KIND_RESIDENT")
        self.assertTrue(volunteer["active"])
        resident = self.admin.call(VOLUNTEERS, "GetMicroWish", {"id": wish["id"], "revealResident": True})["resident"]
        self.assertEqual((resident["name"], resident["phone"]), (NAME_1, PHONE_1))

    def find_wish(self, title: str):
        return self.wait(lambda b: next((card for card in b.find_elements(By.CSS_SELECTOR, "#wish-list li.wish")
                                         if card.find_element(By.CSS_SELECTOR, ".wish-title").text == title), False))

    def test_7_the_page_in_english(self):
        self.be(PHONE_1)
        self.open(f"#track/{self.number}")
        self.wait(EC.presence_of_element_located((By.ID, "report-timeline")))
        self.tap("#lang")
        self.wait(lambda b: b.find_element(By.ID, "title").text == "Resident services")
        self.settle()
        self.assertEqual(self.text("#report-status-badge"), "Evaluated")
        self.check_screen("english")
        self.tap("#lang")
        self.wait(lambda b: b.find_element(By.ID, "title").text == "居民服务")

    def test_8_the_reporter_reopens_within_the_window(self):
        self.be(PHONE_1)
        self.open(f"#track/{self.number}")
        form = self.wait(EC.presence_of_element_located((By.ID, "reopen-form")))
        self.assertRegex(form.text, r"可在 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 前申请重新处理")
        # Without a reason, refused on the page.
        self.tap("#submit-reopen")
        self.wait(lambda b: b.find_element(By.ID, "reopen-reason-error").text == "请写明原因")
        self.find("#reopen-reason").send_keys("楼道又堆满了纸箱")
        self.tap("#submit-reopen")
        self.wait(EC.presence_of_element_located((By.ID, "reopened")))
        self.assertEqual(self.text("#report-status-badge"), "已重启")
        self.assertIn("楼道又堆满了纸箱", self.text("#report-timeline"))
        self.check_screen("reopened")
        self.assertEqual(self.case_of(self.number)["status"], "CASE_STATUS_REOPENED")

    def test_9_a_report_by_compound_and_building(self):
        """The place picked by name in place of the phone's position: the compound found by search, a building chosen."""
        browser = self.browser
        compounds = self.admin.call(PROPERTY, "ListCompounds", {"pageSize": 50})["compounds"]
        compound, buildings = next((c, b) for c in compounds
                                   for b in [self.admin.call(PROPERTY, "ListBuildings", {"compoundId": c["id"], "pageSize": 50})
                                             .get("buildings", [])] if b)
        self.be(PHONE_2)
        self.open("#report")
        self.wait(EC.presence_of_element_located((By.ID, "report-form")))
        Select(self.find("#category")).select_by_value("property_service")
        self.find("#description").send_keys("电梯停运两天，老人上下楼困难")
        self.find("#reporter-name").send_keys(NAME_2)
        self.tap("#pick-compound")
        self.find("#place-search").send_keys(compound["name"])
        result = self.wait(EC.element_to_be_clickable(
            (By.XPATH, f"//ul[@id='place-results']//button[strong='{compound['name']}']")))
        self.check_screen("report-compound-search")
        self.tap(result)
        building = self.wait(EC.presence_of_element_located(
            (By.CSS_SELECTOR, f"#place-building option[value='{buildings[0]['id']}']")))
        Select(self.find("#place-building")).select_by_value(buildings[0]["id"])
        self.assertEqual(building.text, buildings[0]["name"])
        self.check_screen("report-by-compound")
        self.tap("#submit-report")
        number = self.wait(EC.presence_of_element_located((By.ID, "tracking-number"))).text
        gridCase = self.case_of(number)
        self.assertEqual(gridCase["location"]["compoundId"], compound["id"])
        self.assertEqual(gridCase["location"]["buildingId"], buildings[0]["id"])
        self.assertEqual((gridCase["reporter"]["name"], gridCase["reporter"]["phone"]), (NAME_2, PHONE_2))
        self.assertEqual(gridCase["category"], "物业服务")


if __name__ == "__main__":
    unittest.main()
