//! `arus install-scripts DIR`: Kafka's script names as thin wrappers around this binary, so
//! scripts written for `bin/kafka-*.sh` run unchanged.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::Context;

/// Kafka's script name → the `arus` subcommand it runs.
pub const SCRIPTS: &[(&str, &str)] = &[
    ("kafka-server-start.sh", "server"),
    ("kafka-topics.sh", "topics"),
    ("kafka-console-producer.sh", "console-producer"),
    ("kafka-console-consumer.sh", "console-consumer"),
    ("kafka-consumer-groups.sh", "consumer-groups"),
    ("kafka-configs.sh", "configs"),
];

pub fn install(dir: &Path) -> anyhow::Result<()> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .context("cannot locate the arus binary")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let exe = shell_quote(&exe.to_string_lossy());
    for (script, subcommand) in SCRIPTS {
        let path = dir.join(script);
        let body = format!(
            "#!/bin/sh\n# Written by `arus install-scripts`: {script} served by Arus.\nexec {exe} {subcommand} \"$@\"\n"
        );
        let mut f = std::fs::File::create(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        f.write_all(body.as_bytes())?;
        f.set_permissions(std::fs::Permissions::from_mode(0o755))?;
        println!("{}", path.display());
    }
    Ok(())
}

/// Single-quotes a string for /bin/sh.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_single_quotes() {
        assert_eq!(super::shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    }
}
