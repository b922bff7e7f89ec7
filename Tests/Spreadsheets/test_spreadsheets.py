"""The gateway's spreadsheets (Services/Gateway/Sources/Spreadsheets) checked with other people's
tools, both ways.

- Our files in their tools: the Swift test `SpreadsheetTests.writesSamples`, run with
  SPREADSHEET_SAMPLE_DIR, writes sample.xlsx and sample.csv (`SpreadsheetTests.Samples`).
  openpyxl opens the workbook and checks every value and type (text, int, float,
  datetime for date cells, with their yyyy-mm-dd and yyyy-mm-dd hh:mm formats), the bold header,
  the frozen first row ("A2") and the second sheet; LibreOffice (`soffice --headless`) converts it
  to CSV, which must show what Excel shows; Python's csv module reads sample.csv after its UTF-8
  byte order mark is checked.
- Their files in our reader: openpyxl writes workbooks (typed dates and date-times, a date
  typed as text, a formula, a boolean, a blank row; a merged header A1:B1; the 1904 date system;
  200 columns), LibreOffice re-saves one as XLSX (shared strings, its own styles) and one as a
  GB18030 CSV, and Python encodes a CSV as GB18030. `SpreadsheetTests.readsListedFiles`, run with
  SPREADSHEET_READ_DIR, reads every file there and writes what it read to read.jsonl, compared here.

The Swift tests must be built already (scripts/test.sh runs `swift build --build-tests` first):
this runs them with `swift test --skip-build`. Needs Python's openpyxl and LibreOffice Calc
(Debian's libreoffice-calc-nogui, which .ci/run installs); only without `soffice` are the
LibreOffice checks skipped, with a message.
"""
import csv
import datetime
import io
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import unittest

import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
NO_SOFFICE = "LibreOffice is not installed (apt-get install libreoffice-calc-nogui)"

# SpreadsheetTests.Samples, as Python sees it: the header and rows of sample.xlsx's first sheet.
HEADER = ["姓名", "房号", "面积（㎡）", "入住日期", "登记时间", "备注"]
ROWS = [
    ["张三", 101, 89.5, datetime.date(2026, 11, 30), datetime.datetime(2026, 11, 30, 8, 5), "党员 & 志愿者 <组长>"],
    ["李四", 1202, 120.25, datetime.date(1999, 1, 1), datetime.datetime(2026, 1, 1, 23, 59), "=SUM(1,2)"],
    ["王五", -3, 0.1, datetime.date(2000, 2, 29), datetime.datetime(2000, 2, 29, 12, 30), '第一行\n第二行, "引号"'],
    ["赵六", None, None, None, None, "  前后空格  "],
]


