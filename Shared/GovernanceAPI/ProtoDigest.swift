// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "aa5a480a146944933d78a1bea835604ed7fddceb97f7776b8da8e3ff61364e1e"
}
