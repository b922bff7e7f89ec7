import GRPCCore
import SwiftProtobuf

/// The call being served, as its descriptor names it; bound by `CallObservation` for the call's
/// whole handler, as `Principal.current` is.
public enum ServerCall {
  /// The method of the call being served; nil for work outside a call (a job, a test calling a
  /// store directly).
  @TaskLocal public static var descriptor: MethodDescriptor?

  /// The method name an act on `request` is recorded under: the call's descriptor's (`AcceptCase`)
  /// or, outside a call, the request message's name without `Request`, which every method of the
  /// contracts follows (`AcceptCaseRequest` is AcceptCase's alone).
  public static func methodName(for request: some SwiftProtobuf.Message) -> String {
    if let descriptor { return descriptor.method }
    let name = type(of: request).protoMessageName.split(separator: ".").last.map(String.init) ?? ""
    return name.hasSuffix("Request") ? String(name.dropLast("Request".count)) : name
  }
}
