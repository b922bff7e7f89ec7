// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "9179ed3a0160cb6d96a2bd473edde1f2f4378e7585895299f05c7009512c8de4"
}
