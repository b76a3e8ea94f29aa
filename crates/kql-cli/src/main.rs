//! Entry point of the `kql` command.

use clap::{Parser, ValueEnum};
use kql_cli::render::render;
use kql_cli::{repl, Session};
use kql_common::Diagnostic;
use kql_io::{OutputFormat, TableOptions};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Run Kusto Query Language (KQL) queries over local tables.
///
/// With no query, `kql` reads one from standard input, or opens a prompt
/// when standard input is a terminal. Without --data it uses the bundled
/// sample Defender for Endpoint tables.
#[derive(Parser, Debug)]
#[command(name = "kql", version, about, long_about = None)]
struct Args {
    /// Run this query and exit.
    #[arg(short = 'e', long = "execute", value_name = "QUERY")]
    execute: Option<String>,

    /// Run the query in this file and exit.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        conflicts_with = "execute"
    )]
    file: Option<PathBuf>,

    /// Load a CSV, JSON-lines or JSON file (table name = file stem), or every
    /// such file in a folder, instead of the bundled tables. Repeatable.
    #[arg(short = 'd', long = "data", value_name = "PATH")]
    data: Vec<PathBuf>,

    /// How to print results.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// Pin now() (and ago()) to this datetime, e.g. 2026-01-30T00:00:00Z.
    #[arg(long, value_name = "DATETIME")]
    now: Option<String>,
    /// Folder of downloaded files for externaldata's http(s) URLs (each
    /// file named by its URL's last path segment); kql never fetches URLs.
    #[arg(long = "external-data", value_name = "DIR")]
    external_data: Option<std::path::PathBuf>,

    /// Print the logical plan instead of running the query.
    #[arg(long)]
    explain: bool,

    /// Widest cell of the text table, in characters (0 = no limit).
    #[arg(long, value_name = "N")]
    max_width: Option<usize>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

fn main() -> ExitCode {
    // Panics are caught per query and reported as diagnostics; keep the
    // default hook from printing a second, raw message.
    std::panic::set_hook(Box::new(|_| {}));
    let args = Args::parse();
    let color = std::io::stderr().is_terminal();
    let report = |diags: &[Diagnostic], name: &str, src: &str| {
        let mut err = std::io::stderr().lock();
        for d in diags {
            let _ = write!(err, "{}", render(d, name, src, color));
        }
    };

    let tables = if args.data.is_empty() {
        kql_io::bundled_tables()
    } else {
        let mut all = Vec::new();
        let mut errors = Vec::new();
        for p in &args.data {
            match kql_io::load_path(p) {
                Ok(mut t) => all.append(&mut t),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(all)
        } else {
            Err(errors)
        }
    };
    let tables = match tables {
        Ok(t) => t,
        Err(diags) => {
            report(&diags, "data", "");
            return ExitCode::from(1);
        }
    };
    let mut session = Session::new(tables);
    session.external_data = args.external_data.clone();
    if let Some(now) = &args.now {
        match kql_common::time::parse_datetime(now) {
            Some(t) => session.now = Some(t),
            None => {
                let d = Diagnostic::error(
                    "kql::cli::bad_now",
                    format!("--now `{now}` is not a datetime"),
                )
                .with_help("write it like 2026-01-29T16:49:20Z");
                report(&[d], "--now", "");
                return ExitCode::from(2);
            }
        }
    }

    let (name, query) = if let Some(q) = args.execute {
        ("query".to_string(), q)
    } else if let Some(path) = args.file {
        match std::fs::read_to_string(&path) {
            Ok(q) => (path.display().to_string(), q),
            Err(e) => {
                let d = Diagnostic::error(
                    "kql::io::read_failed",
                    format!("cannot read {}: {e}", path.display()),
                );
                report(&[d], "file", "");
                return ExitCode::from(1);
            }
        }
    } else if std::io::stdin().is_terminal() {
        return repl::run(session, output_options(&args.format, args.max_width, true));
    } else {
        let mut q = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut q) {
            let d = Diagnostic::error(
                "kql::io::read_failed",
                format!("cannot read standard input: {e}"),
            );
            report(&[d], "stdin", "");
            return ExitCode::from(1);
        }
        ("stdin".to_string(), q)
    };

    if args.explain {
        return match session.plan(&query) {
            Ok(plans) => {
                let mut out = std::io::stdout().lock();
                for p in plans {
                    let _ = write!(out, "{}", p.explain());
                }
                ExitCode::SUCCESS
            }
            Err(diags) => {
                report(&diags, &name, &query);
                ExitCode::from(1)
            }
        };
    }

    let result = session.run(&query);
    report(&session.take_warnings(), &name, &query);
    match result {
        Ok(results) => {
            let (format, opts) = output_options(
                &args.format,
                args.max_width,
                std::io::stdout().is_terminal(),
            );
            let mut out = std::io::stdout().lock();
            for (i, t) in results.iter().enumerate() {
                if i > 0 && format == OutputFormat::Table {
                    let _ = writeln!(out);
                }
                if let Err(e) = kql_io::write_result(&mut out, &t.schema, &t.batches, format, &opts)
                {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        return ExitCode::SUCCESS;
                    }
                    let d = Diagnostic::error(
                        "kql::io::write_failed",
                        format!("cannot write the result: {e}"),
                    );
                    report(&[d], &name, &query);
                    return ExitCode::from(1);
                }
            }
            let _ = out.flush();
            ExitCode::SUCCESS
        }
        Err(diags) => {
            report(&diags, &name, &query);
            ExitCode::from(1)
        }
    }
}

fn output_options(
    format: &Format,
    max_width: Option<usize>,
    terminal: bool,
) -> (OutputFormat, TableOptions) {
    let format = match format {
        Format::Table => OutputFormat::Table,
        Format::Csv => OutputFormat::Csv,
        Format::Json => OutputFormat::Json,
    };
    let max_col_width = match max_width {
        Some(0) => None,
        Some(n) => Some(n),
        None if terminal => Some(48),
        None => None,
    };
    let opts = TableOptions {
        max_col_width,
        footer: true,
        color: terminal,
        ..TableOptions::default()
    };
    (format, opts)
}
