//! Embeds the sample tables in `testdata/tables/*.csv` at the workspace root.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let root = Path::new(&manifest).join("../..");
    let dir = root.join("testdata").join("tables");
    println!("cargo:rerun-if-changed=build.rs");
    if dir.is_dir() {
        println!("cargo:rerun-if-changed={}", dir.display());
    } else if root.join("testdata").is_dir() {
        // rerun when the folder appears
        println!("cargo:rerun-if-changed={}", root.join("testdata").display());
    } else {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    if let Ok(entries) = fs::read_dir(&dir) {
        for e in entries.flatten() {
            let path = e.path();
            let is_csv = path
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| x.eq_ignore_ascii_case("csv"));
            if !is_csv || !path.is_file() {
                continue;
            }
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let abs = fs::canonicalize(&path).unwrap_or(path.clone());
            println!("cargo:rerun-if-changed={}", abs.display());
            files.push((stem.to_string(), abs));
        }
    }
    files.sort();
    let mut code = String::from(
        "/// The sample tables embedded at build time: (table name, CSV bytes), by name.\n\
         pub(crate) static BUNDLED: &[(&str, &[u8])] = &[\n",
    );
    for (name, path) in &files {
        code.push_str(&format!(
            "    ({:?}, include_bytes!({:?})),\n",
            name,
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    if let Err(e) = fs::write(Path::new(&out).join("bundled.rs"), code) {
        println!("cargo:warning=cannot write the bundled table list: {e}");
    }
}
