// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "daf918f27aabc5e9ea7661bb1dbe4c419abe868c9ec394532ea7794f2fc7ce42"
}
