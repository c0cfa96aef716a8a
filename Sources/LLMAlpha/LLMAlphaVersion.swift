/// The version written into `--version`, promoted strategies' headers and HTML reports.
public enum LLMAlphaVersion {
    public static let current = "0.1.0"
}
