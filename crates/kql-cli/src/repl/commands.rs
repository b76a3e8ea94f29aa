//! Meta-commands: lines starting with `.`, which no query can start with.

use super::Repl;
use crate::render::render;
use kql_io::OutputFormat;
use std::fmt::Write as _;

pub const HELP: &str = "\
Type a KQL query and press Enter to run it. An unfinished query (open
bracket or string, trailing |, a let with nothing after it) continues on
the next line; Alt-Enter inserts a line break without running. Tab
completes tables, operators, columns and functions; Ctrl-R searches the
history; Ctrl-C clears the input; Ctrl-D leaves.

  .tables                 loaded tables with their row and column counts
  .schema TABLE           a table's columns and types
  .load PATH [as NAME]    load a CSV/JSON file or a folder of them
  .format table|csv|json  how results are printed
  .timing on|off          print the time and row count after each query
  .pager on|off           show results taller than the window in a pager
  .explain QUERY          the logical plan of a query
  .steps QUERY            run a pipeline one operator at a time
  .set now DATETIME       pin now() and ago() (.set now alone unpins)
  .output FILE            write results to FILE (.output alone: the screen)
  .help                   this text
  .quit                   leave";

/// What the loop should do after a command.
pub enum Flow {
    Continue,
    Quit,
}

/// Runs one meta-command (`line` without its leading `.`) and returns the
/// text to show.
pub fn run(repl: &mut Repl, line: &str) -> (Flow, String) {
    let line = line.trim();
    let (name, rest) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(a, b)| (a, b.trim()));
    let mut out = String::new();
    match name {
        "quit" | "exit" | "q" => return (Flow::Quit, out),
        "help" | "h" | "?" => out.push_str(HELP),
        "tables" => {
            let session = repl.session.borrow();
            let _ = writeln!(out, "{:<28} {:>10} {:>8}", "table", "rows", "columns");
            let names: Vec<String> = session.db.tables().map(|(n, _)| n.clone()).collect();
            for n in names {
                match session.table(&n) {
                    Ok(t) => {
                        let _ = writeln!(
                            out,
                            "{n:<28} {:>10} {:>8}",
                            t.num_rows(),
                            t.schema.fields().len()
                        );
                    }
                    Err(diags) => diags
                        .iter()
                        .for_each(|d| out.push_str(&render(d, &n, "", repl.color))),
                }
            }
        }
        "schema" => {
            let session = repl.session.borrow();
            match session.db.entry(rest) {
                Some(t) => {
                    let docs = kql_io::mde::columns(rest, kql_io::Variant::Portal);
                    for c in t.kql_schema().columns {
                        let desc = docs
                            .as_ref()
                            .and_then(|d| d.iter().find(|i| i.name == c.name))
                            .map(|i| i.description.to_string())
                            .unwrap_or_default();
                        let _ = writeln!(out, "{:<40} {:<9} {desc}", c.name, c.ty.name());
                    }
                }
                None => {
                    let names: Vec<String> = session.db.tables().map(|(n, _)| n.clone()).collect();
                    let hint =
                        kql_common::suggest::did_you_mean(rest, names.iter().map(String::as_str))
                            .map(|s| format!(" (did you mean {s}?)"))
                            .unwrap_or_default();
                    let _ = writeln!(out, "no table named `{rest}`{hint}; .tables lists them");
                }
            }
        }
        "load" => out = load(repl, rest),
        "format" => match OutputFormat::from_name(rest) {
            Some(f) => {
                repl.format = f;
                let _ = writeln!(out, "results print as {rest}");
            }
            None => out.push_str("usage: .format table|csv|json\n"),
        },
        "pager" => match rest {
            "on" => repl.pager = true,
            "off" => repl.pager = false,
            _ => out.push_str("usage: .pager on|off\n"),
        },
        "timing" => match rest {
            "on" => repl.timing = true,
            "off" => repl.timing = false,
            _ => out.push_str("usage: .timing on|off\n"),
        },
        "explain" => {
            let session = repl.session.borrow();
            match session.plan(rest) {
                Ok(plans) => plans.iter().for_each(|p| out.push_str(&p.explain())),
                Err(diags) => diags
                    .iter()
                    .for_each(|d| out.push_str(&render(d, ".explain", rest, repl.color))),
            }
        }
        "steps" => out = super::steps(repl, rest),
        "set" => {
            let (what, value) = rest
                .split_once(char::is_whitespace)
                .map_or((rest, ""), |(a, b)| (a, b.trim()));
            match (what, value) {
                ("now", "") => {
                    repl.session.borrow_mut().now = None;
                    out.push_str("now() follows the clock again\n");
                }
                ("now", v) => match kql_common::time::parse_datetime(v) {
                    Some(t) => {
                        repl.session.borrow_mut().now = Some(t);
                        let _ = writeln!(out, "now() is {}", kql_common::time::format_datetime(t));
                    }
                    None => {
                        let _ = writeln!(out, "`{v}` is not a datetime, e.g. 2026-01-29T16:49:20Z");
                    }
                },
                _ => out.push_str("usage: .set now DATETIME\n"),
            }
        }
        "output" => {
            if rest.is_empty() {
                repl.output = None;
                out.push_str("results go to the screen\n");
            } else {
                repl.output = Some(rest.into());
                let _ = writeln!(out, "results go to {rest}");
            }
        }
        other => {
            let known = [
                "tables", "schema", "load", "format", "timing", "pager", "explain", "steps", "set",
                "output", "help", "quit",
            ];
            let hint = kql_common::suggest::did_you_mean(other, known)
                .map(|s| format!("did you mean .{s}? "))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "unknown command .{other}; {hint}.help lists the commands"
            );
        }
    }
    (Flow::Continue, out)
}

fn load(repl: &mut Repl, rest: &str) -> String {
    let (path, alias) = match rest.rsplit_once(" as ") {
        Some((p, a)) => (p.trim(), Some(a.trim())),
        None => (rest, None),
    };
    if path.is_empty() {
        return "usage: .load PATH [as NAME]\n".to_string();
    }
    match kql_io::load_path(std::path::Path::new(path)) {
        Ok(mut tables) => {
            if let (Some(a), 1) = (alias, tables.len()) {
                if let Some(t) = tables.first_mut() {
                    t.name = a.to_string();
                }
            }
            let mut out = String::new();
            let mut session = repl.session.borrow_mut();
            for t in tables {
                let _ = writeln!(out, "loaded {} ({} rows)", t.name, t.num_rows());
                session.db.insert(
                    t.name,
                    kql_eval::Table {
                        schema: t.schema,
                        batches: t.batches,
                    },
                );
            }
            drop(session);
            repl.refresh_names();
            out
        }
        Err(diags) => diags
            .iter()
            .map(|d| render(d, ".load", "", repl.color))
            .collect(),
    }
}
