//! What `kql test` prints: a progress line per case, explanations of
//! failures, the summary, and JUnit XML for CI systems.

use crate::testing::{Outcome, Status};
use std::fmt::Write as _;
use std::time::Duration;

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// `PASS file:line name (3.1 ms)` and, for a failure, its explanation.
pub fn progress_line(o: &Outcome, color: bool) -> String {
    let (tag, c) = match o.status {
        Status::Passed => ("PASS   ", "\x1b[32m"),
        Status::Failed => ("FAIL   ", "\x1b[31m"),
        Status::New => ("NEW    ", "\x1b[33m"),
        Status::Blessed => ("BLESSED", "\x1b[36m"),
        Status::Skipped => ("SKIP   ", "\x1b[2m"),
    };
    let (c, reset) = if color { (c, "\x1b[0m") } else { ("", "") };
    let mut s = format!(
        "{c}{tag}{reset} {}:{} {} ({})\n",
        o.case.file.display(),
        o.case.line,
        o.case.name,
        ms(o.duration)
    );
    if matches!(o.status, Status::Failed | Status::New) {
        if !o.message.is_empty() {
            let _ = writeln!(s, "        {}", o.message);
        }
        for l in o.details.lines() {
            let _ = writeln!(s, "        {l}");
        }
    }
    s
}

/// Counts of each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub new: usize,
    pub blessed: usize,
    pub skipped: usize,
}

impl Counts {
    pub fn of(outcomes: &[Outcome]) -> Counts {
        let mut c = Counts::default();
        for o in outcomes {
            match o.status {
                Status::Passed => c.passed += 1,
                Status::Failed => c.failed += 1,
                Status::New => c.new += 1,
                Status::Blessed => c.blessed += 1,
                Status::Skipped => c.skipped += 1,
            }
        }
        c
    }

    /// True when the run should exit non-zero.
    pub fn is_failure(&self) -> bool {
        self.failed + self.new > 0
    }
}

/// `12 passed, 1 failed` plus new, blessed and skipped counts when there are any.
pub fn summary(outcomes: &[Outcome], elapsed: Duration) -> String {
    let c = Counts::of(outcomes);
    let mut s = format!("{} passed, {} failed", c.passed, c.failed + c.new);
    if c.new > 0 {
        let _ = write!(
            s,
            " ({} without expectation: run with --bless to record {})",
            c.new,
            if c.new == 1 { "it" } else { "them" }
        );
    }
    if c.blessed > 0 {
        let _ = write!(s, ", {} blessed", c.blessed);
    }
    if c.skipped > 0 {
        let _ = write!(s, ", {} skipped", c.skipped);
    }
    let _ = write!(s, " in {:.2}s", elapsed.as_secs_f64());
    s
}

/// Text safe inside XML: markup escaped, ANSI escapes dropped, characters
/// XML 1.0 forbids replaced.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                // Skip a CSI sequence: ESC [ ... letter.
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for n in chars.by_ref() {
                        if n.is_ascii_alphabetic() {
                            break;
                        }
                    }
                }
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one `<testsuite>` per case file, one `<testcase>` per case.
pub fn junit(outcomes: &[Outcome], elapsed: Duration) -> String {
    let mut files: Vec<String> = Vec::new();
    for o in outcomes {
        let f = o.case.file.display().to_string();
        if !files.contains(&f) {
            files.push(f);
        }
    }
    let c = Counts::of(outcomes);
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"kql test\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        outcomes.len(),
        c.failed + c.new,
        c.skipped,
        elapsed.as_secs_f64()
    );
    for f in files {
        let mine: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.case.file.display().to_string() == f)
            .collect();
        let fails = mine
            .iter()
            .filter(|o| matches!(o.status, Status::Failed | Status::New))
            .count();
        let skips = mine.iter().filter(|o| o.status == Status::Skipped).count();
        let time: f64 = mine.iter().map(|o| o.duration.as_secs_f64()).sum();
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\" errors=\"0\" skipped=\"{skips}\" time=\"{time:.3}\">",
            xml(&f),
            mine.len()
        );
        for o in mine {
            let _ = write!(
                s,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\" time=\"{:.3}\"",
                xml(&o.case.name),
                xml(&f),
                xml(&f),
                o.case.line,
                o.duration.as_secs_f64()
            );
            match o.status {
                Status::Passed | Status::Blessed => s.push_str("/>\n"),
                Status::Skipped => s.push_str(">\n      <skipped/>\n    </testcase>\n"),
                Status::Failed | Status::New => {
                    let _ = write!(
                        s,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                        xml(&o.message),
                        if o.status == Status::New { "new" } else { "mismatch" },
                        xml(&o.details)
                    );
                }
            }
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_colours() {
        assert_eq!(
            xml("a<b & \"c\"\x1b[31m!\x1b[0m\x01"),
            "a&lt;b &amp; &quot;c&quot;!\u{fffd}"
        );
    }
}
