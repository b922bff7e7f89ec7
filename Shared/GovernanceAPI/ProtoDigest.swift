// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "fed9719c1ce0414cc20bccd2d520b1beb5823d2ee427c1988bf6268545960a0f"
}
