// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "7cb05ea803b7b9efc5c0093c42f893286f54581fc6d68edaff6c9d13eb3a7fbc"
}
