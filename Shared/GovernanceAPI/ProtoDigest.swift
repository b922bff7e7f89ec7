// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "bc554e03835f0c9a7042fb9d26a7c2610c394cf37a1f9fa5b1cf64336ee7b355"
}
