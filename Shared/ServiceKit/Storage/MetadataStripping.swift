import Foundation

/// Removes what a picture says about where and how it was taken (a phone's EXIF carries the GPS
/// position of the resident's home, the camera's serial number, the time) from the copy shown to
/// people who do not handle the record. Only the image's own data and what a viewer needs to
/// draw it (colour profile, transparency, the JPEG's orientation) are kept.
public enum MetadataStripping {
  /// The picture without its metadata; nil for a PDF, which cannot be cleaned without rewriting.
  /// - Throws: `DomainError.invalidArgument` naming `field` when the file's structure is broken
  ///   (a segment or chunk running past the end).
  public static func stripped(_ content: Data, type: Attachments.MediaType, field: String) throws(DomainError)
    -> Data?
  {
    let bytes = [UInt8](content)
    let result: [UInt8]?
    switch type {
    case .jpeg: result = jpeg(bytes)
    case .png: result = png(bytes)
    case .webp: result = webp(bytes)
    case .pdf: return nil
    }
    guard let result else {
      throw DomainError.invalidArgument(field: field, rule: "is a well-formed \(type.rawValue) file")
    }
    return Data(result)
  }

  /// JPEG (ISO/IEC 10918-1 Annex B): keeps APP0 (JFIF), APP2 (ICC profile), APP14 (Adobe colour
  /// transform) and the frame; drops APP1 (EXIF, XMP), APP13 (IPTC), the other APPn and comments.
  /// The EXIF orientation is written back alone, so a photo taken upright still shows upright.
  static func jpeg(_ bytes: [UInt8]) -> [UInt8]? {
    var output: [UInt8] = [0xFF, 0xD8]
    var index = 2
    var orientation: UInt16?
    var wroteOrientation = false
    while index + 2 <= bytes.count {
      guard bytes[index] == 0xFF else { return nil }
      let marker = bytes[index + 1]
      if marker == 0xFF {
        index += 1
        continue
      }
      if marker == 0xD9 {
        // The end of the image: whatever follows (a second picture with its own EXIF, as phones
        // append for motion and depth photos) is not kept.
        output += [0xFF, 0xD9]
        return output
      }
      guard index + 4 <= bytes.count else { return nil }
      let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
      guard length >= 2, index + 2 + length <= bytes.count else { return nil }
      let segment = bytes[index..<(index + 2 + length)]
      let payload = bytes[(index + 4)..<(index + 2 + length)]
      let isApp = (0xE0...0xEF).contains(marker)
      if marker == 0xE1, orientation == nil { orientation = exifOrientation(Array(payload)) }
      if !wroteOrientation, !isApp, marker != 0xFE {
        // The first segment after the application segments: the orientation goes here, after JFIF.
        if let orientation, orientation != 1 { output += orientationSegment(orientation) }
        wroteOrientation = true
      }
      if !isApp && marker != 0xFE || [0xE0, 0xE2, 0xEE].contains(marker) {
        output += segment
      }
      index += 2 + length
      if marker == 0xDA {
        // The scan's compressed data runs to the next marker: an FF not followed by a stuffed 00
        // or a restart marker (D0–D7). A progressive image has several scans, tables between.
        let start = index
        while index + 1 < bytes.count {
          if bytes[index] == 0xFF, bytes[index + 1] != 0x00, !(0xD0...0xD7).contains(bytes[index + 1]) { break }
          index += 1
        }
        guard index + 1 < bytes.count else { return nil }
        output += bytes[start..<index]
      }
    }
    return nil
  }

  /// The Orientation (tag 0x0112) of an APP1 EXIF payload (`Exif\0\0` and a TIFF header, CIPA
  /// DC-008), or nil.
  static func exifOrientation(_ payload: [UInt8]) -> UInt16? {
    guard payload.count >= 14, payload.starts(with: Array("Exif".utf8) + [0, 0]) else { return nil }
    let tiff = Array(payload[6...])
    let little = tiff[0] == 0x49
    func u16(_ at: Int) -> UInt16? {
      guard at + 2 <= tiff.count else { return nil }
      return little ? UInt16(tiff[at]) | UInt16(tiff[at + 1]) << 8 : UInt16(tiff[at]) << 8 | UInt16(tiff[at + 1])
    }
    func u32(_ at: Int) -> Int? {
      guard at + 4 <= tiff.count else { return nil }
      let b = tiff[at..<(at + 4)].map(Int.init)
      return little ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]
    }
    guard let first = u32(4), let count = u16(first) else { return nil }
    for entry in 0..<Int(count) {
      let at = first + 2 + entry * 12
      guard let tag = u16(at) else { return nil }
      if tag == 0x0112, let value = u16(at + 8), (1...8).contains(value) { return value }
    }
    return nil
  }

  /// An APP1 segment holding an EXIF block with the Orientation alone (big-endian TIFF).
  static func orientationSegment(_ orientation: UInt16) -> [UInt8] {
    let tiff: [UInt8] =
      [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08]  // "MM", 42, IFD0 at 8
      + [0x00, 0x01]  // one entry
      + [0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]  // Orientation, SHORT, count 1
      + [UInt8(orientation >> 8), UInt8(orientation & 0xFF), 0x00, 0x00]
      + [0x00, 0x00, 0x00, 0x00]  // no next IFD
    let payload = Array("Exif".utf8) + [0, 0] + tiff
    let length = payload.count + 2
    return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
  }

  /// PNG chunks a viewer needs (ISO/IEC 15948 §11): the critical ones and those that change how
  /// pixels look, with APNG's animation chunks. Text (tEXt, zTXt, iTXt), eXIf, tIME and any
  /// chunk not named here are dropped.
  static let keptPNGChunks: Set<String> = [
    "IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "bKGD", "pHYs", "acTL", "fcTL",
    "fdAT",
  ]

  static func png(_ bytes: [UInt8]) -> [UInt8]? {
    var output = Array(bytes.prefix(8))
    var index = 8
    while index + 12 <= bytes.count {
      let length = bytes[index..<(index + 4)].reduce(0) { $0 << 8 | Int($1) }
      guard length <= bytes.count - index - 12 else { return nil }
      let type = String(decoding: bytes[(index + 4)..<(index + 8)], as: UTF8.self)
      let end = index + 12 + length
      if keptPNGChunks.contains(type) { output += bytes[index..<end] }
      index = end
      if type == "IEND" { return output }
    }
    return nil
  }

  /// WebP (RFC 9649): drops the EXIF and XMP chunks and clears their flags in VP8X.
  static func webp(_ bytes: [UInt8]) -> [UInt8]? {
    guard bytes.count >= 12 else { return nil }
    var chunks: [UInt8] = []
    var index = 12
    while index + 8 <= bytes.count {
      let type = String(decoding: bytes[index..<(index + 4)], as: UTF8.self)
      let size = bytes[(index + 4)..<(index + 8)].reversed().reduce(0) { $0 << 8 | Int($1) }
      let padded = size + (size & 1)
      guard size <= bytes.count - index - 8 else { return nil }
      let end = min(index + 8 + padded, bytes.count)
      if type != "EXIF" && type != "XMP " {
        var chunk = Array(bytes[index..<end])
        if type == "VP8X", chunk.count > 8 { chunk[8] &= ~UInt8(0x08 | 0x04) }
        chunks += chunk
      }
      index = end
    }
    let size = UInt32(chunks.count + 4)
    return Array("RIFF".utf8) + [
      UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 24),
    ]
      + Array("WEBP".utf8) + chunks
  }
}
