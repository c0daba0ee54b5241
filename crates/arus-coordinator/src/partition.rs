//! Which `__consumer_offsets` partition holds a group, by Kafka's rule.

/// Java's `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16
/// code units, wrapping in 32 bits.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// The `__consumer_offsets` partition of `group`:
/// `Utils.abs(group.hashCode()) % num_partitions`, where Kafka's `Utils.abs`
/// maps `Integer.MIN_VALUE` to 0. Returns 0 when `num_partitions` is not positive.
pub fn partition_for(group: &str, num_partitions: i32) -> i32 {
    if num_partitions <= 0 {
        return 0;
    }
    let hash = java_string_hash(group);
    let abs = if hash == i32::MIN { 0 } else { hash.abs() };
    abs % num_partitions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_matches_known_values() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("group"), 98_629_247);
        assert_eq!(java_string_hash("test-group"), 627_841_412);
        assert_eq!(java_string_hash("my-group"), -1_906_497_762);
        // A famous string whose hash is Integer.MIN_VALUE.
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        // Characters outside the BMP count as two UTF-16 units.
        assert_eq!(java_string_hash("\u{1F600}x"), 54_959_989);
        assert_eq!(java_string_hash("h\u{e9}llo"), 103_094_734);
    }

    #[test]
    fn partition_uses_kafka_abs() {
        assert_eq!(partition_for("", 50), 0);
        assert_eq!(partition_for("a", 50), 47);
        assert_eq!(partition_for("group", 50), 47);
        assert_eq!(partition_for("test-group", 50), 12);
        // Negative hash: Math.abs, not `& 0x7fffffff` (which would give 36).
        assert_eq!(partition_for("my-group", 50), 12);
        assert_eq!(partition_for("polygenelubricants", 50), 0);
        assert_eq!(partition_for("group", 1), 0);
        assert_eq!(partition_for("group", 0), 0);
    }
}
