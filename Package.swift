// swift-tools-version: 6.0
// The layout mirrors the architecture: C shims at the bottom, pure model code
// and storage in the middle, the daemon, client and tools on top. Dependencies
// only point downwards.
import PackageDescription

let package = Package(
    name: "photoq",
    products: [
        .executable(name: "photoqd", targets: ["photoqd"]),
        .executable(name: "photoq", targets: ["photoq"]),
        .executable(name: "photoq-model", targets: ["PhotoqModelTool"]),
        .executable(name: "photoq-web", targets: ["photoq-web"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Only photoq-web links it, so a plain `photoq` search starts without it.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // MARK: C libraries, one thin wrapper each
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb",
                       providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CInotifyTools",
                       providers: [.apt(["libinotifytools0-dev"])]),
        .target(name: "CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
        // Still-image formats beyond JPEG; ImageDecoder picks one by magic bytes.
        .systemLibrary(name: "CSPNG", pkgConfig: "spng", providers: [.apt(["libspng-dev"])]),
        .systemLibrary(name: "CWebP", pkgConfig: "libwebpdemux", providers: [.apt(["libwebp-dev"])]),
        // libheif and LibRaw are opened on the first photo that needs them (dlopen):
        // a search decodes nothing and should not pay for loading them.
        .target(name: "CHEIF"),
        .target(name: "CTIFF", linkerSettings: [.linkedLibrary("tiff")]),
        .target(name: "CGIF", linkerSettings: [.linkedLibrary("gif")]),
        .target(name: "CRaw"),
        // The sentence encoder's C kernels: integer GEMMs for the quantised dense layers,
        // short-sequence attention and GELU in float (AVX-512 VNNI / AVX2 / FMA chosen at run time).
        .target(name: "CQuantGemm"),
        // The int8 vector-scan kernels: AVX2 chosen at run time, portable C otherwise.
        .target(name: "CVectorScan"),

        // MARK: Middle layer
        .target(name: "ModelFormat"),
        .target(name: "Imaging", dependencies: ["CJPEG", "CSPNG", "CWebP", "CHEIF", "CTIFF", "CGIF", "CRaw"]),
        .target(name: "Model", dependencies: ["CBLAS", "CQuantGemm", "ModelFormat"]),
        // The programs that multiply matrices start through it: OpenBLAS's kernel choice, corrected.
        .target(name: "BLASRuntime", dependencies: ["CBLAS"]),
        .target(name: "Index", dependencies: ["CLMDB", "CVectorScan"]),
        .target(name: "PhotoqProtocol"),
        // The freedesktop thumbnail cache, shared with file managers.
        .target(name: "Thumbnails", dependencies: ["Imaging"]),
        // Data sets, feature caches and training loops for photoq-model.
        .target(name: "Training", dependencies: ["Model", "ModelFormat", "Imaging"]),

        // MARK: Programs
        .target(name: "Daemon", dependencies: [
            "Index", "Model", "Imaging", "ModelFormat", "PhotoqProtocol", "CInotifyTools", "Thumbnails",
        ]),
        .target(name: "Client", dependencies: ["PhotoqProtocol", "Model", "ModelFormat", "Imaging", "Thumbnails"]),
        .executableTarget(name: "photoqd", dependencies: [
            "Daemon", "Thumbnails", "BLASRuntime", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The Swift runtime and Foundation linked in: a search is one short
        // process, and resolving ten Swift libraries' symbols at every start
        // cost more than the search itself (README, Performance).
        .executableTarget(name: "photoq", dependencies: [
            "Client", "BLASRuntime", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], linkerSettings: [
            .unsafeFlags(["-static-stdlib"]),
            // What the static Foundation needs besides itself (the modules
            // were compiled against the shared one, whose links name only it).
            .linkedLibrary("CoreFoundation"), .linkedLibrary("_FoundationICU"), .linkedLibrary("_FoundationCShims"),
            .linkedLibrary("_FoundationCollections"), .linkedLibrary("swiftSynchronization"),
            .linkedLibrary("swift_Builtin_float"), .linkedLibrary("stdc++"),
        ]),
        .executableTarget(name: "PhotoqModelTool", dependencies: [
            "Model", "ModelFormat", "Imaging", "Index", "Training", "CBLAS", "CQuantGemm", "BLASRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/photoq-model"),
        // The local web app behind `photoq --web`: a separate binary so the
        // HTTP server is linked and loaded only when asked for.
        .target(name: "WebApp", dependencies: [
            "Client", "PhotoqProtocol", "Imaging", "Model", "Thumbnails",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "photoq-web", dependencies: [
            "WebApp", "Client", "Thumbnails", "BLASRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Tests
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ModelFormatTests", dependencies: ["TestSupport", "ModelFormat"]),
        .testTarget(name: "ImagingTests", dependencies: ["TestSupport", "Imaging", "CHEIF", "CRaw"]),
        .testTarget(name: "ModelTests", dependencies: [
            "TestSupport", "Model", "ModelFormat", "Imaging", "CBLAS", "CQuantGemm", "BLASRuntime",
        ]),
        .testTarget(name: "IndexTests", dependencies: ["TestSupport", "Index", "CVectorScan"]),
        .testTarget(name: "TrainingTests", dependencies: ["TestSupport", "Training", "Model", "ModelFormat"]),
        .testTarget(name: "ThumbnailsTests", dependencies: ["TestSupport", "Thumbnails", "Imaging"]),
        .testTarget(name: "DaemonTests", dependencies: ["TestSupport", "Daemon", "PhotoqProtocol", "Index", "Client", "Imaging", "Thumbnails", "Model"]),
        .testTarget(name: "WebTests", dependencies: ["TestSupport", "WebApp"]),
    ],
    swiftLanguageModes: [.v6]
)
