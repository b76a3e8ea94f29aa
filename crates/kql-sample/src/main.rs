//! `kql-sample`: writes the sample MDE advanced hunting tables as CSV files.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;

/// Generate realistic MDE advanced hunting tables (portal CSV export format).
#[derive(Parser, Debug)]
#[command(name = "kql-sample", version)]
struct Args {
    /// Directory to write `<Table>.csv` files into.
    #[arg(long, default_value = "testdata/tables")]
    out: PathBuf,
    /// Seed of the generator (same seed, same bytes).
    #[arg(long, default_value_t = kql_sample::DEFAULT_SEED)]
    seed: u64,
    /// Rows per event table (DeviceInfo is not scaled); default: the
    /// committed sample sizes.
    #[arg(long)]
    rows: Option<u64>,
}

fn main() {
    let args = Args::parse();
    let config = kql_sample::Config {
        seed: args.seed,
        rows: args.rows,
    };
    let start = Instant::now();
    let written = match kql_sample::write_dir(&config, &args.out) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("kql-sample: {e}");
            std::process::exit(1);
        }
    };
    let secs = start.elapsed().as_secs_f64();
    let total: u64 = written.iter().map(|(_, n)| n).sum();
    for (table, rows) in &written {
        eprintln!(
            "{:>10} rows  {}",
            rows,
            args.out.join(table.file_name()).display()
        );
    }
    eprintln!(
        "{total} rows in {secs:.2}s ({:.0} rows/s)",
        total as f64 / secs.max(1e-9)
    );
}
