//! Kafka's rules for topic names, so a name Kafka refuses is refused here too.

/// Longest topic name Kafka accepts (leaves room for the partition suffix in directory names).
pub const MAX_NAME_LENGTH: usize = 249;

/// Checks a topic name against Kafka's rules: 1..=249 characters of `[a-zA-Z0-9._-]`,
/// and neither `.` nor `..`. Returns the reason when it is invalid.
pub fn validate(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Topic name is illegal, it can't be empty".into());
    }
    if name == "." || name == ".." {
        return Err("Topic name cannot be \".\" or \"..\"".into());
    }
    if name.len() > MAX_NAME_LENGTH {
        return Err(format!(
            "Topic name is illegal, it can't be longer than {MAX_NAME_LENGTH} characters, topic name: {name}"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '_' || *c == '-'))
    {
        return Err(format!(
            "Topic name \"{}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-' (found {:?})",
            name.escape_default(),
            bad
        ));
    }
    Ok(())
}

/// Topics whose names differ only in '.' versus '_' collide in Kafka's metric names, so Kafka
/// refuses to create the second one. This returns the form both collapse to.
pub fn collision_key(name: &str) -> String {
    name.replace('.', "_")
}

/// Internal topics Kafka hides from normal listings.
pub fn is_internal(name: &str) -> bool {
    name == "__consumer_offsets" || name == "__transaction_state"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_kafka_names() {
        assert_eq!(validate("tes"), Ok(()));
        assert_eq!(validate("orders.v1_A-2"), Ok(()));
        assert_eq!(validate(&"a".repeat(249)), Ok(()));
    }

    #[test]
    fn refuses_what_kafka_refuses() {
        assert!(validate("").is_err());
        assert!(validate(".").is_err());
        assert!(validate("..").is_err());
        assert!(validate(&"a".repeat(250)).is_err());
        assert!(validate("a b").is_err());
        assert!(validate("a/b").is_err());
        assert!(validate("ä").is_err());
    }

    #[test]
    fn dots_and_underscores_collide() {
        assert_eq!(collision_key("a.b"), collision_key("a_b"));
        assert_ne!(collision_key("a.b"), collision_key("ab"));
    }
}
