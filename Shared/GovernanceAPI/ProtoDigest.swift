// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "ef4654efe103124040d2614b160e4ddd2acc66d8f1f4356aa53d2d063767b0cd"
}
