/// Bytes written as lowercase hexadecimal, two digits a byte: how digests are stored and
/// compared. Done by table, since it runs on every keyed lookup and `String(format:)` per byte
/// showed in profiles.
public enum Hex {
  private static let digits = Array("0123456789abcdef".utf8)

  public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
    var text: [UInt8] = []
    text.reserveCapacity(64)
    for byte in bytes {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
  }
}
