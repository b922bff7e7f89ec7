// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "1d15f114307ecc563afce4a6521626c6a559650bea67b01bab8805755c44b9ca"
}
