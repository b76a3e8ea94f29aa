//! Entry point of the `kql` command.

use clap::{Parser, Subcommand, ValueEnum};
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
#[command(
    name = "kql",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,

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

    /// Load a CSV, TSV, JSON-lines, JSON, Parquet or Arrow IPC file (table
    /// name = file stem), or every such file in a folder, instead of the
    /// bundled tables. Repeatable.
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

    /// Parse CSV/TSV files without using or filling the cache of parsed
    /// columns (kept in $XDG_CACHE_HOME/kql/tables or ~/.cache/kql/tables;
    /// KQL_CACHE_DIR sets another folder, KQL_NO_CACHE=1 works like this flag).
    #[arg(long)]
    no_cache: bool,
    /// Most memory one query may allocate, e.g. 512MB, 2GiB or 1.5G (K, M,
    /// G, T and KiB, MiB, GiB, TiB are powers of 1024; KB, MB, GB, TB of
    /// 1000). A query that needs more stops with kql::eval::memory_limit.
    #[arg(
        long = "max-memory",
        value_name = "SIZE",
        env = "KQL_MAX_MEMORY",
        value_parser = parse_max_memory
    )]
    max_memory: Option<u64>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run hunting and detection queries against fixture tables and compare
    /// their results with the expectations beside them.
    ///
    /// Cases: NAME.kql with NAME.expected.csv or .json; Markdown write-ups
    /// whose ```kql blocks are followed by a table or a ```csv, ```json or
    /// ```output block; Sentinel YAML files (query:) with NAME.expected.csv
    /// or .json; .kqltest files. Tables come from the nearest tables/
    /// folder, or --data, or else the bundled sample tables.
    Test(TestArgs),
}

#[derive(clap::Args, Debug)]
struct TestArgs {
    /// Files or folders to search for cases (default: the current folder).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Write the actual results as the expectations of failing and new cases
    /// (also with KQL_BLESS=1).
    #[arg(long)]
    bless: bool,

    /// Pin now() (and ago()) for cases without a `kql-test: now` directive.
    #[arg(long, value_name = "DATETIME")]
    now: Option<String>,

    /// Tables for every case instead of the nearest tables/ folder. Repeatable.
    #[arg(short = 'd', long = "data", value_name = "PATH")]
    data: Vec<PathBuf>,

    /// `text`: a line per case and a summary; `junit`: JUnit XML on
    /// standard output (progress goes to standard error).
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    format: TestFormat,

    /// Cases run at once (default: the number of CPUs).
    #[arg(short = 'j', long, value_name = "N")]
    jobs: Option<usize>,

    /// Run only the cases whose `FILE:LINE NAME` contains this text (any case).
    #[arg(short = 'k', long, value_name = "TEXT")]
    filter: Option<String>,