def shown(value):
    """A value as Excel shows it with our formats, which is what a CSV of it holds."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def run_swift_test(name, variable, directory):
    """Runs the Swift test `SpreadsheetTests.<name>` with `variable` set to `directory`."""
    environment = dict(os.environ, **{variable: str(directory)})
    result = subprocess.run(
        ["swift", "test", "--skip-build", "--filter", f"SpreadsheetTests.{name}"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise AssertionError(f"swift test {name} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")


def soffice_convert(source, target_filter, out_directory, profile):
    """Converts `source` with LibreOffice headless into `out_directory`, returning the new file."""
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target_filter,
         "--outdir", str(out_directory), str(source)],
        capture_output=True, text=True, timeout=300)
    extension = target_filter.split(":")[0]
    converted = out_directory / f"{source.stem}.{extension}"
    if result.returncode != 0 or not converted.exists():
        raise AssertionError(f"soffice could not convert {source.name}: {result.stdout} {result.stderr}")
    return converted


class OurFilesInTheirToolsTest(unittest.TestCase):
    """sample.xlsx and sample.csv, written by the Swift writers, read by openpyxl, LibreOffice and csv."""

    @classmethod
    def setUpClass(cls):
        cls.directory = pathlib.Path(tempfile.mkdtemp(prefix="spreadsheet-samples-"))
        run_swift_test("writesSamples", "SPREADSHEET_SAMPLE_DIR", cls.directory)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory, ignore_errors=True)

    def test_openpyxl_reads_every_value_with_its_type(self):
        workbook = openpyxl.load_workbook(self.directory / "sample.xlsx")
        self.assertEqual(workbook.sheetnames, ["住户名册", "说明"])
        sheet = workbook["住户名册"]
        self.assertEqual([cell.value for cell in sheet[1]], HEADER)
        self.assertTrue(all(cell.font.b for cell in sheet[1]), "the header is bold")
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertEqual(sheet.max_row, 1 + len(ROWS))
        for number, expected in enumerate(ROWS, start=2):
            with self.subTest(row=number):
                cells = sheet[number]
                values = [cell.value for cell in cells][: len(HEADER)]
                values += [None] * (len(HEADER) - len(values))
                for column, (value, want) in enumerate(zip(values, expected)):
                    if isinstance(want, datetime.datetime):
                        self.assertEqual(value, want)
                        self.assertEqual(cells[column].number_format, "yyyy-mm-dd hh:mm")
                    elif isinstance(want, datetime.date):
                        # openpyxl gives every date cell as a datetime; a day's is at midnight.
                        self.assertIsInstance(value, datetime.datetime)
                        self.assertEqual(value, datetime.datetime.combine(want, datetime.time()))
                        self.assertEqual(cells[column].number_format, "yyyy-mm-dd")
                    elif isinstance(want, float):
                        self.assertIsInstance(value, float)
                        self.assertEqual(value, want)
                    elif isinstance(want, int):
                        self.assertIsInstance(value, int)
                        self.assertEqual(value, want)
                    else:
                        self.assertEqual(value, want)
        self.assertEqual(sheet.column_dimensions["A"].width, 10)
        second = workbook["说明"]
        self.assertEqual([[cell.value for cell in row] for row in second.iter_rows()], [["项目", "值"], ["户数", 4]])

    @unittest.skipUnless(SOFFICE, NO_SOFFICE)
    def test_libreoffice_shows_what_was_written(self):
        with tempfile.TemporaryDirectory() as scratch:
            scratch = pathlib.Path(scratch)
            converted = soffice_convert(
                self.directory / "sample.xlsx", "csv:Text - txt - csv (StarCalc):44,34,76", scratch, scratch / "profile")
            with open(converted, encoding="utf-8", newline="") as file:
                rows = list(csv.reader(file))
        self.assertEqual(rows[0], HEADER)
        self.assertEqual(rows[1:], [[shown(value) for value in row] for row in ROWS])

    def test_csv_has_a_bom_and_reads_back_with_pythons_csv(self):
        data = (self.directory / "sample.csv").read_bytes()
        self.assertTrue(data.startswith(b"\xef\xbb\xbf"), "the CSV starts with the UTF-8 byte order mark")
        self.assertEqual(data.count(b"\xef\xbb\xbf"), 1)
        self.assertTrue(data.endswith(b"\r\n"))
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        self.assertEqual(rows[0], HEADER)
        expected = [[shown(value) for value in row] for row in ROWS]
        # A text Excel would run as a formula is defused with an apostrophe.
        expected[1][5] = "'=SUM(1,2)"
        self.assertEqual(rows[1:], expected)


class TheirFilesInOurReaderTest(unittest.TestCase):
    """Workbooks and CSVs from openpyxl, LibreOffice and Python, read by the Swift reader."""

    @classmethod
    def setUpClass(cls):
        cls.directory = pathlib.Path(tempfile.mkdtemp(prefix="spreadsheet-reads-"))
        cls.make_files(cls.directory)
        run_swift_test("readsListedFiles", "SPREADSHEET_READ_DIR", cls.directory)
        cls.read = {}
        with open(cls.directory / "read.jsonl", encoding="utf-8") as file:
            for line in file:
                record = json.loads(line)
                cls.read.setdefault(record["file"], []).append(record)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory, ignore_errors=True)

    @staticmethod
    def make_files(directory):
        normal = openpyxl.Workbook()
        sheet = normal.active
        sheet.title = "登记表"
        sheet.append(["姓名", "出生日期", "登记时间", "面积", "户数", "备注", "是否党员"])
        sheet.append(["张三", datetime.date(1990, 5, 17), datetime.datetime(2026, 11, 30, 8, 5), 89.5, 3,
                      "翠苑 & <一区>", True])
        sheet.append(["李四", "2026/11/30", None, 120.25, 4, None, False])
        sheet.append([None] * 7)
        sheet.append(["合计", None, None, None, "=SUM(E2:E3)", "2026年11月30日", None])
        other = normal.create_sheet("第二页")
        other.append(["不读", "第二页"])
        normal.save(directory / "normal.xlsx")

        merged = openpyxl.Workbook()
        merged.active.append(["小区名册", None, "备注"])
        merged.active.append(["翠苑", "一区", "无"])
        merged.active.merge_cells("A1:B1")
        merged.save(directory / "merged.xlsx")

        mac = openpyxl.Workbook()
        mac.epoch = CALENDAR_MAC_1904
        mac.active.append(["日期", "时间"])
        mac.active.append([datetime.date(2026, 11, 30), datetime.datetime(2026, 11, 30, 18, 30)])
        mac.save(directory / "mac1904.xlsx")

        wide = openpyxl.Workbook()
        wide.active.append([f"列{index}" for index in range(1, 201)])
        wide.save(directory / "wide.xlsx")

        text = "姓名,小区,面积\r\n张三,\"翠苑一区, 3 幢\",89.5\r\n𠀀李四,锦绣花园,€12\r\n"
        (directory / "python-gb18030.csv").write_bytes(text.encode("gb18030"))

        if SOFFICE:
            simple = openpyxl.Workbook()
            simple.active.append(["姓名", "面积", "入住日期"])
            simple.active.append(["张三", 89.5, datetime.date(2026, 11, 30)])
            simple.active.append(["李四", 3, datetime.date(1999, 1, 1)])
            with tempfile.TemporaryDirectory() as scratch:
                scratch = pathlib.Path(scratch)
                source = scratch / "libreoffice.xlsx"
                simple.save(source)
                # Saved again by LibreOffice: shared strings and LibreOffice's own styles.
                resaved = soffice_convert(source, "xlsx:Calc MS Excel 2007 XML", scratch / "out", scratch / "profile")
                shutil.copy(resaved, directory / "libreoffice.xlsx")
                # LibreOffice's text encoding 85 is GB18030.
                exported = soffice_convert(
                    source, "csv:Text - txt - csv (StarCalc):44,34,85", scratch / "out", scratch / "profile")
                shutil.copy(exported, directory / "libreoffice-gb18030.csv")

    def records(self, name):
        self.assertIn(name, self.read, f"the Swift test read no {name}")
        return self.read[name]

    def rows(self, name):
        records = self.records(name)
        self.assertNotIn("error", records[0], records[0])
        return records[0]["header"], [(record["row"], record["cells"]) for record in records[1:]]

    def test_openpyxl_workbook(self):
        header, rows = self.rows("normal.xlsx")
        self.assertEqual(header, ["姓名", "出生日期", "登记时间", "面积", "户数", "备注", "是否党员"])
        self.assertEqual(rows, [
            (2, [{"text": "张三"}, {"date": "1990-05-17"}, {"dateTime": "2026-11-30 08:05:00"}, {"decimal": 89.5},
                 {"integer": 3}, {"text": "翠苑 & <一区>"}, {"text": "TRUE"}]),
            # A date typed as text stays text, for the importer to parse.
            (3, [{"text": "李四"}, {"text": "2026/11/30"}, None, {"decimal": 120.25}, {"integer": 4}, None,
                 {"text": "FALSE"}]),
            # The blank row 4 is skipped and row 5 keeps its number.
            (5, [{"text": "合计"}, None, None, None, {"formula": "SUM(E2:E3)"}, {"text": "2026年11月30日"}, None]),
        ])

    def test_merged_header_is_refused(self):
        self.assertEqual(self.records("merged.xlsx")[0]["error"], 'mergedHeader("A1:B1")')

    def test_1904_date_system(self):
        header, rows = self.rows("mac1904.xlsx")
        self.assertEqual(header, ["日期", "时间"])
        self.assertEqual(rows, [(2, [{"date": "2026-11-30"}, {"dateTime": "2026-11-30 18:30:00"}])])

    def test_200_columns_are_refused(self):
        record = self.records("wide.xlsx")[0]
        self.assertEqual(record["error"], "tooManyColumns(row: 1, count: 200, limit: 100)")
        self.assertEqual(record["chinese"], "第 1 行有 200 列，超过 100 列上限")

    def test_gb18030_csv_from_python(self):
        header, rows = self.rows("python-gb18030.csv")
        self.assertEqual(header, ["姓名", "小区", "面积"])
        self.assertEqual(rows, [
            (2, [{"text": "张三"}, {"text": "翠苑一区, 3 幢"}, {"text": "89.5"}]),
            (3, [{"text": "𠀀李四"}, {"text": "锦绣花园"}, {"text": "€12"}]),
        ])

    @unittest.skipUnless(SOFFICE, NO_SOFFICE)
    def test_libreoffice_files(self):
        header, rows = self.rows("libreoffice.xlsx")
        self.assertEqual(header, ["姓名", "面积", "入住日期"])
        self.assertEqual(rows, [
            (2, [{"text": "张三"}, {"decimal": 89.5}, {"date": "2026-11-30"}]),
            (3, [{"text": "李四"}, {"integer": 3}, {"date": "1999-01-01"}]),
        ])
        data = (self.directory / "libreoffice-gb18030.csv").read_bytes()
        self.assertEqual(data.decode("gb18030").splitlines()[0], "姓名,面积,入住日期")
        with self.assertRaises(UnicodeDecodeError):
            data.decode("utf-8")
        header, rows = self.rows("libreoffice-gb18030.csv")
        self.assertEqual(header, ["姓名", "面积", "入住日期"])
        self.assertEqual(rows, [
            (2, [{"text": "张三"}, {"text": "89.5"}, {"text": "2026-11-30"}]),
            (3, [{"text": "李四"}, {"text": "3"}, {"text": "1999-01-01"}]),
        ])


if __name__ == "__main__":
    unittest.main()
