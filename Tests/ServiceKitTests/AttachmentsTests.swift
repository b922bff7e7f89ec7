import Foundation
import Testing

@testable import ServiceKit

@Suite("Attachments: type by content, metadata stripped, the handlers see the original")
struct AttachmentsTests {
  static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
    let length = payload.count + 2
    return [0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
  }

  /// A JPEG's structure (not a decodable image): JFIF, an EXIF block with Orientation 6 and a
  /// GPS IFD pointer (little-endian TIFF), a comment, a quantisation table, the scan.
  static let jpegWithExif: [UInt8] = {
    let tiff: [UInt8] =
      [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x02, 0x00]
      + [0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00]
      + [0x25, 0x88, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x26, 0x00, 0x00, 0x00]
      + [0x00, 0x00, 0x00, 0x00] + Array("GPS 32.0603N 118.7969E".utf8)
    return [0xFF, 0xD8] + segment(0xE0, Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0])
      + segment(0xE1, Array("Exif".utf8) + [0, 0] + tiff) + segment(0xFE, Array("taken at home".utf8))
      + segment(0xDB, [0] + Array(repeating: 1, count: 64)) + segment(0xDA, [1, 1, 0, 0, 63, 0])
      + [0x12, 0x34, 0xFF, 0x00, 0x56] + [0xFF, 0xD9]
  }()

  @Test("a file's type is judged by its first bytes, never by its name")
  func aFilesTypeIsJudgedByItsContent() throws {
    #expect(Attachments.mediaType(of: Data(Self.jpegWithExif)) == .jpeg)
    #expect(Attachments.mediaType(of: Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0])) == .png)
    #expect(Attachments.mediaType(of: Data(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8))) == .webp)
    #expect(Attachments.mediaType(of: Data("%PDF-1.7\n".utf8)) == .pdf)
    for refused in [Data("<html><script>alert(1)</script>".utf8), Data("GIF89a".utf8), Data()] {
      #expect(throws: DomainError.self) { try Attachments.checkContent(refused, field: "content") }
    }
    let large = Data([0xFF, 0xD8, 0xFF]) + Data(count: Attachments.maximumBytes)
    #expect {
      try Attachments.checkContent(large, field: "content")
    } throws: { error in
      guard case .invalidArgument(let field, _) = error as? DomainError else { return false }
      return field == "content"
    }
  }

  @Test("a JPEG loses its EXIF, comments and GPS but keeps its frame and orientation")
  func aJPEGLosesItsEXIFButKeepsItsOrientation() throws {
    let stripped = try #require(
      try MetadataStripping.stripped(Data(Self.jpegWithExif), type: .jpeg, field: "content"))
    let bytes = [UInt8](stripped)
    #expect(bytes.firstRange(of: Array("GPS".utf8)) == nil)
    #expect(bytes.firstRange(of: Array("taken at home".utf8)) == nil)
    #expect(bytes.firstRange(of: Array("JFIF".utf8)) != nil)
    #expect(Array(bytes.suffix(8)) == [0, 0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD9])
    // The only APP1 left is the orientation alone: EXIF with Orientation 6.
    let exif = try #require(bytes.firstRange(of: Array("Exif".utf8) + [0, 0]))
    #expect(MetadataStripping.exifOrientation(Array(bytes[exif.lowerBound...])) == 6)
    #expect(throws: DomainError.self) {
      try MetadataStripping.stripped(Data(Self.jpegWithExif.prefix(30)), type: .jpeg, field: "content")
    }
  }

  @Test("a JPEG ends at its end-of-image marker: a second picture appended with its EXIF is not kept")
  func aJPEGEndsAtItsEndOfImageMarker() throws {
    let second =
      [0xFF, 0xD8] + Self.segment(0xE1, Array("Exif".utf8) + [0, 0] + Array("SECOND-GPS-SECRET".utf8))
      + Self.segment(0xDA, [1, 1, 0, 0, 63, 0]) + [0x77, 0xFF, 0xD9]
    // A progressive picture: two scans with a table between, restart markers in the data.
    let progressive =
      [0xFF, 0xD8] + Self.segment(0xDA, [1, 1, 0, 0, 63, 0]) + [0x01, 0xFF, 0xD0, 0x02]
      + Self.segment(0xC4, [0, 1, 2]) + Self.segment(0xED, Array("IPTC-SECRET".utf8))
      + Self.segment(0xDA, [1, 1, 0, 0, 63, 0]) + [0x03, 0xFF, 0x00, 0xFF, 0xD9]
    for picture in [Self.jpegWithExif + second, progressive] {
      let stripped = [UInt8](try #require(try MetadataStripping.stripped(Data(picture), type: .jpeg, field: "content")))
      #expect(stripped.firstRange(of: Array("SECRET".utf8)) == nil)
      #expect(Array(stripped.suffix(2)) == [0xFF, 0xD9])
    }
    let kept = [UInt8](
      try #require(try MetadataStripping.stripped(Data(progressive), type: .jpeg, field: "content")))
    #expect(kept.firstRange(of: [0x01, 0xFF, 0xD0, 0x02]) != nil && kept.firstRange(of: [0, 1, 2]) != nil)
  }

  static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let length = UInt32(data.count)
    return [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
      + Array(type.utf8) + data + [0, 0, 0, 0]
  }

  @Test("a PNG loses its text, eXIf and time chunks, and a WebP its EXIF and XMP with their flags")
  func aPNGAndAWebPLoseTheirMetadata() throws {
    let png =
      [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Self.pngChunk("IHDR", Array(repeating: 1, count: 13))
      + Self.pngChunk("tEXt", Array("Comment\u{0}home address".utf8)) + Self.pngChunk("eXIf", [1, 2, 3])
      + Self.pngChunk("tIME", [7, 234, 11, 30, 0, 0, 0]) + Self.pngChunk("IDAT", [9, 9])
      + Self.pngChunk("IEND", [])
    let cleanPNG = [UInt8](try #require(try MetadataStripping.stripped(Data(png), type: .png, field: "content")))
    #expect(cleanPNG.firstRange(of: Array("home address".utf8)) == nil)
    #expect(cleanPNG.firstRange(of: Array("eXIf".utf8)) == nil)
    #expect(cleanPNG.firstRange(of: Array("IDAT".utf8)) != nil)
    #expect(cleanPNG.count == png.count - (12 + 20) - (12 + 3) - (12 + 7))

    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
      let size = UInt32(data.count)
      return Array(type.utf8) + [UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), 0, 0] + data
        + (data.count % 2 == 1 ? [0] : [])
    }
    let chunks =
      chunk("VP8X", [0x0C, 0, 0, 0, 9, 0, 0, 9, 0, 0]) + chunk("VP8 ", [1, 2, 3, 4])
      + chunk("EXIF", Array("GPS!!".utf8))
      + chunk("XMP ", Array("<x/>".utf8))
    let size = UInt32(chunks.count + 4)
    let webp = Array("RIFF".utf8) + [UInt8(size & 0xFF), UInt8(size >> 8), 0, 0] + Array("WEBP".utf8) + chunks
    let cleanWebP = [UInt8](try #require(try MetadataStripping.stripped(Data(webp), type: .webp, field: "content")))
    #expect(cleanWebP.firstRange(of: Array("GPS".utf8)) == nil)
    #expect(cleanWebP.firstRange(of: Array("XMP ".utf8)) == nil)
    #expect(cleanWebP[20] == 0)  // VP8X flags: EXIF and XMP cleared
    let riffSize = Int(cleanWebP[4]) | Int(cleanWebP[5]) << 8 | Int(cleanWebP[6]) << 16 | Int(cleanWebP[7]) << 24
    #expect(riffSize == cleanWebP.count - 8)
    #expect(try MetadataStripping.stripped(Data("%PDF-1.7".utf8), type: .pdf, field: "content") == nil)
  }

  @Test("the staff who handle a record see its files as uploaded")
  func theStaffWhoHandleARecordSeeItsFilesAsUploaded() {
    let community = "320113005001"
    #expect(
      Attachments.seesOriginal(
        Principal(subject: "user:w", role: .gridWorker, scope: community), divisionCode: community))
    #expect(
      Attachments.seesOriginal(Principal(subject: "user:s", role: .street, scope: "320113005"), divisionCode: community)
    )
    #expect(
      !Attachments.seesOriginal(
        Principal(subject: "user:o", role: .street, scope: "320113004"), divisionCode: community))
    for role in [Role.propertyStaff, .evaluator, .auditor, .cityPlatform] {
      #expect(!Attachments.seesOriginal(Principal(subject: "x", role: role, scope: community), divisionCode: community))
    }
    #expect(!Attachments.seesOriginal(Principal(service: .grid), divisionCode: community))
  }

  @Test("files are kept once under their SHA-256")
  func filesAreKeptOnceUnderTheirSHA256() throws {
    let files = AttachmentFiles(databasePath: ":memory:")
    let digest = try files.store(Data("abc".utf8))
    // SHA-256("abc"), FIPS 180-2 Appendix B.1.
    #expect(digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(try files.store(Data("abc".utf8)) == digest)
    #expect(try files.content(sha256: digest) == Data("abc".utf8))
    #expect(throws: DomainError.self) { try files.content(sha256: "../../etc/passwd") }
  }
}
