// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "93d022260d39105e35cc1c56259ec377d75735353851158dab10c21ff06d8eb1"
}
