import Glibc

/// `photoq --web`: hands the process over to photoq-web, installed next to
/// photoq, so that a plain search never links or loads the HTTP server.
public enum WebMode {
    /// Replaces this process; returns only by throwing when photoq-web cannot start.
    public static func exec(socketPath: String, port: Int) throws(ClientFailure) -> Never {
        let server = siblingPath("photoq-web")
        let arguments = [server, "--socket", socketPath, "--port", String(port)]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv(server, &argv)
        let reason = String(cString: strerror(errno))
        throw ClientFailure(.unavailableFeature, "cannot start \(server) (\(reason)); build it with swift build -c release")
    }

    /// The file `name` in the folder of the running photoq binary (/proc/self/exe, links resolved).
    private static func siblingPath(_ name: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return name }
        let executable = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(executable[..<(executable.lastIndex(of: "/") ?? executable.startIndex)]) + "/" + name
    }
}
