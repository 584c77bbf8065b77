/// photoq's exit statuses (from sysexits.h where one fits), the single place
/// where errors become statuses. Documented in `photoq --help` and the README.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    /// Results were printed (or the status/reindex command succeeded).
    case success = 0
    /// The search ran but nothing matched (empty index or filters excluded everything).
    case noMatch = 1
    /// Bad flags or arguments.
    case usage = 64
    /// The daemon rejected the input (empty query, bad value).
    case dataError = 65
    /// The photo named by --similar or --explain is not in the index.
    case noInput = 66
    /// photoqd is not running or its socket is missing.
    case unavailable = 69
    /// photoqd or photoq failed internally.
    case software = 70
    /// photoqd is busy or slow; try again.
    case temporaryFailure = 75
    /// photoqd speaks another protocol version or sent something unexpected.
    case protocolError = 76
    /// Not allowed to use the socket (another user's daemon), or the socket is
    /// served by another user than the caller (nothing was sent to it).
    case permissionDenied = 77
    /// A feature that is not available in this build.
    case unavailableFeature = 78

    /// One line per status for --help.
    public static let helpTable: String = """
        EXIT STATUS:
          0   results printed (or command succeeded)
          1   no photo matched
          64  usage error
          65  bad input rejected by the daemon (e.g. empty query)
          66  the photo given to --similar/--explain is not indexed
          69  photoqd unreachable (start it: systemctl --user start photoqd.socket, or run photoqd --root DIR)
          70  internal error
          75  daemon busy or timed out, try again
          76  protocol mismatch between photoq and photoqd
          77  permission denied on the socket, or it is served by another user
          78  models or feature not available (run scripts/setup)
        """
}
