//! Reads the top-level `query:` (and `name:`) of a Sentinel analytics-rule
//! or hunting-query YAML file.
//!
//! Only what those files use is read: a block scalar (`|`, `|-`, `>`...), a
//! quoted string, or a plain one-line value. A full YAML parser would add a
//! dependency to read two keys.

/// The value of the top-level key `key`, if present.
pub fn top_level(text: &str, key: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let prefix = format!("{key}:");
    let i = lines.iter().position(|l| l.starts_with(&prefix))?;
    let rest = lines.get(i)?.get(prefix.len()..)?.trim();
    // Drop a trailing comment from the indicator or plain value.
    if let Some(ind) = rest.chars().next().filter(|c| *c == '|' || *c == '>') {
        let folded = ind == '>';
        let keep = rest.contains('+');
        let strip = rest.contains('-');
        let body: Vec<&str> = lines
            .iter()
            .skip(i + 1)
            .take_while(|l| l.trim().is_empty() || l.starts_with(' ') || l.starts_with('\t'))
            .copied()
            .collect();
        let indent = body
            .iter()
            .find(|l| !l.trim().is_empty())
            .map_or(0, |l| l.len() - l.trim_start().len());
        let body: Vec<String> = body
            .iter()
            .map(|l| l.get(indent..).unwrap_or("").to_string())
            .collect();
        let mut out = if folded {
            let mut s = String::new();
            for (k, l) in body.iter().enumerate() {
                if l.is_empty() {
                    s.push('\n');
                } else {
                    if k > 0 && !s.ends_with('\n') {
                        s.push(' ');
                    }
                    s.push_str(l);
                }
            }
            s
        } else {
            body.join("\n")
        };
        if !keep {
            let t = out.trim_end_matches('\n').len();
            out.truncate(t);
            if !strip {
                out.push('\n');
            }
        }
        return Some(out);
    }
    if let Some(s) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(o) => out.push(o),
                    None => {}
                },
                c => out.push(c),
            }
        }
        return Some(out);
    }
    if let Some(s) = rest.strip_prefix('\'') {
        let s = s.rsplit_once('\'').map_or(s, |(a, _)| a);
        return Some(s.replace("''", "'"));
    }
    let plain = match rest.find(" #") {
        Some(p) => rest.get(..p).unwrap_or(rest),
        None => rest,
    };
    Some(plain.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_rule() {
        let text = "id: 1\nname: Archive created\ndescription: |\n  x\nquery: |\n  DeviceFileEvents\n  | where FileName endswith \".zip\"\n\n  | take 1\nentityMappings:\n  - a\n";
        assert_eq!(top_level(text, "name").as_deref(), Some("Archive created"));
        assert_eq!(
            top_level(text, "query").as_deref(),
            Some("DeviceFileEvents\n| where FileName endswith \".zip\"\n\n| take 1\n")
        );
        assert_eq!(top_level(text, "missing"), None);
    }

    #[test]
    fn scalar_styles() {
        assert_eq!(
            top_level("query: 'it''s'\n", "query").as_deref(),
            Some("it's")
        );
        assert_eq!(
            top_level("query: \"a\\\"b\"\n", "query").as_deref(),
            Some("a\"b")
        );
        assert_eq!(
            top_level("query: T | take 1 # c\n", "query").as_deref(),
            Some("T | take 1")
        );
        assert_eq!(
            top_level("query: >-\n  T\n  | take 1\n", "query").as_deref(),
            Some("T | take 1")
        );
        assert_eq!(
            top_level("  query: nested\n", "query"),
            None,
            "only top-level keys"
        );
    }
}
