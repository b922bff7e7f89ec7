import GRPCCore
import Logging
import Testing

@testable import ServiceKit

@Suite("Each call's log line: failed calls at notice, slow ones at info, the rest at debug")
struct CallLogTests {
  @Test("a failed call is logged at notice, however quick")
  func failedCallAtNotice() {
    #expect(CallObservationInterceptor.logLevel(code: .permissionDenied, elapsed: .microseconds(80)) == .notice)
    #expect(CallObservationInterceptor.logLevel(code: .internalError, elapsed: .seconds(3)) == .notice)
  }

  @Test("a call that took 200 ms or more is logged at info")
  func slowCallAtInfo() {
    #expect(CallObservationInterceptor.logLevel(code: nil, elapsed: .milliseconds(200)) == .info)
    #expect(CallObservationInterceptor.logLevel(code: nil, elapsed: .seconds(40)) == .info)
  }

  @Test("a long poll that waited and succeeded is not slow: debug only; failed, it is at notice")
  func longPollAtDebug() {
    let poll = "governance.outbox.v1.OutboxService/ReadOutbox"
    #expect(CallObservationInterceptor.logLevel(code: nil, elapsed: .seconds(1), method: poll) == .debug)
    #expect(CallObservationInterceptor.logLevel(code: .unavailable, elapsed: .seconds(1), method: poll) == .notice)
  }

  @Test("a quick call that succeeded is logged at debug only")
  func quickCallAtDebug() {
    #expect(CallObservationInterceptor.logLevel(code: nil, elapsed: .microseconds(150)) == .debug)
    #expect(CallObservationInterceptor.logLevel(code: nil, elapsed: .milliseconds(199)) == .debug)
  }
}
