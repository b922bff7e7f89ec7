// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "94c928d16657b38189e0e817de1b55a20becba77dabd600f25d25ddcba82553f"
}
