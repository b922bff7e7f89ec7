// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "870efb18969aba329e355c09f0594719ec5e666d2a1115739a691eb8c393aeb7"
}
