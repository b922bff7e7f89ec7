// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "328261d79690103c17ffd84bed7cc0ea6c30f2b14bf2e3a587c940af8dadae67"
}
