//! Member ids: `{prefix}-{uuid-shaped suffix}` built from the time and a counter.

/// Hands out member ids shaped like Kafka's (`{client_id}-{uuid}`), without a
/// random source: the suffix is the time in milliseconds and a counter laid
/// out as a version-4-looking UUID, so ids never repeat within a process and,
/// as long as the clock moves forward, not across restarts either.
#[derive(Debug, Default)]
pub(crate) struct MemberIdGenerator {
    counter: u64,
}

impl MemberIdGenerator {
    /// A fresh id starting with `prefix` (the client id, or the group instance id).
    pub(crate) fn next(&mut self, prefix: &str, now_ms: i64) -> String {
        self.counter = self.counter.wrapping_add(1);
        let n = self.counter;
        let t = now_ms as u64;
        format!(
            "{prefix}-{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (t >> 16) as u32,
            t & 0xffff,
            0x4000 | ((n >> 48) & 0x0fff),
            0x8000 | ((n >> 34) & 0x3fff),
            n & 0xffff_ffff_ffff,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_and_distinct() {
        let mut ids = MemberIdGenerator::default();
        let a = ids.next("consumer-1", 1_700_000_000_000);
        let b = ids.next("consumer-1", 1_700_000_000_000);
        assert!(a.starts_with("consumer-1-"));
        assert_ne!(a, b);
        let suffix = &a["consumer-1-".len()..];
        let parts: Vec<usize> = suffix.split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12]);
    }
}
