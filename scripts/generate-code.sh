#!/usr/bin/env bash
# Regenerates Shared/GovernanceAPI from the contracts in proto/.
#
# Builds the two protoc plugins from the package's own dependencies (swift-protobuf and
# grpc-swift-protobuf), runs Debian's protoc over every .proto file, and records a digest of
# proto/ so that a test fails when a contract changed but the code was not regenerated.
# The output is committed: a build never needs protoc.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v protoc >/dev/null; then
  echo "protoc not found: install Debian's protobuf-compiler (apt-get install protobuf-compiler)" >&2
  exit 1
fi

swift build --product protoc-gen-swift
swift build --product protoc-gen-grpc-swift-2
bin="$(swift build --show-bin-path)"

out=Shared/GovernanceAPI
rm -f "$out"/*.pb.swift "$out"/*.grpc.swift "$out"/ProtoDigest.swift "$out"/DescriptorSet.swift "$out"/MethodCatalog.swift "$out"/DivisionFields.swift

mapfile -t protos < <(cd proto && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
(
  cd proto
  protoc -I . \
    --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" \
    --swift_out="../$out" \
    --swift_opt=Visibility=Public \
    --swift_opt=FileNaming=PathToUnderscores \
    --grpc-swift-2_out="../$out" \
    --grpc-swift-2_opt=Visibility=Public \
    --grpc-swift-2_opt=FileNaming=PathToUnderscores \
    "${protos[@]}"
)

python3 scripts/generate-catalog.py

# Every contract with the well-known types it imports, for server reflection: grpcurl, Postman and
# other reflection clients read the contracts from the running service.
descriptors="$(mktemp)"
trap 'rm -f "$descriptors"' EXIT
(cd proto && protoc -I . --include_imports --descriptor_set_out="$descriptors" "${protos[@]}")
{
  cat <<'SWIFT'
// DO NOT EDIT. Written by scripts/generate-code.sh.

import Foundation

/// Every contract in proto/ with the well-known types it imports, as one serialized
/// `google.protobuf.FileDescriptorSet` (`protoc --include_imports`): what server reflection
/// describes.
public enum DescriptorSet {
  /// The serialized `FileDescriptorSet`.
  public static var serialized: Data { Data(base64Encoded: base64, options: .ignoreUnknownCharacters)! }

  private static let base64 = """
SWIFT
  base64 -w 100 "$descriptors" | sed 's/^/    /'
  cat <<'SWIFT'
    """
}
SWIFT
} > "$out/DescriptorSet.swift"

digest="$(scripts/proto-digest.sh)"
cat > "$out/ProtoDigest.swift" <<SWIFT
// DO NOT EDIT. Written by scripts/generate-code.sh.

/// The digest of proto/ when this code was generated; a test compares it with proto/ as it is now.
public enum ProtoDigest {
  public static let sha256 = "$digest"
}
SWIFT
echo "generated ${#protos[@]} contracts into $out (proto digest $digest)"
