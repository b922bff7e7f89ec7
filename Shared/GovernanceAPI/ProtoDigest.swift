// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "c53a7b53dbf1255fae89267a1933847bb1dcee86eb23ad319cf23a51f67705ca"
}
