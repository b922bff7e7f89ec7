// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "4a21bc26d32aab882d4778953a6c037d4e2c110a546d53b4ceb035ac691f8159"
}
