// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "50cad4fa940c521e969a2f2ec854ab49934df7fd2cd50d4ee12a993a403975c9"
}
