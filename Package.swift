// swift-tools-version: 6.2
import PackageDescription

/// The five domain services share one shape: a library holding the RPC handlers, domain rules and
/// store, and a thin executable that parses configuration and runs it.
let domainServices: [(name: String, executable: String)] = [
  ("Organisation", "organisation-service"),
  ("Property", "property-service"),
  ("Grid", "grid-service"),
  ("Volunteers", "volunteers-service"),
  ("Evaluation", "evaluation-service"),
]

let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny")
]

var targets: [Target] = [
  // The one call to Linux that Swift cannot make itself (prctl is variadic): `governance up`'s
  // replication process stops when `up` dies.
  .target(name: "CParentDeath", path: "Shared/CParentDeath"),
  .target(
    name: "GovernanceAPI",
    dependencies: [
      .product(name: "GRPCCore", package: "grpc-swift-2"),
      .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
      .product(name: "SwiftProtobuf", package: "swift-protobuf"),
    ],
    path: "Shared/GovernanceAPI"
  ),
  .target(
    name: "ServiceKit",
    dependencies: [
      "GovernanceAPI",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
      .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
      .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
      .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      .product(name: "GRDB", package: "GRDB.swift"),
      .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      .product(name: "Logging", package: "swift-log"),
      .product(name: "Metrics", package: "swift-metrics"),
      .product(name: "Prometheus", package: "swift-prometheus"),
      .product(name: "Hummingbird", package: "hummingbird"),
      .product(name: "ArgumentParser", package: "swift-argument-parser"),
      .product(name: "Crypto", package: "swift-crypto"),
      .product(name: "JWTKit", package: "jwt-kit"),
      .product(name: "NIOCore", package: "swift-nio"),
      .product(name: "NIOPosix", package: "swift-nio"),
      .product(name: "NIOHTTP2", package: "swift-nio-http2"),
      .product(name: "NIOHPACK", package: "swift-nio-http2"),
      .product(name: "OTel", package: "swift-otel"),
      .product(name: "Tracing", package: "swift-distributed-tracing"),
      .product(name: "Instrumentation", package: "swift-distributed-tracing"),
    ],
    path: "Shared/ServiceKit",
    swiftSettings: swiftSettings
  ),
  .target(
    name: "ServiceKitTesting",
    dependencies: [
      "ServiceKit",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
      .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
      .product(name: "Logging", package: "swift-log"),
    ],
    path: "Shared/ServiceKitTesting",
    swiftSettings: swiftSettings
  ),
]

/// Test targets that run another service's real handlers as a peer.
let testPeers: [String: [Target.Dependency]] = [
  "Organisation": ["Property", "Grid"], "Volunteers": ["Organisation", "Property", "Grid"],
  "Evaluation": ["Organisation", "Property", "Grid"],
]

