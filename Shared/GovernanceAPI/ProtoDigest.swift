// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "9804d9b9eb56baf78d9cefdd4805aaa560cc7971f5e664c643315d3d647b86c3"
}
