import Foundation
import Testing

@testable import Gateway

/// The spreadsheet reader and writers (Services/Gateway/Sources/Spreadsheets): round trips
/// through our own writers, workbooks as other writers make them (built here byte by byte, the
/// zip included, so each feature is pinned), and every refusal.
///
/// Two tests serve `Tests/Spreadsheets/test_spreadsheets.py`, which checks the files with other
/// people's tools (openpyxl, LibreOffice, Python's csv), and run only when it sets their
/// variable: `writesSamples` writes sample.xlsx and sample.csv (`Samples`' content) into
/// `SPREADSHEET_SAMPLE_DIR`; `readsListedFiles` reads every file in `SPREADSHEET_READ_DIR` and
/// writes what it read as JSON lines to read.jsonl there.
@Suite("Spreadsheets: XLSX and CSV written and read in constant memory, hostile files refused")
struct SpreadsheetTests {
  /// A fresh directory, removed after `body`.
  static func withDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "spreadsheet-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
  }

  /// The error `open` throws for `bytes`, nil when it opens them.
  static func openingError(
    _ bytes: [UInt8], in directory: URL, name: String = "upload", maximumBytes: Int = 50 * 1024 * 1024
  ) -> SpreadsheetError? {
    let file = directory.appendingPathComponent(name)
    _ = FileManager.default.createFile(atPath: file.path, contents: Data(bytes))
    do {
      _ = try SpreadsheetReader.open(file, maximumBytes: maximumBytes)
      return nil
    } catch {
      return error
    }
  }

  /// Every row `reader` gives, failing the test on an error.
  static func allRows(_ reader: SpreadsheetReader, from: Int = 2) throws -> [SpreadsheetRow] {
    let rows = try reader.rows(from: from)
    let all = Array(rows)
    if let error = rows.error { throw error }
    return all
  }

  /// 2026-11-30 08:05:07 in the city (UTC+8).
  static let morning = Date(timeIntervalSince1970: 1_795_997_107)

  @Test("the calendar keeps Excel's fictional 1900-02-29 and reads the 1904 system")
  func excelSerialNumbers() {
    #expect(SpreadsheetCalendar.cell(serial: 1, date1904: false) == .date(year: 1900, month: 1, day: 1))
    #expect(SpreadsheetCalendar.cell(serial: 59, date1904: false) == .date(year: 1900, month: 2, day: 28))
    #expect(SpreadsheetCalendar.cell(serial: 60, date1904: false) == .date(year: 1900, month: 2, day: 29))
    #expect(SpreadsheetCalendar.cell(serial: 61, date1904: false) == .date(year: 1900, month: 3, day: 1))
    #expect(SpreadsheetCalendar.cell(serial: 46_356, date1904: false) == .date(year: 2026, month: 11, day: 30))
    #expect(SpreadsheetCalendar.cell(serial: 44_894, date1904: true) == .date(year: 2026, month: 11, day: 30))
    #expect(SpreadsheetCalendar.cell(serial: 0, date1904: true) == .date(year: 1904, month: 1, day: 1))
    #expect(SpreadsheetCalendar.cell(serial: -1, date1904: false) == .decimal(-1))
    let quarterPastEight = 46_356 + (8 * 3600 + 15 * 60) / 86_400.0
    #expect(
      SpreadsheetCalendar.cell(serial: quarterPastEight, date1904: false)
        == .dateTime(Date(timeIntervalSince1970: 1_795_997_700)))
    for days in [-25_567, -25_509, -25_508, 0, 20_787] {
      let day = SpreadsheetCalendar.civil(days: days)
      let serial = SpreadsheetCalendar.serial(days: days)!
      #expect(
        SpreadsheetCalendar.cell(serial: Double(serial), date1904: false)
          == .date(year: day.year, month: day.month, day: day.day))
    }
    #expect(SpreadsheetCalendar.serial(days: -25_568) == nil)
    #expect(SpreadsheetCalendar.text(Self.morning) == "2026-11-30 08:05")
  }

  @Test("an XLSX written row by row reads back cell for cell, on two sheets")
  func xlsxRoundTrip() throws {
    try Self.withDirectory { directory in
      let long = String(repeating: "长", count: 40_000)
      let writer = try XLSXWriter(directory: directory.appendingPathComponent("parts"))
      try writer.startSheet(name: "名册", header: [" 姓名 ", "年龄", "面积", "生日", "登记时间", "备注"])
      let rows: [[SpreadsheetCell]] = [
        [
          .text("张三"), .integer(42), .decimal(85.5), .date(year: 2026, month: 11, day: 30), .dateTime(Self.morning),
          .text(#"A & B < C > "D" 'E'"#),
        ],
        [
          .text("控制\u{1}字符\u{B}去掉\u{FFFF}"), .integer(-7), .decimal(0.1), .date(year: 1900, month: 1, day: 1),
          .dateTime(Date(timeIntervalSince1970: 0)), .text("行一\r\n行二\t制表"),
        ],
        [.empty, .empty],
        [
          .text(long), .integer(1_234_567_890_123_456_789), .decimal(.nan), .date(year: 1899, month: 12, day: 31),
          .empty, .text("_x0041_ 照原样"),
        ],
        [
          .empty, .decimal(1.0 / 3), .decimal(-2.5e-7), .date(year: 2000, month: 2, day: 29), .empty,
          .formula("SUM(B2:B3)"),
        ],
        [.text("  前后空格 "), .empty, .empty, .empty, .empty, .text("👍🏻 表情")],
        [.text("多出的列"), .empty, .empty, .empty, .empty, .empty, .text("第七列")],
      ]
      for row in rows { try writer.append(row) }
      #expect(writer.rowCount == rows.count)
      try writer.startSheet(name: "统计/汇总", header: ["项目", "值"], widths: [30])
      #expect(writer.rowCount == 0)
      try writer.append([.text("合计"), .integer(2)])
      let file = directory.appendingPathComponent("out.xlsx")
      try writer.finish(to: file)
      #expect(
        try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("parts").path).isEmpty)

      let reader = try SpreadsheetReader.open(file)
      #expect(reader.header == ["姓名", "年龄", "面积", "生日", "登记时间", "备注"])
      let read = try Self.allRows(reader)
      #expect(read.map(\.number) == [2, 3, 5, 6, 7, 8])
      #expect(
        read[0].cells == [
          .text("张三"), .integer(42), .decimal(85.5), .date(year: 2026, month: 11, day: 30), .dateTime(Self.morning),
          .text(#"A & B < C > "D" 'E'"#),
        ])
      #expect(
        read[1].cells == [
          .text("控制字符去掉"), .integer(-7), .decimal(0.1), .date(year: 1900, month: 1, day: 1),
          .dateTime(Date(timeIntervalSince1970: 0)), .text("行一\r\n行二\t制表"),
        ])
      #expect(
        read[2].cells == [
          .text(String(repeating: "长", count: 32_767)), .text("1234567890123456789"), .text("#NUM!"),
          .text("1899-12-31"), .empty, .text("_x0041_ 照原样"),
        ])
      #expect(
        read[3].cells == [
          .empty, .decimal(1.0 / 3), .decimal(-2.5e-7), .date(year: 2000, month: 2, day: 29), .empty,
          .text("=SUM(B2:B3)"),
        ])
      #expect(read[4].cells == [.text("  前后空格 "), .empty, .empty, .empty, .empty, .text("👍🏻 表情")])
      #expect(read[5].cells == [.text("多出的列"), .empty, .empty, .empty, .empty, .empty])
      #expect(try Self.allRows(reader, from: 6).map(\.number) == [6, 7, 8])
      var iterator = try reader.rows(from: 8).makeIterator()
      #expect(try iterator.nextRow()?.number == 8)
      #expect(try iterator.nextRow() == nil)

      let workbook = try XLSXWorkbook.open(file, sheetIndex: 1)
      #expect(workbook.worksheets.map(\.name) == ["名册", "统计_汇总"])
      let second = try WorksheetRowReader(workbook, maximumColumns: 100)
      #expect(try second.nextRow()?.cells == [.text("项目"), .text("值")])
      #expect(try second.nextRow()?.cells == [.text("合计"), .integer(2)])
      #expect(try second.nextRow() == nil)
    }
  }

  @Test("a list longer than a sheet goes on in further sheets, each with the header")
  func xlsxContinuesPastTheLastRow() throws {
    try Self.withDirectory { directory in
      // Three rows a sheet, the header included, stand for Excel's 1,048,576.
      let writer = try XLSXWriter(directory: directory.appendingPathComponent("parts"), rowLimit: 3)
      try writer.startSheet(name: "案件", header: ["编号", "标题"])
      for number in Int64(1)...5 { try writer.appendContinuing([.integer(number), .text("案件\(number)")]) }
      let file = directory.appendingPathComponent("out.xlsx")
      try writer.finish(to: file)

      let names = try XLSXWorkbook.open(file, sheetIndex: 0).worksheets.map(\.name)
      #expect(names == ["案件", "案件 (2)", "案件 (3)"])
      var read: [[SpreadsheetCell]] = []
      for index in names.indices {
        let sheet = try WorksheetRowReader(try XLSXWorkbook.open(file, sheetIndex: index), maximumColumns: 10)
        #expect(try sheet.nextRow()?.cells == [.text("编号"), .text("标题")], "sheet \(index + 1) has the header")
        while let row = try sheet.nextRow() { read.append(row.cells) }
      }
      #expect(read == (Int64(1)...5).map { [.integer($0), .text("案件\($0)")] })
      #expect(XLSXWriter.largestSheet == 1_048_576)
    }
  }

  @Test("a sheet past its rows is refused by name, with the limit, not as an internal error")
  func sheetLimitsAreNamed() {
    let rows = ConnectError(XLSXWriterError.tooManyRows(limit: 1_048_576))
    #expect(rows.code == .resourceExhausted && rows.message.contains("1048576 rows"))
    let columns = ConnectError(XLSXWriterError.tooManyColumns(limit: 16_384))
    #expect(columns.code == .resourceExhausted && columns.message.contains("16384 columns"))
  }

  @Test("sheet names are cut to 31 characters, cleaned of []:*?/\\ and made unique")
  func sheetNames() {
    #expect(XLSXWriter.sheetName("a[b]c:d*e?f/g\\h", besides: []) == "a_b_c_d_e_f_g_h")
    #expect(XLSXWriter.sheetName(String(repeating: "名", count: 40), besides: []) == String(repeating: "名", count: 31))
    #expect(XLSXWriter.sheetName("名册", besides: ["名册"]) == "名册 (2)")
    #expect(XLSXWriter.sheetName("SHEET", besides: ["sheet", "Sheet (2)"]) == "SHEET (3)")
    #expect(
      XLSXWriter.sheetName(String(repeating: "x", count: 31), besides: [String(repeating: "x", count: 31)])
        == String(repeating: "x", count: 27) + " (2)")
    #expect(XLSXWriter.sheetName("'引号'", besides: []) == "引号")
    #expect(XLSXWriter.sheetName("", besides: []) == "Sheet")
    #expect(XLSXWriter.sheetName("History", besides: []) == "History_")
  }

  @Test("a CSV starts with the UTF-8 BOM, quotes per RFC 4180, ends lines with CRLF and defuses formulas")
  func csvWriting() {
    var writer = CSVWriter()
    let first = writer.row([.text("姓名"), .text("备注")])
    #expect(first == [0xEF, 0xBB, 0xBF] + Array("姓名,备注\r\n".utf8))
    let second = writer.row([
      .text("a,b"), .text(#"say "hi""#), .text("two\nlines"), .text("=HYPERLINK(\"x\")"), .text("+1"), .text("-2"),
      .text("@SUM(A1)"), .text("\tx"), .integer(-3), .decimal(2.5), .date(year: 2026, month: 11, day: 30),
      .dateTime(Self.morning), .empty, .formula("A1+1"), .decimal(.infinity),
    ])
    #expect(
      String(decoding: second, as: UTF8.self)
        == #""a,b","say ""hi""","two"# + "\n" + #"lines","'=HYPERLINK(""x"")",'+1,'-2,'@SUM(A1),'"#
        + "\tx,-3,2.5,2026-11-30,2026-11-30 08:05,,'=A1+1,\r\n")
  }

  @Test("a CSV written by CSVWriter reads back as text, its record numbers counting quoted line breaks as one")
  func csvRoundTrip() throws {
    try Self.withDirectory { directory in
      var writer = CSVWriter()
      var bytes = writer.row([.text("姓名"), .text("地址"), .text("电话")])
      bytes += writer.row([.text("张三"), .text("玄武区\n北京东路 1 号"), .text("13800000000")])
      bytes += writer.row([.empty, .empty, .empty])
      bytes += writer.row([.text("=1+2"), .integer(5), .date(year: 2026, month: 11, day: 30), .text("多余")])
      let file = directory.appendingPathComponent("list.csv")
      try Data(bytes).write(to: file)
      let reader = try SpreadsheetReader.open(file)
      #expect(reader.header == ["姓名", "地址", "电话"])
      let rows = try Self.allRows(reader)
      #expect(rows.map(\.number) == [2, 4])
      #expect(rows[0].cells == [.text("张三"), .text("玄武区\n北京东路 1 号"), .text("13800000000")])
      #expect(rows[1].cells == [.text("'=1+2"), .text("5"), .text("2026-11-30")])
    }
  }

  @Test("a CSV in GB18030, as Excel on Chinese Windows saves it, is read, as is UTF-8 without a BOM and LF ends")
  func csvEncodings() throws {
    try Self.withDirectory { directory in
      let text = "姓名,小区,面积\r\n张三,\"翠苑一区, 3 幢\",89.5\r\n𠀀李四,锦绣花园,€12\r\n"
      let gb18030 = try #require(text.data(using: CSVTextEncoding.foundationGB18030))
      #expect(String(data: gb18030, encoding: .utf8) == nil)
      let file = directory.appendingPathComponent("gb.csv")
      try gb18030.write(to: file)
      let reader = try SpreadsheetReader.open(file)
      #expect(reader.header == ["姓名", "小区", "面积"])
      #expect(
        try Self.allRows(reader).map(\.cells) == [
          [.text("张三"), .text("翠苑一区, 3 幢"), .text("89.5")], [.text("𠀀李四"), .text("锦绣花园"), .text("€12")],
        ])

      let plain = directory.appendingPathComponent("plain.csv")
      try Data("名称,数量\n苹果,3\n".utf8).write(to: plain)
      let plainReader = try SpreadsheetReader.open(plain)
      #expect(plainReader.header == ["名称", "数量"])
      #expect(try Self.allRows(plainReader).map(\.cells) == [[.text("苹果"), .text("3")]])
    }
  }

  @Test("a workbook as other writers make it: shared and rich strings, date styles, refs missing, first sheet by list")
  func xlsxFromOtherWriters() throws {
    try Self.withDirectory { directory in
      let strings = """
        <?xml version="1.0" encoding="UTF-8"?>
        <sst xmlns="\(Self.main)" count="5" uniqueCount="5"><si><t>姓名</t></si>
        <si><r><rPr><b/></rPr><t>张</t></r><r><t xml:space="preserve">三 </t></r><rPh sb="0" eb="1"><t>チョウ</t></rPh></si>
        <si><t>a_x000D_b</t></si><si><t>出生日期</t></si><si><t>2026/11/30</t></si></sst>
        """
      let styles = """
        <styleSheet xmlns="\(Self.main)"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>
        <numFmt numFmtId="165" formatCode="0.00_ ;[Red]\\-0.00\\ "/></numFmts>
        <cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>
        <cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"><alignment/></xf><xf numFmtId="165"/>
        <xf numFmtId="20"/><xf numFmtId="49"/></cellXfs></styleSheet>
        """
      let sheet = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <x:worksheet xmlns:x="\(Self.main)"><x:sheetViews><x:sheetView workbookViewId="0"/></x:sheetViews><x:sheetData>
        <x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>3</x:v></x:c>
        <x:c t="inlineStr"><x:is><x:t>时间</x:t></x:is></x:c><x:c r="AA1" t="inlineStr"><x:is><x:t>远列</x:t></x:is></x:c></x:row>
        <x:row r="3" spans="1:27"><x:c r="A3" t="s"><x:v>1</x:v></x:c><x:c r="B3" s="1"><x:v>46356</x:v></x:c>
        <x:c s="4"><x:v>0.5</x:v></x:c><x:c r="D3" s="3"><x:v>1.5</x:v></x:c><x:c r="E3" s="5"><x:v>7</x:v></x:c>
        <x:c r="AA3"><x:v>3.0</x:v></x:c></x:row>
        <x:row><x:c t="b"><x:v>1</x:v></x:c><x:c s="2"><x:v>46356.75</x:v></x:c><x:c t="e"><x:v>#N/A</x:v></x:c>
        <x:c><x:f>SUM(1,2)</x:f><x:v>3</x:v></x:c><x:c t="s"><x:v>4</x:v></x:c><x:c t="s"><x:v>2</x:v></x:c>
        <x:c t="d"><x:v>2026-11-30T08:05:07</x:v></x:c></x:row>
        <x:row r="6"><x:c r="A6" s="2"/><x:c r="B6" t="s"/></x:row>
        <x:row r="7"><x:c r="A7"><x:v>1E+17</x:v></x:c><x:c r="B7"><x:v>-0.25</x:v></x:c></x:row>
        </x:sheetData><x:mergeCells count="1"><x:mergeCell ref="B3:C3"/></x:mergeCells></x:worksheet>
        """
      let workbook = """
        <workbook xmlns="\(Self.main)" xmlns:r="\(Self.relationships)"><workbookPr defaultThemeVersion="124226"/>
        <sheets><sheet name="登记表" sheetId="2" r:id="rId7"/><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>
        """
      let file = directory.appendingPathComponent("other.xlsx")
      try Self.workbookZip(
        workbook: workbook,
        relationships: [
          ("rId1", "worksheet", "worksheets/sheet1.xml"), ("rId7", "worksheet", "/xl/worksheets/data.xml"),
          ("rId3", "sharedStrings", "sharedStrings.xml"), ("rId4", "styles", "styles.xml"),
        ],
        parts: [
          (
            "xl/worksheets/sheet1.xml",
            Self.sheet("<row r=\"1\"><c t=\"inlineStr\"><is><t>wrong sheet</t></is></c></row>")
          ),
          ("xl/worksheets/data.xml", sheet), ("xl/sharedStrings.xml", strings), ("xl/styles.xml", styles),
        ]
      ).write(to: file)

      let reader = try SpreadsheetReader.open(file)
      #expect(reader.header.count == 27)
      #expect(Array(reader.header.prefix(4)) == ["姓名", "出生日期", "时间", ""])
      #expect(reader.header[26] == "远列")
      let rows = try Self.allRows(reader)
      #expect(rows.map(\.number) == [3, 4, 7])
      let empties = [SpreadsheetCell](repeating: .empty, count: 20)
      #expect(
        rows[0].cells == [
          .text("张三 "), .date(year: 2026, month: 11, day: 30), .dateTime(Date(timeIntervalSince1970: -2_209_060_800)),
          .decimal(1.5), .integer(7), .empty,
        ] + empties + [.integer(3)])
      #expect(
        rows[1].cells == [
          .text("TRUE"), .dateTime(Date(timeIntervalSince1970: 1_796_032_800)), .text("#N/A"), .formula("SUM(1,2)"),
          .text("2026/11/30"), .text("a\rb"), .dateTime(Self.morning),
        ] + empties)
      #expect(
        rows[2].cells == [.integer(100_000_000_000_000_000), .decimal(-0.25)]
          + [SpreadsheetCell](repeating: .empty, count: 25))
    }
  }

  @Test("the 1904 date system counts from 1904-01-01")
  func xlsx1904() throws {
    try Self.withDirectory { directory in
      let file = directory.appendingPathComponent("mac.xlsx")
      try Self.workbookZip(
        workbook: Self.simpleWorkbook(properties: #"<workbookPr date1904="1"/>"#),
        relationships: [("rId1", "worksheet", "worksheets/sheet1.xml"), ("rId2", "styles", "styles.xml")],
        parts: [
          (
            "xl/worksheets/sheet1.xml",
            Self.sheet(#"<row><c t="inlineStr"><is><t>日期</t></is></c></row><row><c s="1"><v>44894</v></c></row>"#)
          ),
          (
            "xl/styles.xml",
            #"<styleSheet xmlns="\#(Self.main)"><cellXfs><xf/><xf numFmtId="14"/></cellXfs></styleSheet>"#
          ),
        ]
      ).write(to: file)
      let rows = try Self.allRows(try SpreadsheetReader.open(file))
      #expect(rows.map(\.cells) == [[.date(year: 2026, month: 11, day: 30)]])
    }
  }

  @Test("what is no spreadsheet is refused, saying what it looks like")
  func notSpreadsheets() throws {
    try Self.withDirectory { directory in
      let pdf = Array("%PDF-1.7\n%âãÏÓ\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".utf8)
      #expect(Self.openingError(pdf, in: directory) == .notASpreadsheet(SpreadsheetLookalike.pdf.rawValue))
      var generator = SystemRandomNumberGenerator()
      let random = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
      #expect(Self.openingError(random, in: directory) == .notASpreadsheet(SpreadsheetLookalike.binary.rawValue))
      let docx = Self.storedZip([
        ("[Content_Types].xml", Array("<Types/>".utf8)), ("word/document.xml", Array("<w:document/>".utf8)),
      ])
      #expect(Self.openingError(docx, in: directory) == .notASpreadsheet(SpreadsheetLookalike.wordDocument.rawValue))
      let zip = Self.storedZip([("notes.txt", Array("hello".utf8))])
      #expect(Self.openingError(zip, in: directory) == .notASpreadsheet(SpreadsheetLookalike.zip.rawValue))
      let utf16: [UInt8] = [0xFF, 0xFE] + "姓名\t年龄\r\n".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
      #expect(Self.openingError(utf16, in: directory) == .notASpreadsheet(SpreadsheetLookalike.utf16Text.rawValue))
      let page = Array("<html><body><table><tr><td>姓名</td></tr></table></body></html>".utf8)
      #expect(Self.openingError(page, in: directory) == .notASpreadsheet(SpreadsheetLookalike.markup.rawValue))
      #expect(
        Self.openingError(Self.compoundFile(streams: ["Workbook"]), in: directory)
          == .notASpreadsheet(SpreadsheetLookalike.legacyWorkbook.rawValue))
      let latin1 = Array("Name,Stra\u{DF}e\n".data(using: .isoLatin1)!) + [0xFF, 0x0A]
      #expect(Self.openingError(latin1, in: directory) == .notASpreadsheet(SpreadsheetLookalike.otherEncoding.rawValue))
    }
  }

  @Test("a password-protected workbook, an OLE2 file with an EncryptedPackage stream, is refused as encrypted")
  func encryptedWorkbook() throws {
    try Self.withDirectory { directory in
      let file = Self.compoundFile(streams: ["EncryptionInfo", "EncryptedPackage"])
      #expect(Self.openingError(file, in: directory, name: "protected.xlsx") == .encrypted)
      #expect(SpreadsheetError.encrypted.chinese.contains("密码"))
    }
  }

  @Test("a file over the size limit is refused before it is read")
  func tooLarge() throws {
    try Self.withDirectory { directory in
      let csv = Array("姓名\n张三\n".utf8)
      #expect(Self.openingError(csv, in: directory, maximumBytes: 10) == .tooLarge(bytes: csv.count, limit: 10))
      let error = SpreadsheetError.tooLarge(bytes: 65_536_000, limit: 50 * 1024 * 1024)
      #expect(error.chinese == "文件大小 62.5 MB，超过 50 MB 上限")
      #expect(error.english == "The file is 62.5 MB, over the 50 MB limit")
    }
  }

  @Test("a worksheet that would unpack to more than 512 MiB (a zip bomb) is refused by its declared size")
  func zipBomb() throws {
    try Self.withDirectory { directory in
      let declared: UInt32 = 600 * 1024 * 1024
      let bytes = Self.storedZip(
        Self.workbookParts(
          workbook: Self.simpleWorkbook(), relationships: [("rId1", "worksheet", "worksheets/sheet1.xml")],
          parts: [("xl/worksheets/sheet1.xml", Self.sheet("<row><c><v>1</v></c></row>"))]),
        declaring: ["xl/worksheets/sheet1.xml": declared])
      #expect(Self.openingError(bytes, in: directory) == .tooLarge(bytes: Int(declared), limit: 512 * 1024 * 1024))
    }
  }

  @Test("a row with more than the maximum columns is refused, in CSV and XLSX")
  func tooManyColumns() throws {
    try Self.withDirectory { directory in
      let header = (1...5).map { "列\($0)" }.joined(separator: ",")
      let wide = (1...101).map { "v\($0)" }.joined(separator: ",")
      let csv = Array("\(header)\r\n1,2\r\n\(wide)\r\n".utf8)
      #expect(Self.openingError(csv, in: directory) == .tooManyColumns(row: 3, count: 101, limit: 100))
      // Empty fields after the last value do not count, as Excel pads rows with commas.
      let padded = Array("\(header)\r\n1,2\(String(repeating: ",", count: 200))\r\n".utf8)
      #expect(Self.openingError(padded, in: directory) == nil)
      let sheet = Self.sheet(
        #"<row r="1"><c r="A1" t="inlineStr"><is><t>名</t></is></c><c r="CX1" t="inlineStr"><is><t>远</t></is></c></row>"#
          + #"<row r="2"><c r="XFD2" s="1"/></row>"#)
      let xlsx = Self.storedZip(
        Self.workbookParts(
          workbook: Self.simpleWorkbook(), relationships: [("rId1", "worksheet", "worksheets/sheet1.xml")],
          parts: [("xl/worksheets/sheet1.xml", sheet)]))
      #expect(Self.openingError(xlsx, in: directory) == .tooManyColumns(row: 1, count: 102, limit: 100))
      #expect(SpreadsheetError.tooManyColumns(row: 1, count: 102, limit: 100).chinese == "第 1 行有 102 列，超过 100 列上限")
    }
  }

  @Test("merged cells touching the header row are refused; merges below it are not")
  func mergedHeader() throws {
    try Self.withDirectory { directory in
      func workbook(_ merges: String) -> [UInt8] {
        let sheet = Self.sheet(
          #"<row r="1"><c t="inlineStr"><is><t>小区</t></is></c><c t="inlineStr"><is><t>楼栋</t></is></c></row>"#
            + #"<row r="2"><c t="inlineStr"><is><t>翠苑</t></is></c></row>"#,
          after: merges)
        return Self.storedZip(
          Self.workbookParts(
            workbook: Self.simpleWorkbook(), relationships: [("rId1", "worksheet", "worksheets/sheet1.xml")],
            parts: [("xl/worksheets/sheet1.xml", sheet)]))
      }
      let title = #"<mergeCells count="2"><mergeCell ref="A2:B3"/><mergeCell ref="A1:C1"/></mergeCells>"#
      #expect(Self.openingError(workbook(title), in: directory) == .mergedHeader("A1:C1"))
      let down = #"<mergeCells count="1"><mergeCell ref="B1:B2"/></mergeCells>"#
      #expect(Self.openingError(workbook(down), in: directory) == .mergedHeader("B1:B2"))
      let body = #"<mergeCells count="1"><mergeCell ref="A2:B3"/></mergeCells>"#
      #expect(Self.openingError(workbook(body), in: directory) == nil)
    }
  }

  @Test("an empty file, a file of blank lines and a workbook without values have no header")
  func noHeader() throws {
    try Self.withDirectory { directory in
      #expect(Self.openingError([], in: directory) == .noHeader)
      #expect(Self.openingError(Array("\r\n,,\r\n\r\n".utf8), in: directory) == .noHeader)
      let blank = Self.storedZip(
        Self.workbookParts(
          workbook: Self.simpleWorkbook(), relationships: [("rId1", "worksheet", "worksheets/sheet1.xml")],
          parts: [("xl/worksheets/sheet1.xml", Self.sheet(#"<row r="1"><c r="A1" s="1"/></row>"#))]))
      #expect(Self.openingError(blank, in: directory) == .noHeader)
    }
  }

  @Test("broken quoting, broken XML and a damaged zip are malformed")
  func malformed() throws {
    try Self.withDirectory { directory in
      let unclosed = Array("姓名,备注\r\n张三,\"没有结束\r\n李四,好\r\n".utf8)
      #expect(
        Self.openingError(unclosed, in: directory)
          == .malformed("row 2, column 2: a quoted field is never closed"))
      let trailing = Array("姓名,备注\r\n\"张三\"x,好\r\n".utf8)
      #expect(
        Self.openingError(trailing, in: directory)
          == .malformed("row 2, column 1: text after the closing quote"))
      let truncated = Self.storedZip(
        Self.workbookParts(
          workbook: Self.simpleWorkbook(), relationships: [("rId1", "worksheet", "worksheets/sheet1.xml")],
          parts: [
            (
              "xl/worksheets/sheet1.xml",
              #"<worksheet xmlns="\#(Self.main)"><sheetData><row r="1"><c t="inlineStr"><is><t>名</t></is></c></row>"#
            )
          ]))
      guard case .malformed(let detail) = Self.openingError(truncated, in: directory) else {
        Issue.record("a truncated sheet was not refused as malformed")
        return
      }
      #expect(detail.contains("ends inside <sheetData>"))
      let entity = Self.storedZip(
        Self.workbookParts(
          workbook: Self.simpleWorkbook(), relationships: [("rId1", "worksheet", "worksheets/sheet1.xml")],
          parts: [
            (
              "xl/worksheets/sheet1.xml",
              #"<!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet xmlns="\#(Self.main)"><sheetData/></worksheet>"#
            )
          ]))
      guard case .malformed = Self.openingError(entity, in: directory) else {
        Issue.record("a document type declaration was not refused")
        return
      }
      let cut = Array(Self.storedZip([("xl/workbook.xml", Array("<workbook/>".utf8))]).prefix(40))
      guard case .malformed = Self.openingError(cut, in: directory) else {
        Issue.record("a damaged zip was not refused as malformed")
        return
      }
    }
  }

  @Test("50,000 rows are written and read back, every one counted")
  func manyRows() async throws {
    // The work runs on a thread of its own: a long synchronous test holding one of the few
    // threads of Swift's concurrency pool starves the timing tests that run beside it. The
    // million-row export is measured by the benchmark, not here.
    let rows = 50_000
    let outcome = try await Self.onOwnThread {
      try Self.withDirectory { directory in
        let writer = try XLSXWriter(directory: directory)
        try writer.startSheet(name: "住户", header: ["序号", "姓名", "面积", "入住日期", "备注"])
        for index in 1...rows {
          try writer.append([
            .integer(Int64(index)), .text("住户\(index)"), .decimal(Double(index) / 4),
            .date(year: 2000 + index % 27, month: index % 12 + 1, day: index % 28 + 1),
            .text(index % 2 == 0 ? "党员" : ""),
          ])
        }
        let written = writer.rowCount
        let file = directory.appendingPathComponent("many.xlsx")
        try writer.finish(to: file)
        let reader = try SpreadsheetReader.open(file)
        var count = 0
        var numbersInOrder = true
        var last: SpreadsheetRows.Element?
        let read = try reader.rows()
        for row in read {
          count += 1
          numbersInOrder = numbersInOrder && row.number == count + 1
          last = row
        }
        return (written, count, numbersInOrder, last?.number, last?.cells[1], read.error)
      }
    }
    #expect(outcome.0 == rows)
    #expect(outcome.5 == nil)
    #expect(outcome.1 == rows)
    #expect(outcome.2)
    #expect(outcome.3 == rows + 1)
    #expect(outcome.4 == .text("住户\(rows)"))
  }

  /// Runs `body` on a new thread and answers what it returned.
  static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      Thread {
        do {
          continuation.resume(returning: try body())
        } catch {
          continuation.resume(throwing: error)
        }
      }.start()
    }
  }

  // MARK: - The Python test's samples

  /// The content of sample.xlsx (and, through `CSVWriter`, sample.csv) that the Python test
  /// checks with openpyxl, LibreOffice and Python's csv module.
  enum Samples {
    static let header = ["姓名", "房号", "面积（㎡）", "入住日期", "登记时间", "备注"]
    static let rows: [[SpreadsheetCell]] = [
      [
        .text("张三"), .integer(101), .decimal(89.5), .date(year: 2026, month: 11, day: 30),
        .dateTime(Date(timeIntervalSince1970: 1_795_997_100)), .text("党员 & 志愿者 <组长>"),
      ],
      [
        .text("李四"), .integer(1202), .decimal(120.25), .date(year: 1999, month: 1, day: 1),
        .dateTime(Date(timeIntervalSince1970: 1_767_283_140)), .text("=SUM(1,2)"),
      ],
      [
        .text("王五"), .integer(-3), .decimal(0.1), .date(year: 2000, month: 2, day: 29),
        .dateTime(Date(timeIntervalSince1970: 951_798_600)), .text("第一行\n第二行, \"引号\""),
      ],
      [.text("赵六"), .empty, .empty, .empty, .empty, .text("  前后空格  ")],
    ]
    static let secondSheet = (name: "说明", header: ["项目", "值"], row: [SpreadsheetCell.text("户数"), .integer(4)])
  }

  @Test(
    "writes the Python test's sample.xlsx and sample.csv into SPREADSHEET_SAMPLE_DIR",
    .enabled(if: ProcessInfo.processInfo.environment["SPREADSHEET_SAMPLE_DIR"] != nil))
  func writesSamples() throws {
    let directory = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SPREADSHEET_SAMPLE_DIR"]!)
    let writer = try XLSXWriter(directory: directory.appendingPathComponent("parts"))
    try writer.startSheet(name: "住户名册", header: Samples.header)
    for row in Samples.rows { try writer.append(row) }
    try writer.startSheet(name: Samples.secondSheet.name, header: Samples.secondSheet.header)
    try writer.append(Samples.secondSheet.row)
    try writer.finish(to: directory.appendingPathComponent("sample.xlsx"))

    var csv = CSVWriter()
    var bytes = csv.row(Samples.header.map { .text($0) })
    for row in Samples.rows { bytes += csv.row(row) }
    try Data(bytes).write(to: directory.appendingPathComponent("sample.csv"))
  }

  @Test(
    "reads every file in SPREADSHEET_READ_DIR and writes what it read to read.jsonl there",
    .enabled(if: ProcessInfo.processInfo.environment["SPREADSHEET_READ_DIR"] != nil))
  func readsListedFiles() throws {
    let directory = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SPREADSHEET_READ_DIR"]!)
    var lines: [String] = []
    func line(_ object: [String: Any]) throws {
      lines.append(
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
    }
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0 != "read.jsonl" }
      .sorted()
    for name in names {
      do {
        let reader = try SpreadsheetReader.open(directory.appendingPathComponent(name))
        try line(["file": name, "header": reader.header])
        for row in try Self.allRows(reader) {
          try line(["file": name, "row": row.number, "cells": row.cells.map(Self.json)])
        }
      } catch let error as SpreadsheetError {
        try line(["file": name, "error": "\(error)", "english": error.english, "chinese": error.chinese])
      }
    }
    try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: directory.appendingPathComponent("read.jsonl"))
  }

  /// A cell as the Python test reads it: null, or one key naming the kind.
  static func json(_ cell: SpreadsheetCell) -> Any {
    switch cell {
    case .empty: return NSNull()
    case .text(let text): return ["text": text]
    case .integer(let number): return ["integer": number]
    case .decimal(let number): return ["decimal": number]
    case .date(let year, let month, let day):
      return ["date": SpreadsheetCalendar.text(year: year, month: month, day: day)]
    case .dateTime(let date):
      let local = Int((date.timeIntervalSince1970 + Double(SpreadsheetCalendar.cityOffset)).rounded(.down))
      return ["dateTime": SpreadsheetCalendar.text(date) + ":" + SpreadsheetCalendar.padded((local % 60 + 60) % 60, 2)]
    case .formula(let formula): return ["formula": formula]
    }
  }

  // MARK: - Workbooks and zips made by hand

  static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
  static let relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

  /// A worksheet part with `rows` in its sheetData and `after` following it.
  static func sheet(_ rows: String, after: String = "") -> String {
    #"<worksheet xmlns="\#(main)"><sheetData>\#(rows)</sheetData>\#(after)</worksheet>"#
  }

  /// A workbook part listing one sheet, `rId1`.
  static func simpleWorkbook(properties: String = "") -> String {
    #"<workbook xmlns="\#(main)" xmlns:r="\#(relationships)">\#(properties)<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
  }

  /// The parts of a workbook package: content types, the package relationships, `workbook` with
  /// its `relationships` (id, type's last segment, target) and the other `parts`.
  static func workbookParts(
    workbook: String, relationships: [(String, String, String)], parts: [(String, String)]
  ) -> [(String, [UInt8])] {
    let links = relationships.map {
      #"<Relationship Id="\#($0.0)" Type="\#(Self.relationships)/\#($0.1)" Target="\#($0.2)"/>"#
    }
    let package = "http://schemas.openxmlformats.org/package/2006/relationships"
    return [
      ("[Content_Types].xml", #"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#),
      (
        "_rels/.rels",
        #"<Relationships xmlns="\#(package)"><Relationship Id="rId1" Type="\#(Self.relationships)/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
      ),
      ("xl/workbook.xml", workbook),
      ("xl/_rels/workbook.xml.rels", #"<Relationships xmlns="\#(package)">\#(links.joined())</Relationships>"#),
    ].map { ($0.0, Array($0.1.utf8)) } + parts.map { ($0.0, Array($0.1.utf8)) }
  }

  /// `workbookParts` zipped.
  static func workbookZip(
    workbook: String, relationships: [(String, String, String)], parts: [(String, String)]
  ) -> Data {
    Data(storedZip(workbookParts(workbook: workbook, relationships: relationships, parts: parts)))
  }

  /// A zip of `entries`, stored uncompressed (PKWARE APPNOTE 6.3 §4.3); `declaring` gives an
  /// entry a false uncompressed size, as a zip bomb's directory might.
  static func storedZip(_ entries: [(String, [UInt8])], declaring sizes: [String: UInt32] = [:]) -> [UInt8] {
    func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
    func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(value >> ($0 * 8) & 0xFF) } }
    var body: [UInt8] = []
    var directory: [UInt8] = []
    for (path, data) in entries {
      let name = Array(path.utf8)
      let crc = crc32(data)
      let size = UInt32(data.count)
      let declared = sizes[path] ?? size
      let offset = UInt32(body.count)
      // Version needed, flags (UTF-8 names), method (stored), time, date (1980-01-01), CRC,
      // sizes, name length, extra length: the same in the local header and the directory.
      var common: [UInt8] = le16(20) + le16(0x0800) + le16(0) + le16(0) + le16(0x21)
      common += le32(crc) + le32(size) + le32(declared)
      common += le16(name.count) + le16(0)
      body += le32(0x0403_4B50) + common
      body += name + data
      directory += le32(0x0201_4B50) + le16(20) + common
      // Comment length, disk, internal and external attributes, the local header's offset.
      directory += le16(0) + le16(0) + le16(0) + le32(0)
      directory += le32(offset) + name
    }
    var end: [UInt8] = le32(0x0605_4B50) + le16(0) + le16(0)
    end += le16(entries.count) + le16(entries.count)
    end += le32(UInt32(directory.count)) + le32(UInt32(body.count)) + le16(0)
    return body + directory + end
  }

  /// The CRC-32 of `bytes` (ISO 3309, as zip uses it).
  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  /// The start of an OLE2 compound file (MS-CFB): its signature and a directory sector naming
  /// `streams` (UTF-16LE, 128-byte entries), enough for the reader to tell what it is.
  static func compoundFile(streams: [String]) -> [UInt8] {
    var bytes: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 504)
    for name in ["Root Entry"] + streams {
      var entry: [UInt8] = name.utf16.flatMap { unit -> [UInt8] in [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
      entry += [0, 0]
      entry += [UInt8](repeating: 0, count: 128 - entry.count)
      bytes += entry
    }
    return bytes
  }
}
