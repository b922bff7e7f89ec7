// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "fa4bad64d800f4614865372f1a0f22a556f526934a1fcba4e0fed46aa61e5e30"
}
