// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "6227858cefea71dd21be523e78cab8f39a2fa22a9f0033d47db871e2a9d5af06"
}
