/// Numbers as tables and JSON print them: whole values as integers, others rounded
/// to four decimals, so a share reads 0.78 and never 0.7799999999999999.
public enum NumberText {
    public static func decimal(_ v: Double) -> String {
        // Beyond 1e11 four decimals no longer fit an Int64 scaling; such values print as they are.
        guard v.isFinite, abs(v) < 1e11 else { return v.isFinite && abs(v) < 9e18 ? String(Int64(v.rounded())) : String(v) }
        let r = (v * 10000).rounded() / 10000
        return r == r.rounded() ? String(Int64(r)) : String(r)
    }
}
