// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "18c27d78c675b0e361bb25aa6cd3cab129c8ed1328b779d2b5f9cbd5f73b8210"
}
