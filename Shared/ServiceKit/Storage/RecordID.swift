import Foundation
import Synchronization

/// Server-assigned record identifiers: a short kind prefix and a ULID (48-bit millisecond time,
/// 80 random bits, Crockford base32), e.g. `org_01JDZ6Q5X1G2M3N4P5Q6R7S8T9`.
///
/// They sort by creation time, so "the next page after id X" is a plain index range, and the
/// prefix tells an operator reading a log which service and table an id belongs to.
///
/// Within a process they are strictly increasing (monotonic ULIDs): two records made in the same
/// millisecond, or while the clock steps back, still sort in the order they were made, so a
/// case's history read by id is in the order it happened.
public enum RecordID {
  private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
  private static let last = Mutex<UInt128>(0)

  public static func make(prefix: String, at date: Date = Date()) -> String {
    let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
    var generator = SystemRandomNumberGenerator()
    let high = UInt16.random(in: .min ... .max, using: &generator)
    let low = UInt64.random(in: .min ... .max, using: &generator)
    // 128 bits: 48 time bits, then 16 + 64 random bits, written as 26 base32 digits.
    let fresh = (UInt128(milliseconds) << 80) | (UInt128(high) << 64) | UInt128(low)
    var value = last.withLock { last -> UInt128 in
      // Same or earlier millisecond than the last id: count on from it instead of drawing anew.
      let next = fresh >> 80 > last >> 80 ? fresh : last + 1 + (UInt128(low) & 0xFFFF)
      last = next
      return next
    }
    var digits = [UInt8](repeating: 0, count: 26)
    for index in stride(from: 25, through: 0, by: -1) {
      digits[index] = alphabet[Int(value & 31)]
      value >>= 5
    }
    return "\(prefix)_\(String(decoding: digits, as: UTF8.self))"
  }
}
