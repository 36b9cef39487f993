/// Scenarios shipped inside the binary (`vigil simulate --print NAME` writes one
/// out to edit). Every time here is UTC.
public enum BundledScenarios {
    public static let all: [String: String] = ["north-korea-2014": northKorea2014]

    /// A RECONSTRUCTION, not recorded data: North Korea's Internet in December 2014,
    /// rebuilt from public reporting (Dyn Research, Arbor, press of 20–28 Dec 2014).
    public static let northKorea2014 = """
        name = "North Korea, December 2014 (reconstruction)"
        description = \"\"\"
        A reconstruction from the public record, NOT recorded BGP data. Star Joint Venture \
        (AS131279, 175.45.176.0/22 as four /24s, upstream China Unicom AS4837) grew unstable \
        from late 19 Dec, lost all its routes on 22 Dec 16:15 UTC after more than a day of \
        instability, came back 23 Dec 01:46 UTC, dropped again near 08:00 and 15:41-16:12 UTC \
        on 23 Dec, and was withdrawn cleanly, with no instability before, on 27 Dec 10:30 UTC \
        (the end of that outage is an assumption).\"\"\"
        start = "2014-12-18T00:00:00Z"
        end = "2014-12-28T00:00:00Z"
        seed = 20141222
        collector = "sim00"

        [peers]
        full = 8
        partial = 4
        partial_share = 0.4

        [background]
        prefixes = 2000
        origins = 300
        flaps_per_hour = 20
        path_changes_per_hour = 30
        session_resets_per_day = 1

        [[entity]]
        name = "AS131279"
        origin = 131279
        upstream = 4837
        prefixes = ["175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24"]

        [[event]]
        kind = "flap"
        entity = "AS131279"
        start = "2014-12-19T20:00:00Z"
        end = "2014-12-22T16:10:00Z"
        rate = 8
        peers = 0.6
        note = "instability reported from late 19 Dec"

        [[event]]
        kind = "upstream-withdraw"
        entity = "AS131279"
        start = "2014-12-22T16:15:00Z"
        end = "2014-12-23T01:46:00Z"
        note = "all four /24s withdrawn"

        [[event]]
        kind = "withdraw"
        entity = "AS131279"
        start = "2014-12-23T08:00:00Z"
        end = "2014-12-23T08:25:00Z"
        note = "drop near 08:00"

        [[event]]
        kind = "withdraw"
        entity = "AS131279"
        start = "2014-12-23T15:41:00Z"
        end = "2014-12-23T16:12:00Z"
        note = "drop 15:41-16:12"

        [[event]]
        kind = "upstream-withdraw"
        entity = "AS131279"
        start = "2014-12-27T10:30:00Z"
        end = "2014-12-27T20:00:00Z"
        note = "clean withdrawal; end assumed"
        """
}
