//! `kql-bench`: generates MDE-shaped tables with the sample generator, then
//! times loading them and running the exfiltration hunt's queries.
//!
//! ```text
//! cargo run --release -p kql-bench -- --rows 1M --runs 5
//! ```
//!
//! Generated data is cached (default `~/.cache/kql-bench/rows-N`), so only
//! the first run of a size pays for generation.

use clap::Parser;
use kql_cli::Session;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(name = "kql-bench")]
struct Args {
    /// Rows per event table, comma-separated; `k` and `M` suffixes allowed.
    #[arg(long, default_value = "1M")]
    rows: String,
    /// Timed runs of each query (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Where generated tables are kept between runs.
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Time the queries of this folder (`*.kql`) instead of the hunt's.
    #[arg(long)]
    queries: Option<PathBuf>,
    /// Read the tables from this folder instead of generating them (with
    /// `--queries`, e.g. the side-by-side harness's CSV exports).
    #[arg(long)]
    data: Option<PathBuf>,
}

fn parse_rows(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mul) = if let Some(n) = s.strip_suffix(['M', 'm']) {
        (n, 1_000_000)
    } else if let Some(n) = s.strip_suffix(['k', 'K']) {
        (n, 1_000)
    } else {
        (s, 1)
    };
    num.parse::<u64>().ok().map(|n| n * mul)
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let args = Args::parse();
    let cache = args.cache.clone().unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        home.join(".cache/kql-bench")
    });
    let hunt_dir = args
        .queries
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/hunt"));
    let mut queries: Vec<(String, String)> = std::fs::read_dir(&hunt_dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "kql"))
                .filter_map(|p| {
                    let name = p.file_stem()?.to_string_lossy().to_string();
                    Some((name, std::fs::read_to_string(&p).ok()?))
                })
                .collect()
        })
        .unwrap_or_default();
    queries.sort();

    if let Some(dir) = &args.data {
        time_queries(dir, &queries, args.runs);
        return;
    }
    for size in args.rows.split(',') {
        let Some(rows) = parse_rows(size) else {
            eprintln!("kql-bench: bad --rows value `{size}`");
            std::process::exit(2);
        };
        let dir = cache.join(format!("rows-{rows}"));
        if !dir.join("DeviceProcessEvents.csv").exists() {
            let _ = std::fs::create_dir_all(&dir);
            let start = Instant::now();
            let config = kql_sample::Config {
                seed: kql_sample::DEFAULT_SEED,
                rows: Some(rows),
            };
            if let Err(e) = kql_sample::write_dir(&config, &dir) {
                eprintln!("kql-bench: generating {rows} rows failed: {e}");
                std::process::exit(1);
            }
            eprintln!(
                "generated {rows} rows per table in {:.1}s",
                start.elapsed().as_secs_f64()
            );
        }
        let bytes = dir_size(&dir);
        println!(
            "## {rows} rows per event table ({:.0} MB of CSV)",
            bytes as f64 / 1e6
        );
        println!();
        time_queries(&dir, &queries, args.runs);
    }
}

/// Reads every table of `dir` once, then times each query (planning and
/// execution; the tables stay in memory).
fn time_queries(dir: &Path, queries: &[(String, String)], runs: usize) {
    let bytes = dir_size(dir);
    let start = Instant::now();
    // Open the exports (header only), then read every table whole, in
    // parallel chunks, as a session keeping its tables would.
    let tables = match kql_io::open_path(dir).and_then(|handles| {
        handles
            .iter()
            .map(|h| h.load(None))
            .collect::<Result<Vec<_>, _>>()
    }) {
        Ok(t) => t,
        Err(diags) => {
            for d in diags {
                eprintln!("kql-bench: {d}");
            }
            std::process::exit(1);
        }
    };
    let load = start.elapsed();
    let total_rows: usize = tables.iter().map(|t| t.num_rows()).sum();
    println!(
        "load: {:.0} ms for {total_rows} rows ({:.0} MB/s, {:.2} M rows/s)",
        ms(load),
        bytes as f64 / 1e6 / load.as_secs_f64(),
        total_rows as f64 / 1e6 / load.as_secs_f64()
    );
    println!();
    let session = Session::new(tables);
    println!("| query | result rows | median ms | min ms |");
    println!("|---|---:|---:|---:|");
    for (name, q) in queries {
        let mut times = Vec::with_capacity(runs);
        let mut result_rows = 0;
        for _ in 0..runs.max(1) {
            let start = Instant::now();
            match session.run(q) {
                Ok(results) => {
                    result_rows = results.iter().map(|t| t.num_rows()).sum();
                }
                Err(diags) => {
                    for d in diags {
                        eprintln!("kql-bench: {name}: {d}");
                    }
                    std::process::exit(1);
                }
            }
            times.push(start.elapsed());
        }
        times.sort();
        println!(
            "| {name} | {result_rows} | {:.1} | {:.1} |",
            ms(times[times.len() / 2]),
            ms(times[0])
        );
    }
    println!();
    if let Some(rss) = peak_rss_mb() {
        println!("peak RSS: {rss:.0} MB");
        println!();
    }
}
