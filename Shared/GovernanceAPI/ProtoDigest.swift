// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "68b18aff3d8110957fe1e18fe8205c3cded297a0b07da291424c4291bbefdbbd"
}