for service in domainServices {
  targets.append(
    .target(
      name: service.name,
      dependencies: [
        "GovernanceAPI",
        "ServiceKit",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      path: "Services/\(service.name)/Sources",
      swiftSettings: swiftSettings
    )
  )
  targets.append(
    .executableTarget(
      name: service.executable,
      dependencies: [
        .target(name: service.name),
        "ServiceKit",
      ],
      path: "Services/\(service.name)/Main",
      swiftSettings: swiftSettings
    )
  )
  targets.append(
    .testTarget(
      name: "\(service.name)Tests",
      dependencies: (testPeers[service.name] ?? []) + [
        .target(name: service.name),
        "GovernanceAPI",
        "ServiceKit",
        "ServiceKitTesting",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Tests/\(service.name)Tests",
      swiftSettings: swiftSettings
    )
  )
}

targets += [
  .target(
    name: "Gateway",
    dependencies: [
      "GovernanceAPI",
      "ServiceKit",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
      .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
      .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
      .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      .product(name: "GRDB", package: "GRDB.swift"),
      .product(name: "Crypto", package: "swift-crypto"),
      .product(name: "Hummingbird", package: "hummingbird"),
      .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
      .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
      .product(name: "HTTPTypes", package: "swift-http-types"),
      .product(name: "NIOCore", package: "swift-nio"),
      .product(name: "NIOPosix", package: "swift-nio"),
      .product(name: "NIOExtras", package: "swift-nio-extras"),
      .product(name: "AsyncHTTPClient", package: "async-http-client"),
      .product(name: "Logging", package: "swift-log"),
      .product(name: "CompressNIO", package: "compress-nio"),
      .product(name: "ExtrasBase64", package: "swift-extras-base64"),
      .product(name: "MultipartKit", package: "multipart-kit"),
      .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      .product(name: "Tracing", package: "swift-distributed-tracing"),
      .product(name: "Instrumentation", package: "swift-distributed-tracing"),
    ],
    path: "Services/Gateway/Sources",
    resources: [.copy("Console")],
    swiftSettings: swiftSettings
  ),
  .executableTarget(
    name: "gateway",
    dependencies: ["Gateway", "ServiceKit"],
    path: "Services/Gateway/Main",
    swiftSettings: swiftSettings
  ),
  .executableTarget(
    name: "governance",
    dependencies: [
      "CParentDeath",
      "GovernanceAPI",
      "ServiceKit",
      "Gateway",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
      .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
      .product(name: "GRDB", package: "GRDB.swift"),
      .product(name: "ArgumentParser", package: "swift-argument-parser"),
      .product(name: "Logging", package: "swift-log"),
      .product(name: "UnixSignals", package: "swift-service-lifecycle"),
      .product(name: "Histogram", package: "hdrhistogram-swift"),
      .product(name: "AsyncHTTPClient", package: "async-http-client"),
      .product(name: "Hummingbird", package: "hummingbird"),
      .product(name: "HTTPTypes", package: "swift-http-types"),
    ],
    path: "Tools/Governance",
    swiftSettings: swiftSettings
  ),
  // Microbenchmarks of the hot paths: `swift package --disable-sandbox benchmark`.
  .executableTarget(
    name: "GovernanceBenchmarks",
    dependencies: [
      "GovernanceAPI",
      "ServiceKit",
      "Grid",
      .product(name: "Benchmark", package: "benchmark"),
      .product(name: "SwiftProtobuf", package: "swift-protobuf"),
    ],
    path: "Benchmarks/GovernanceBenchmarks",
    swiftSettings: swiftSettings,
    plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
  ),
  .testTarget(
    name: "ServiceKitTests",
    dependencies: [
      "ServiceKit",
      "GovernanceAPI",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
      .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
      .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
      .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      .product(name: "GRDB", package: "GRDB.swift"),
    ],
    path: "Tests/ServiceKitTests",
    swiftSettings: swiftSettings
  ),
  .testTarget(
    name: "GatewayTests",
    dependencies: [
      "Gateway",
      "ServiceKit",
      "GovernanceAPI",
      .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      .product(name: "GRPCCore", package: "grpc-swift-2"),
      .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
      .product(name: "Hummingbird", package: "hummingbird"),
      .product(name: "HummingbirdTesting", package: "hummingbird"),
      .product(name: "Logging", package: "swift-log"),
    ],
    path: "Tests/GatewayTests",
    swiftSettings: swiftSettings
  ),
  .testTarget(
    name: "IntegrationTests",
    dependencies: [
      "GovernanceAPI",
      "ServiceKit",
      .product(name: "GRPCCore", package: "grpc-swift-2"),
      .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
      .product(name: "GRDB", package: "GRDB.swift"),
      .product(name: "Yams", package: "Yams"),
    ],
    path: "Tests/IntegrationTests",
    swiftSettings: swiftSettings
  ),
]

let package = Package(
  name: "community-governance",
  platforms: [.macOS(.v15)],
  products: domainServices.map { .executable(name: $0.executable, targets: [$0.executable]) } + [
    .executable(name: "gateway", targets: ["gateway"]),
    .executable(name: "governance", targets: ["governance"]),
  ],
  dependencies: [
    .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
    .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
    .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
    .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
    .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
    .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    .package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.2.0"),
    .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0"),
    .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
    .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
  ],
  targets: targets
)
