// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "0d2ac6e2b2df23d3ce41881a727576c8210c650c5c3a1625ed21edfb8f243c8e"
}
