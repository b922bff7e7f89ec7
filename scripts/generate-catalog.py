#!/usr/bin/env python3
"""Writes Shared/GovernanceAPI/MethodCatalog.swift and DivisionFields.swift from proto/.

The catalog lists every RPC of the five services with its request and response types, so the
gateway reaches a new RPC without a new route. DivisionFields marks every message that carries
a division_code (a record placed in a division) or a division_prefix (a query over a
jurisdiction), so every service can hold callers to their jurisdiction generically.
"""
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "Shared" / "GovernanceAPI"


def swift_prefix(package):
    return "_".join(part[:1].upper() + part[1:] for part in package.split(".")) + "_"


def swift_type(name, package):
    if name.startswith("google.protobuf."):
        return "Google_Protobuf_" + name.split(".")[-1]
    if "." in name:
        parts = name.split(".")
        return swift_prefix(".".join(parts[:-1])) + parts[-1]
    return swift_prefix(package) + name


methods, scoped, prefixed = [], [], []
for path in sorted((root / "proto" / "governance").rglob("*.proto")):
    text = re.sub(r"//[^\n]*", "", path.read_text(encoding="utf-8"))
    package = re.search(r"^\s*package\s+([\w.]+)\s*;", text, re.M).group(1)
    # The outbox is between the platform's own processes: never in the catalog the gateway serves.
    internal = package.startswith("governance.outbox.")
    for service, body in [] if internal else re.findall(r"service\s+(\w+)\s*\{(.*?)\n\}", text, re.S):
        for name, request, stream, response, options in re.findall(
            r"rpc\s+(\w+)\s*\(\s*([\w.]+)\s*\)\s*returns\s*\(\s*(stream\s+)?([\w.]+)\s*\)\s*(;|\{[^}]*\})", body
        ):
            safe = "idempotency_level = NO_SIDE_EFFECTS" in options
            methods.append((f"{package}.{service}", name, swift_type(request, package), swift_type(response, package),
                            bool(stream), safe))
    # Messages, nested ones named Outer.Inner, with the fields of each at its own depth.
    stack, depth_of = [], []
    depth = 0
    for token in re.finditer(r"message\s+(\w+)\s*\{|enum\s+\w+\s*\{|oneof\s+\w+\s*\{|\{|\}|string\s+(division_code|division_prefix)\s*=", text):
        if token.group(1):
            stack.append(token.group(1))
            depth += 1
            depth_of.append(depth)
        elif token.group(0).startswith(("enum", "oneof")) or token.group(0) == "{":
            depth += 1
        elif token.group(0) == "}":
            if depth_of and depth_of[-1] == depth:
                stack.pop()
                depth_of.pop()
            depth -= 1
        elif token.group(2) and stack:
            name = swift_prefix(package) + ".".join(stack)
            (scoped if token.group(2) == "division_code" else prefixed).append(name)

header = "// DO NOT EDIT. Written by scripts/generate-catalog.py from proto/.\n\n"
catalog = header + """import SwiftProtobuf

/// One RPC of the platform's services, with the types of its messages.
public struct CatalogMethod: Sendable {
  /// The fully qualified service, e.g. `governance.grid.v1.GridService`.
  public let service: String
  public let method: String
  public let input: any SwiftProtobuf.Message.Type
  public let output: any SwiftProtobuf.Message.Type
  public let serverStreaming: Bool
  /// Marked `idempotency_level = NO_SIDE_EFFECTS` in the contract: Connect's GET form may call it.
  public let noSideEffects: Bool

  /// `service/method`, as gRPC and Connect name it.
  public var fullName: String { "\\(service)/\\(method)" }
}

/// Every RPC of the five services.
public enum MethodCatalog {
  public static let methods: [CatalogMethod] = [
"""
for service, name, request, response, stream, safe in methods:
    catalog += (f"    CatalogMethod(service: \"{service}\", method: \"{name}\", input: {request}.self, "
                f"output: {response}.self, serverStreaming: {'true' if stream else 'false'}, "
                f"noSideEffects: {'true' if safe else 'false'}),\n")
catalog += "  ]\n}\n"
(out / "MethodCatalog.swift").write_text(catalog, encoding="utf-8")

fields = header + """/// A record placed in a division: its `division_code`.
public protocol DivisionScoped {
  var divisionCode: String { get }
}

/// A query over a jurisdiction: its `division_prefix`.
public protocol DivisionPrefixed {
  var divisionPrefix: String { get }
}

"""
for name in sorted(set(scoped)):
    fields += f"extension {name}: DivisionScoped {{}}\n"
fields += "\n"
for name in sorted(set(prefixed)):
    fields += f"extension {name}: DivisionPrefixed {{}}\n"
(out / "DivisionFields.swift").write_text(fields, encoding="utf-8")
print(f"catalogued {len(methods)} methods, {len(set(scoped))} division-scoped and {len(set(prefixed))} prefixed messages")
