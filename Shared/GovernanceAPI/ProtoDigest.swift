// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "7c082278554c0c716aa8049d9203f64bd2f3ed16b6571ab82629c126df94b437"
}
