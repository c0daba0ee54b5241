//! Persists topic metadata (ID, partition count, config overrides) so topics survive restarts.
//!
//! One small properties file per topic under `<first log dir>/arus-metadata/topics/`, written
//! atomically (temporary file, fsync, rename, fsync of the directory), so a crash leaves
//! either the old or the new description, never a torn one.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use uuid::Uuid;

use crate::config::parse_properties;

/// What is persisted about one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRecord {
    /// Topic name.
    pub name: String,
    /// Topic ID (KIP-516).
    pub id: Uuid,
    /// Number of partitions.
    pub partitions: i32,
    /// Topic-level config overrides.
    pub configs: BTreeMap<String, String>,
}

/// The directory of topic files.
pub struct TopicStore {
    dir: PathBuf,
}

impl TopicStore {
    /// Opens (creating if needed) the store under `metadata_dir`.
    pub fn open(metadata_dir: &Path) -> std::io::Result<Self> {
        let dir = metadata_dir.join("topics");
        fs::create_dir_all(&dir)?;
        Ok(TopicStore { dir })
    }

    /// Loads every topic record; unreadable files are reported and skipped.
    pub fn load_all(&self) -> std::io::Result<Vec<TopicRecord>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("properties") {
                continue;
            }
            match read_record(&path) {
                Ok(record) => out.push(record),
                Err(reason) => {
                    tracing::error!(file = %path.display(), %reason, "skipping unreadable topic metadata")
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Writes (or replaces) one topic's record atomically.
    pub fn save(&self, record: &TopicRecord) -> std::io::Result<()> {
        let mut text = format!(
            "# Arus topic metadata\nname={}\ntopic.id={}\npartitions={}\n",
            record.name, record.id, record.partitions
        );
        for (k, v) in &record.configs {
            text.push_str(&format!("config.{}={}\n", escape(k), escape(v)));
        }
        let path = self.path_of(&record.name);
        let tmp = path.with_extension("properties.tmp");
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &path)?;
        sync_dir(&self.dir)
    }

    /// Removes a topic's record.
    pub fn remove(&self, name: &str) -> std::io::Result<()> {
        match fs::remove_file(self.path_of(name)) {
            Ok(()) => sync_dir(&self.dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.properties"))
    }
}

fn read_record(path: &Path) -> Result<TopicRecord, String> {
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    let pairs = parse_properties(&text).map_err(|e| e.to_string())?;
    let mut name = None;
    let mut id = None;
    let mut partitions = None;
    let mut configs = BTreeMap::new();
    for (k, v) in pairs {
        match k.as_str() {
            "name" => name = Some(v),
            "topic.id" => id = Some(Uuid::parse_str(&v).map_err(|e| e.to_string())?),
            "partitions" => partitions = Some(v.parse::<i32>().map_err(|e| e.to_string())?),
            _ => {
                if let Some(key) = k.strip_prefix("config.") {
                    configs.insert(key.to_string(), v);
                }
            }
        }
    }
    Ok(TopicRecord {
        name: name.ok_or("missing name")?,
        id: id.ok_or("missing topic.id")?,
        partitions: partitions.ok_or("missing partitions")?,
        configs,
    })
}

/// Escapes what the properties format would otherwise read differently.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '=' => out.push_str("\\="),
            ':' => out.push_str("\\:"),
            '#' => out.push_str("\\#"),
            '!' => out.push_str("\\!"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Makes a rename or removal in `dir` durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_with_awkward_config_values() {
        let tmp = tempfile::tempdir().unwrap();
        let store = TopicStore::open(tmp.path()).unwrap();
        let mut configs = BTreeMap::new();
        configs.insert("retention.ms".to_string(), "1000".to_string());
        configs.insert("odd".to_string(), "a=b:c #d \\e\nf".to_string());
        let rec = TopicRecord {
            name: "orders.v1".into(),
            id: Uuid::new_v4(),
            partitions: 3,
            configs,
        };
        store.save(&rec).unwrap();
        let other = TopicRecord {
            name: "a".into(),
            id: Uuid::new_v4(),
            partitions: 1,
            configs: BTreeMap::new(),
        };
        store.save(&other).unwrap();
        assert_eq!(store.load_all().unwrap(), vec![other.clone(), rec.clone()]);
        store.remove("orders.v1").unwrap();
        assert_eq!(store.load_all().unwrap(), vec![other]);
    }
}
