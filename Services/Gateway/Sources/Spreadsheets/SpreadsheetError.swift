import Foundation

/// Why an uploaded file cannot be read as a spreadsheet, in words an office worker can act on
/// (`chinese` for the console and import reports, `english` for logs).
enum SpreadsheetError: Error, Equatable, Sendable {
  /// The file is `bytes` long, over `limit` bytes; for an XLSX part (a zip bomb) `bytes` is its
  /// size unpacked.
  case tooLarge(bytes: Int, limit: Int)
  /// Not an XLSX workbook nor a CSV file; what it looks like instead, a phrase such as
  /// `"a PDF document"` (`SpreadsheetLookalike`'s English words).
  case notASpreadsheet(String)
  /// A password-protected workbook: Office encrypts the whole package into an OLE2 compound
  /// file (MS-OFFCRYPTO), which only the password opens.
  case encrypted
  /// Row `row` (1-based, as the spreadsheet shows it) has `count` columns, up to its last
  /// non-empty cell, over `limit`.
  case tooManyColumns(row: Int, count: Int, limit: Int)
  /// A merged range touching the header row, `"A1:C1"`: a merged title above the columns leaves
  /// them without a header each.
  case mergedHeader(String)
  /// The file is empty, or no row has a value to be the header.
  case noHeader
  /// The file is broken: a damaged zip, malformed XML, or CSV quoting that does not close; what
  /// and where, in English.
  case malformed(String)

  /// The error in Chinese, e.g. "文件大小 62.5 MB，超过 50 MB 上限".
  var chinese: String {
    switch self {
    case .tooLarge(let bytes, let limit):
      return "文件大小 \(Self.megabytes(bytes)) MB，超过 \(Self.megabytes(limit)) MB 上限"
    case .notASpreadsheet(let lookalike):
      let seen = SpreadsheetLookalike(rawValue: lookalike)?.chinese ?? "无法识别的文件"
      return "文件不是 Excel 工作簿（.xlsx）或 CSV 文件，而是\(seen)；请在 Excel 或 WPS 中另存为 .xlsx 后再导入"
    case .encrypted:
      return "工作簿设有打开密码，无法读取；请在 Excel 中取消密码、另存为 .xlsx 后再导入"
    case .tooManyColumns(let row, let count, let limit):
      return "第 \(row) 行有 \(count) 列，超过 \(limit) 列上限"
    case .mergedHeader(let range):
      return "表头（第一行）含合并单元格 \(range)；请取消合并，使每一列各有一个列名"
    case .noHeader:
      return "文件为空，或没有表头行"
    case .malformed(let detail):
      return "文件已损坏或格式有误，无法读取（\(detail)）"
    }
  }

  /// The error in English, e.g. "The file is 62.5 MB, over the 50 MB limit".
  var english: String {
    switch self {
    case .tooLarge(let bytes, let limit):
      return "The file is \(Self.megabytes(bytes)) MB, over the \(Self.megabytes(limit)) MB limit"
    case .notASpreadsheet(let lookalike):
      return "The file is not an Excel workbook (.xlsx) or a CSV file but \(lookalike); save it as .xlsx and try again"
    case .encrypted:
      return "The workbook is password-protected; remove the password in Excel, save it as .xlsx and try again"
    case .tooManyColumns(let row, let count, let limit):
      return "Row \(row) has \(count) columns, over the limit of \(limit)"
    case .mergedHeader(let range):
      return "The header (first row) has merged cells \(range); unmerge them so that every column has its own name"
    case .noHeader:
      return "The file is empty or has no header row"
    case .malformed(let detail):
      return "The file is damaged or malformed: \(detail)"
    }
  }

  /// `bytes` in MiB (what people call MB), whole when it is, else to one decimal.
  static func megabytes(_ bytes: Int) -> String {
    let mebibytes = Double(bytes) / 1_048_576
    if mebibytes == mebibytes.rounded() { return String(Int(mebibytes)) }
    return String(format: "%.1f", mebibytes)
  }
}

/// What a file that is no spreadsheet looks like, told by its first bytes or its zip parts:
/// the raw value is the English phrase `SpreadsheetError.notASpreadsheet` carries.
enum SpreadsheetLookalike: String, CaseIterable, Sendable {
  case pdf = "a PDF document"
  case wordDocument = "a Word document (.docx)"
  case presentation = "a PowerPoint presentation (.pptx)"
  case openDocument = "an OpenDocument file (.ods or .odt)"
  case binaryWorkbook = "an Excel binary workbook (.xlsb)"
  case legacyWorkbook = "an Excel 97-2003 workbook (.xls)"
  case legacyOffice = "an Office 97-2003 document (.doc or .ppt)"
  case zip = "a zip archive without a workbook"
  case image = "an image"
  case archive = "a compressed archive (rar, 7z or gzip)"
  case richText = "an RTF document"
  case markup = "an HTML or XML file (for example a table saved as a web page)"
  case utf16Text = "UTF-16 text (Excel's \"Unicode Text\")"
  case otherEncoding = "text in an encoding other than UTF-8 or GB18030"
  case binary = "binary data"

  /// The same in Chinese, to follow "而是".
  var chinese: String {
    switch self {
    case .pdf: return "PDF 文档"
    case .wordDocument: return "Word 文档（.docx）"
    case .presentation: return "PowerPoint 演示文稿（.pptx）"
    case .openDocument: return "OpenDocument 文件（.ods 或 .odt）"
    case .binaryWorkbook: return "Excel 二进制工作簿（.xlsb）"
    case .legacyWorkbook: return "Excel 97-2003 工作簿（.xls）"
    case .legacyOffice: return "Office 97-2003 文档（.doc 或 .ppt）"
    case .zip: return "不含工作簿的压缩包"
    case .image: return "图片"
    case .archive: return "压缩包（rar、7z 或 gzip）"
    case .richText: return "RTF 文档"
    case .markup: return "HTML 或 XML 文件（例如另存为网页的表格）"
    case .utf16Text: return "UTF-16 文本（Excel 的“Unicode 文本”）"
    case .otherEncoding: return "既非 UTF-8 也非 GB18030 编码的文本"
    case .binary: return "二进制数据"
    }
  }
}
