//! `kql-test.conf`: settings for every case in a folder and below it.
//!
//! Each line of the file is a directive as in a case (`now DATETIME`,
//! `tables PATH`, `tolerance X`, `ordered`, `skip`, ...; without the
//! `kql-test:` prefix) or `ignore PATH`, which keeps a file or folder
//! (relative to the settings file) out of discovery. `#` starts a comment
//! line. A folder's settings apply on top of its parent folder's; a case's
//! own directives apply on top of both.

use crate::testing::directive::Directives;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The settings file's name.
pub const FILE_NAME: &str = "kql-test.conf";

/// What the settings files from the root down to one folder say.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Directives for every case below.
    pub directives: Directives,
    /// Files and folders (absolute) that discovery skips.
    pub ignored: Vec<PathBuf>,
}

impl Settings {
    /// Whether discovery skips `path`.
    pub fn ignores(&self, path: &Path) -> bool {
        let abs = absolute(path);
        self.ignored.contains(&abs)
    }
}

/// Reads one settings file; `dir` is its folder.
fn read_file(dir: &Path, text: &str) -> Settings {
    let mut s = Settings::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("ignore") {
            if rest.starts_with(char::is_whitespace) {
                s.ignored.push(absolute(&dir.join(rest.trim())));
                continue;
            }
        }
        let mut d = Directives::default();
        d.apply_text(line);
        for e in d.errors.iter_mut() {
            *e = format!("{}:{}: {e}", dir.join(FILE_NAME).display(), i + 1);
        }
        if let Some(t) = &d.tables {
            d.tables = Some(dir.join(t));
        }
        s.directives = s.directives.merged(&d);
    }
    s
}

/// `path` made absolute and without `.`/`..` parts, without touching the
/// file system beyond the current folder.
fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Settings per folder, each read once.
#[derive(Default)]
pub struct SettingsCache {
    by_dir: HashMap<PathBuf, Settings>,
}

impl SettingsCache {
    /// The settings that hold in `dir`: every settings file from the root
    /// of the file system down to `dir`, nearer ones on top.
    pub fn for_dir(&mut self, dir: &Path) -> Settings {
        let dir = absolute(dir);
        if let Some(s) = self.by_dir.get(&dir) {
            return s.clone();
        }
        let mut s = match dir.parent() {
            Some(parent) => self.for_dir(parent),
            None => Settings::default(),
        };
        if let Ok(text) = std::fs::read_to_string(dir.join(FILE_NAME)) {
            let own = read_file(&dir, &text);
            s.directives = s.directives.merged(&own.directives);
            s.ignored.extend(own.ignored);
        }
        self.by_dir.insert(dir, s.clone());
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_and_ignores() {
        let dir = Path::new("/suite");
        let s = read_file(
            dir,
            "# pinned clock for every case\nnow 2026-01-31T12:00:00Z\nignore parser\nignore ./old/x.kql\ntables fixtures\n",
        );
        assert_eq!(
            s.directives.now,
            kql_common::time::parse_datetime("2026-01-31T12:00:00Z")
        );
        assert_eq!(s.directives.tables, Some(PathBuf::from("/suite/fixtures")));
        assert!(s.directives.errors.is_empty());
        assert!(s.ignores(Path::new("/suite/parser")));
        assert!(s.ignores(Path::new("/suite/old/x.kql")));
        assert!(!s.ignores(Path::new("/suite/old")));
    }

    #[test]
    fn bad_lines_are_reported_with_their_place() {
        let s = read_file(Path::new("/suite"), "now yesterday\nfrobnicate\n");
        assert_eq!(s.directives.errors.len(), 2);
        assert!(s.directives.errors[0].starts_with("/suite/kql-test.conf:1: "));
        assert!(s.directives.errors[1].contains("unknown directive"));
    }

    #[test]
    fn nearer_folders_win() {
        let root = std::env::temp_dir().join(format!("kql-settings-{}", std::process::id()));
        let inner = root.join("a");
        std::fs::create_dir_all(&inner).expect("temp folder");
        std::fs::write(root.join(FILE_NAME), "now 2020-01-01\ntolerance 0.5\n").expect("write");
        std::fs::write(inner.join(FILE_NAME), "now 2021-01-01\n").expect("write");
        let mut cache = SettingsCache::default();
        let s = cache.for_dir(&inner);
        assert_eq!(
            s.directives.now,
            kql_common::time::parse_datetime("2021-01-01")
        );
        assert_eq!(s.directives.tolerance, Some(0.5));
        let outer = cache.for_dir(&root);
        assert_eq!(
            outer.directives.now,
            kql_common::time::parse_datetime("2020-01-01")
        );
        std::fs::remove_dir_all(&root).ok();
    }
}
