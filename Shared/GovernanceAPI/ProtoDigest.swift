// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "b1faf5abe2d8ae0c028392c42c205a1ca6ee1352b46b873d223b0db22c3653fc"
}
