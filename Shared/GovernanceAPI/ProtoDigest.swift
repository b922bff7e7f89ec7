// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "fbfb7b1d86358a44a63eeae94c40d7c10ca15815b8aff70e2a09de81bb62a46f"
}