    /// Folder of downloaded files for externaldata's http(s) URLs, as for `kql`.
    #[arg(long = "external-data", value_name = "DIR")]
    external_data: Option<PathBuf>,
    /// Most memory one case's query may allocate (cases running at once
    /// share the process: use -j 1 to hold each to it alone), as for `kql`.
    #[arg(
        long = "max-memory",
        value_name = "SIZE",
        env = "KQL_MAX_MEMORY",
        value_parser = parse_max_memory
    )]
    max_memory: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum TestFormat {
    Text,
    Junit,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

/// Counts allocations, for `--max-memory`.
#[global_allocator]
static ALLOCATOR: kql_common::memory::CountingAllocator = kql_common::memory::CountingAllocator;

/// `--max-memory` / `KQL_MAX_MEMORY`: a memory size such as `512MB`.
fn parse_max_memory(text: &str) -> Result<u64, String> {
    kql_common::memory::parse_size(text)
}

/// Waits for cache files still being written when `main` returns.
struct FinishCacheWrites;

impl Drop for FinishCacheWrites {
    fn drop(&mut self) {
        kql_io::finish_cache_writes();
    }
}

/// Tunes glibc's allocator for a query engine's pattern: column buffers of
/// megabytes allocated and freed every batch. By default glibc serves such
/// buffers with fresh `mmap`s and hands freed memory back at once, so every
/// batch pays page faults to zero pages it just released. Here buffers up
/// to 32 MiB come from the heap, the heap grows in 64 MiB steps, and up to
/// 1 GiB of freed heap is kept for reuse.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: `mallopt` only sets allocator parameters; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() -> ExitCode {
    tune_allocator();
    let _cache_writes = FinishCacheWrites;
    // Panics are caught per query and reported as diagnostics; keep the
    // default hook from printing a second, raw message.
    std::panic::set_hook(Box::new(|_| {}));
    let args = Args::parse();
    if let Some(Command::Test(t)) = args.command {
        return run_tests(t);
    }
    let color = std::io::stderr().is_terminal();
    let report = |diags: &[Diagnostic], name: &str, src: &str| {
        let mut err = std::io::stderr().lock();
        for d in diags {
            let _ = write!(err, "{}", render(d, name, src, color));
        }
    };

    let interactive =
        args.execute.is_none() && args.file.is_none() && std::io::stdin().is_terminal();
    let handles = if args.data.is_empty() {
        kql_io::bundled_handles()
    } else {
        let open_options = kql_io::OpenOptions {
            cache_dir: if args.no_cache {
                None
            } else {
                kql_io::default_cache_dir()
            },
        };
        let mut all = Vec::new();
        let mut errors = Vec::new();
        for p in &args.data {
            match kql_io::open_path_with(p, &open_options) {
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
    let handles = match handles {
        Ok(t) => t,
        Err(diags) => {
            report(&diags, "data", "");
            return ExitCode::from(1);
        }
    };
    // The prompt keeps tables in memory once read; a single query over
    // --data reads just the columns it needs. The small bundled tables are
    // always kept.
    let keep = interactive || args.data.is_empty();
    let mut session = Session::from_handles(handles, keep);
    session.external_data = args.external_data.clone();
    session.max_memory = args.max_memory;
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

/// `kql test`: exit 0 when every case passed, 1 when any failed or had no
/// expectation, 2 for bad arguments.
fn run_tests(args: TestArgs) -> ExitCode {
    use kql_cli::testing::{self, report};
    let started = std::time::Instant::now();
    let now = match &args.now {
        None => None,
        Some(n) => match kql_common::time::parse_datetime(n) {
            Some(t) => Some(t),
            None => {
                eprintln!(
                    "error: --now `{n}` is not a datetime (write it like 2026-01-29T16:49:20Z)"
                );
                return ExitCode::from(2);
            }
        },
    };
    let bless =
        args.bless || std::env::var_os("KQL_BLESS").is_some_and(|v| v != "0" && !v.is_empty());
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let cases = match testing::discover::discover(&paths) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let cases = match &args.filter {
        Some(f) => testing::filter(cases, f),
        None => cases,
    };
    let junit = args.format == TestFormat::Junit;
    let color = !junit && std::io::stdout().is_terminal();
    let opts = testing::Options {
        bless,
        now,
        data: args.data,
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        color,
        external_data: args.external_data,
        max_memory: args.max_memory,
    };
    if cases.is_empty() {
        eprintln!(
            "no test cases found under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return ExitCode::from(1);
    }
    let outcomes = testing::run(cases, &opts, |o| {
        let line = report::progress_line(o, color);
        if junit {
            eprint!("{line}");
        } else {
            print!("{line}");
            let _ = std::io::stdout().flush();
        }
    });
    // Blessing changes statuses: repeat what it wrote.
    if bless {
        for o in outcomes
            .iter()
            .filter(|o| o.status == testing::Status::Blessed)
        {
            let line = format!(
                "wrote the expectation of {}:{} {}",
                o.case.file.display(),
                o.case.line,
                o.case.name
            );
            if junit {
                eprintln!("{line}")
            } else {
                println!("{line}")
            }
        }
    }
    let elapsed = started.elapsed();
    let summary = report::summary(&outcomes, elapsed);
    if junit {
        print!("{}", report::junit(&outcomes, elapsed));
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    if report::Counts::of(&outcomes).is_failure() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
