//! A simple interactive prompt: multi-line input, history, meta-commands.

use crate::render::render;
use crate::Session;
use kql_io::{OutputFormat, TableOptions};
use rustyline::error::ReadlineError;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::Helper;
use std::io::Write;
use std::process::ExitCode;

struct KqlHelper;

impl rustyline::completion::Completer for KqlHelper {
    type Candidate = String;
}

impl rustyline::hint::Hinter for KqlHelper {
    type Hint = String;
}

impl rustyline::highlight::Highlighter for KqlHelper {}

impl Helper for KqlHelper {}

impl Validator for KqlHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        if input.trim_start().starts_with('.') || input.trim().is_empty() {
            return Ok(ValidationResult::Valid(None));
        }
        if kql_parser::is_incomplete(input) {
            Ok(ValidationResult::Incomplete)
        } else {
            Ok(ValidationResult::Valid(None))
        }
    }
}

const HELP: &str = "\
Type a KQL query and press Enter to run it; an unfinished query (open
bracket, trailing |) continues on the next line.
  .tables          list the loaded tables
  .schema TABLE    show a table's columns and types
  .explain QUERY   show the logical plan of a query
  .help            this text
  .quit            leave (or Ctrl-D)";

/// Runs the prompt until the user leaves.
pub fn run(session: Session, (format, opts): (OutputFormat, TableOptions)) -> ExitCode {
    let mut rl = match rustyline::Editor::<KqlHelper, rustyline::history::DefaultHistory>::new() {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("cannot start the prompt: {e}");
            return ExitCode::from(1);
        }
    };
    rl.set_helper(Some(KqlHelper));
    let names: Vec<String> = session.db.tables().map(|(n, _)| n.clone()).collect();
    println!(
        "kql {} — tables: {} — .help for help, Ctrl-D to quit",
        env!("CARGO_PKG_VERSION"),
        names.join(", ")
    );
    let mut entry = 0;
    loop {
        match rl.readline("kql> ") {
            Ok(line) => {
                let text = line.trim();
                if text.is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                entry += 1;
                if let Some(cmd) = text.strip_prefix('.') {
                    if !meta(&session, cmd) {
                        break;
                    }
                    continue;
                }
                let name = format!("entry {entry}");
                match session.run(&line) {
                    Ok(results) => {
                        let mut out = std::io::stdout().lock();
                        for t in results {
                            let _ = kql_io::write_result(
                                &mut out, &t.schema, &t.batches, format, &opts,
                            );
                        }
                        let _ = out.flush();
                    }
                    Err(diags) => {
                        for d in diags {
                            eprint!("{}", render(&d, &name, &line, true));
                        }
                    }
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(_) => break,
        }
    }
    ExitCode::SUCCESS
}

/// Runs a meta-command; false means leave.
fn meta(session: &Session, cmd: &str) -> bool {
    let (name, rest) = cmd.split_once(char::is_whitespace).unwrap_or((cmd, ""));
    match name {
        "quit" | "exit" | "q" => return false,
        "help" => println!("{HELP}"),
        "tables" => {
            for (n, t) in session.db.tables() {
                println!(
                    "{n:<28} {:>8} rows {:>4} columns",
                    t.num_rows(),
                    t.schema.fields().len()
                );
            }
        }
        "schema" => match session.db.get(rest.trim()) {
            Some(t) => {
                for c in t.kql_schema().columns {
                    println!("{:<40} {}", c.name, c.ty);
                }
            }
            None => eprintln!("no table named `{}` (see .tables)", rest.trim()),
        },
        "explain" => match session.plan(rest) {
            Ok(plans) => {
                for p in plans {
                    print!("{}", p.explain());
                }
            }
            Err(diags) => {
                for d in diags {
                    eprint!("{}", render(&d, "explain", rest, true));
                }
            }
        },
        other => eprintln!("unknown command .{other} (see .help)"),
    }
    true
}
