//! `kql-test:` directives: comment lines that pin the clock, pick the
//! tables, or state what a case expects beyond equality.
//!
//! A directive is a line whose text, after a comment marker (`//`, `#` or
//! `<!--`), starts with `kql-test:`. The same words work in every case
//! format: `now DATETIME`, `tables PATH`, `tolerance X`, `expect no rows`,
//! `expect at least N rows`, `expect among others`, `ordered`, `unordered`,
//! `skip`.

use std::path::PathBuf;

/// What directives have set; later settings override earlier ones.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Directives {
    /// `now()` for the case, in ticks.
    pub now: Option<i64>,
    /// A fixture folder or file, relative to the case file's folder.
    pub tables: Option<PathBuf>,
    /// Relative tolerance for `real` cells.
    pub tolerance: Option<f64>,
    /// The result must be empty.
    pub no_rows: bool,
    /// The result must have at least this many rows.
    pub at_least: Option<usize>,
    /// The expected rows must be in the result, which may hold others.
    pub among_others: bool,
    /// Force ordered (`Some(true)`) or multiset (`Some(false)`) comparison.
    pub ordered: Option<bool>,
    /// Do not run the case.
    pub skip: bool,
    /// Lines that looked like directives but were not understood.
    pub errors: Vec<String>,
}

impl Directives {
    /// True when the case states an expectation without a result table.
    pub fn has_assertion(&self) -> bool {
        self.no_rows || self.at_least.is_some()
    }

    /// `self` with every setting of `over` applied on top.
    pub fn merged(&self, over: &Directives) -> Directives {
        let mut errors = self.errors.clone();
        errors.extend(over.errors.iter().cloned());
        Directives {
            now: over.now.or(self.now),
            tables: over.tables.clone().or_else(|| self.tables.clone()),
            tolerance: over.tolerance.or(self.tolerance),
            no_rows: self.no_rows || over.no_rows,
            at_least: over.at_least.or(self.at_least),
            among_others: self.among_others || over.among_others,
            ordered: over.ordered.or(self.ordered),
            skip: self.skip || over.skip,
            errors,
        }
    }

    /// Reads a directive from `line` if it holds one; returns whether it did.
    pub fn read_line(&mut self, line: &str) -> bool {
        let Some(text) = directive_text(line) else {
            return false;
        };
        if let Err(e) = self.apply(text) {
            self.errors.push(e);
        }
        true
    }

    /// Applies the text of one directive (without `kql-test:`), recording a
    /// problem in `errors`.
    pub fn apply_text(&mut self, text: &str) {
        if let Err(e) = self.apply(text) {
            self.errors.push(e);
        }
    }

    fn apply(&mut self, text: &str) -> Result<(), String> {
        if text.is_empty() {
            // A bare `kql-test` marker.
            return Ok(());
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        let l: Vec<&str> = lower.iter().map(String::as_str).collect();
        match l.as_slice() {
            ["now", ..] => {
                let rest = after_first_word(text);
                let t = kql_common::time::parse_datetime(rest)
                    .ok_or_else(|| format!("`kql-test: now {rest}`: not a datetime (write it like 2026-01-29T16:49:20Z)"))?;
                self.now = Some(t);
            }
            ["tables", ..] => {
                let rest = after_first_word(text);
                if rest.is_empty() {
                    return Err("`kql-test: tables` needs a path".to_string());
                }
                self.tables = Some(PathBuf::from(rest));
            }
            ["tolerance", x] => {
                let v: f64 = x
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| format!("`kql-test: tolerance {x}`: not a number >= 0"))?;
                self.tolerance = Some(v);
            }
            ["expect", "no", "rows"] => self.no_rows = true,
            ["expect", "at", "least", n, "row" | "rows"] => {
                let v: usize = n
                    .parse()
                    .map_err(|_| format!("`kql-test: expect at least {n} rows`: not a count"))?;
                self.at_least = Some(v);
            }
            ["expect", "among", "others"] | ["expect", "these", "rows", "among", "others"] => {
                self.among_others = true;
            }
            ["ordered"] => self.ordered = Some(true),
            ["unordered"] => self.ordered = Some(false),
            ["skip"] => self.skip = true,
            _ => {
                return Err(format!(
                    "unknown directive `kql-test: {text}` (known: now, tables, tolerance, expect no rows, expect at least N rows, expect among others, ordered, unordered, skip)"
                ))
            }
        }
        Ok(())
    }
}

fn after_first_word(text: &str) -> &str {
    text.trim()
        .split_once(char::is_whitespace)
        .map_or("", |(_, r)| r)
        .trim()
}

/// The text after `kql-test:` when `line` is a directive comment.
pub fn directive_text(line: &str) -> Option<&str> {
    let t = line.trim();
    let rest = t
        .strip_prefix("<!--")
        .or_else(|| t.strip_prefix("//"))
        .or_else(|| t.strip_prefix('#'))?
        .trim_start();
    let rest = rest.strip_prefix("kql-test")?;
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    let rest = rest.trim();
    Some(rest.strip_suffix("-->").unwrap_or(rest).trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(lines: &[&str]) -> Directives {
        let mut d = Directives::default();
        for l in lines {
            d.read_line(l);
        }
        d
    }

    #[test]
    fn every_comment_style() {
        let d = read(&[
            "// kql-test: now 2026-01-31T12:00:00Z",
            "<!-- kql-test: expect at least 2 rows -->",
            "# kql-test: expect among others",
            "  //kql-test: unordered",
            "| where x // kql-test: skip",
        ]);
        assert_eq!(
            d.now,
            kql_common::time::parse_datetime("2026-01-31T12:00:00Z")
        );
        assert_eq!(d.at_least, Some(2));
        assert!(d.among_others);
        assert_eq!(d.ordered, Some(false));
        assert!(!d.skip, "a directive must start its line");
        assert!(d.errors.is_empty());
    }

    #[test]
    fn mistakes_are_reported() {
        let d = read(&[
            "// kql-test: now yesterday",
            "// kql-test: expect some rows",
            "// kql-test: expect at least x rows",
        ]);
        assert_eq!(d.errors.len(), 3, "{:?}", d.errors);
        assert!(d.errors[1].contains("unknown directive"));
    }

    #[test]
    fn case_settings_override_file_settings() {
        let file = read(&["// kql-test: now 2026-01-01", "// kql-test: ordered"]);
        let case = read(&["// kql-test: now 2026-02-01", "// kql-test: expect no rows"]);
        let m = file.merged(&case);
        assert_eq!(m.now, kql_common::time::parse_datetime("2026-02-01"));
        assert_eq!(m.ordered, Some(true));
        assert!(m.no_rows && m.has_assertion());
    }
}
