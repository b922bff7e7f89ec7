// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "85ce14ba377210e81ac484edd3b539c7638a37ff8c20c3c7c5ed5097447b31ba"
}
