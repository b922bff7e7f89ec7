// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "72278cdd0d0df752950969a274d82b5a2f26928e2565087cc3e5fb7cd55a0c75"
}
