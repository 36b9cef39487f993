@testable import Config

/// A configuration from text, as `vigil` reads a file named `file`.
func parseConfig(_ text: String, file: String) throws -> CollectConfig { try CollectConfig(toml: text, file: file) }

/// The problem a configuration text has, in the words users see ("no error" when none).
func configProblem(_ text: String, file: String) -> String {
    do { _ = try parseConfig(text, file: file); return "no error" } catch { return "\(error)" }
}
