/// A value in photoqd's config file.
public enum ConfigValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case strings([String])
}

/// Reads the TOML subset photoqd's config uses: top-level `key = value` lines
/// with strings, integers, booleans and arrays of strings (which may span
/// lines), and `#` comments. A dedicated parser instead of a TOML package
/// keeps a C++ TOML library out of the build for a five-key file; anything
/// outside the subset is reported with its line number rather than guessed.
public enum ConfigFile {
    public static func parse(_ text: String, source: String = "config.toml") throws(DaemonError) -> [String: ConfigValue] {
        var result: [String: ConfigValue] = [:]
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[...]
        var lineNumber = 0
        func fail(_ what: String) -> DaemonError {
            DaemonError(.configuration, "\(source):\(lineNumber): \(what)")
        }
        while let raw = lines.popFirst() {
            lineNumber += 1
            var line = stripComment(raw).trimmed
            if line.isEmpty { continue }
            if line.hasPrefix("[") { throw fail("tables are not supported; put keys at the top level") }
            guard let eq = line.firstIndex(of: "=") else { throw fail("expected `key = value`") }
            let key = String(line[..<eq]).trimmed
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw fail("bad key `\(key)`")
            }
            var value = String(line[line.index(after: eq)...]).trimmed
            // Arrays may continue over several lines until the closing bracket.
            if value.hasPrefix("[") {
                while !closesArray(value), let next = lines.popFirst() {
                    lineNumber += 1
                    value += " " + stripComment(next).trimmed
                }
            }
            line = value
            guard result[key] == nil else { throw fail("`\(key)` is set twice") }
            result[key] = try parseValue(line, fail: fail)
        }
        return result
    }

    private static func parseValue(_ text: String, fail: (String) -> DaemonError) throws(DaemonError) -> ConfigValue {
        if text == "true" { return .boolean(true) }
        if text == "false" { return .boolean(false) }
        if let n = Int(text.replacingUnderscores) { return .integer(n) }
        if text.hasPrefix("\"") || text.hasPrefix("'") {
            var scanner = Substring(text)
            let s = try parseString(&scanner, fail: fail)
            guard scanner.trimmed.isEmpty else { throw fail("unexpected text after string") }
            return .string(s)
        }
        if text.hasPrefix("[") {
            var scanner = Substring(text.dropFirst())
            var items: [String] = []
            while true {
                scanner = Substring(scanner.trimmed)
                if scanner.hasPrefix("]") { scanner.removeFirst(); break }
                guard scanner.hasPrefix("\"") || scanner.hasPrefix("'") else { throw fail("arrays may hold only strings") }
                items.append(try parseString(&scanner, fail: fail))
                scanner = Substring(scanner.trimmed)
                if scanner.hasPrefix(",") { scanner.removeFirst(); continue }
                guard scanner.hasPrefix("]") else { throw fail("expected `,` or `]` in array") }
            }
            guard scanner.trimmed.isEmpty else { throw fail("unexpected text after array") }
            return .strings(items)
        }
        throw fail("unsupported value `\(text)` (use a quoted string, an integer, true/false or an array of strings)")
    }

    /// Basic ("…", with \\ \" \n \t escapes) or literal ('…') string.
    private static func parseString(_ s: inout Substring, fail: (String) -> DaemonError) throws(DaemonError) -> String {
        let quote = s.removeFirst()
        var out = ""
        while let c = s.popFirst() {
            if c == quote { return out }
            if c == "\\" && quote == "\"" {
                guard let e = s.popFirst() else { break }
                switch e {
                case "\\": out.append("\\")
                case "\"": out.append("\"")
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: throw fail("unsupported escape \\\(e)")
                }
            } else {
                out.append(c)
            }
        }
        throw fail("unterminated string")
    }

    /// Drops a `#` comment that is not inside a string.
    private static func stripComment(_ line: String) -> String {
        var quote: Character? = nil
        var escaped = false
        for (i, c) in zip(line.indices, line) {
            if let q = quote {
                if escaped { escaped = false } else if c == "\\" && q == "\"" { escaped = true } else if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#" {
                return String(line[..<i])
            }
        }
        return line
    }

    private static func closesArray(_ s: String) -> Bool {
        var quote: Character? = nil
        var depth = 0
        for c in s {
            if let q = quote { if c == q { quote = nil } ; continue }
            if c == "\"" || c == "'" { quote = c } else if c == "[" { depth += 1 } else if c == "]" { depth -= 1 }
        }
        return depth <= 0
    }
}

extension StringProtocol {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }

    fileprivate var replacingUnderscores: String { String(filter { $0 != "_" }) }
}
