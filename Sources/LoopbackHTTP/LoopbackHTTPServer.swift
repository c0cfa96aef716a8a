import Foundation
package import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 server on 127.0.0.1 for the test fakes (FakeExchange, FakeLanguageModel): each
/// connection gets its own channel handler, run on NIO's event loops rather than Swift tasks, so
/// a test suite that keeps the cooperative threads busy cannot make a fake slow to answer (a
/// client would rightly time out and retry).
package final class LoopbackHTTPServer: Sendable {
    package let port: Int
    private let channel: any Channel
    private let connections: LockedValue<[any Channel]>

    /// - Parameters:
    ///   - port: 0 picks a free one (see ``port``).
    ///   - handler: a new handler per connection, reading `HTTPServerRequestPart` and writing
    ///     `HTTPServerResponsePart`.
    package init(port: Int, handler: @escaping @Sendable () -> any ChannelHandler) async throws {
        let connections = LockedValue<[any Channel]>([])
        self.connections = connections
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                connections.withLock { $0.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(handler())
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        self.port = channel.localAddress?.port ?? 0
    }

    package var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Closes the listening socket and every connection.
    package func shutdown() async {
        try? await channel.close()
        for connection in connections.withLock({ $0 }) { try? await connection.close() }
    }
}

/// A value behind a lock, shared between a server's event loops and a test.
package final class LockedValue<Value>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only reached under `lock`.
    private var value: Value
    private let lock = NSLock()

    package init(_ value: Value) { self.value = value }

    package func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
