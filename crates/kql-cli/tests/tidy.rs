//! Repository hygiene: every Rust file documents itself, and no test is
//! skipped or expects a panic.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn workspace_files() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&crates, &mut files);
    files.sort();
    assert!(files.len() > 20, "found only {} Rust files", files.len());
    files
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let missing: Vec<String> = workspace_files()
        .into_iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! doc line:\n{}",
        missing.join("\n")
    );
}

#[test]
fn no_skipped_or_panic_expecting_tests() {
    let ignore = ["#[ignore", "#[should_panic"].map(|s| s.to_string());
    let offenders: Vec<String> = workspace_files()
        .into_iter()
        .filter(|p| !p.ends_with("tidy.rs"))
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            ignore.iter().any(|s| text.contains(s.as_str()))
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "skipped or panic-expecting tests in:\n{}",
        offenders.join("\n")
    );
}
