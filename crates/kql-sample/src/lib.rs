//! Deterministic generator of realistic MDE advanced hunting tables, written as CSV exactly like the Defender portal's export.
//!
//! The estate is a dozen Windows machines of a small company (`contoso`)
//! observed from 2026-01-26 to 2026-01-31. Besides ordinary background
//! activity the data holds one incident: on `stefano-test` a PowerShell
//! script installs 7-Zip and archives an HR spreadsheet into
//! `employeedata.zip` at `2026-01-29T16:49:20.4813094Z` (see [`incident`]).
//!
//! [`generate`] returns the sample tables in memory; [`write_table`] streams
//! one table to any [`std::io::Write`], which is what the scale mode of the
//! `kql-sample` binary and benchmarks use.

pub mod fill;
pub mod gen;
pub mod incident;
pub mod rng;
pub mod row;
pub mod schema;
pub mod tables;
pub mod world;

use std::fmt;
use std::io::Write;
use std::path::Path;

/// Errors while generating or writing tables.
#[derive(Debug)]
pub enum Error {
    /// The bundled schema could not be read.
    Schema(String),
    /// Writing the output failed.
    Io(std::io::Error),
    /// The CSV writer failed.
    Csv(csv::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Schema(e) => write!(f, "schema: {e}"),
            Error::Io(e) => write!(f, "i/o: {e}"),
            Error::Csv(e) => write!(f, "csv: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<csv::Error> for Error {
    fn from(e: csv::Error) -> Self {
        Error::Csv(e)
    }
}

/// The tables the generator writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    DeviceProcessEvents,
    DeviceFileEvents,
    DeviceNetworkEvents,
    DeviceInfo,
}

impl Table {
    /// Every generated table, in the order they are written.
    pub const ALL: [Table; 4] = [
        Table::DeviceProcessEvents,
        Table::DeviceFileEvents,
        Table::DeviceNetworkEvents,
        Table::DeviceInfo,
    ];

    /// The table name (also the CSV file stem).
    pub fn name(self) -> &'static str {
        match self {
            Table::DeviceProcessEvents => "DeviceProcessEvents",
            Table::DeviceFileEvents => "DeviceFileEvents",
            Table::DeviceNetworkEvents => "DeviceNetworkEvents",
            Table::DeviceInfo => "DeviceInfo",
        }
    }

    /// The CSV file name.
    pub fn file_name(self) -> String {
        format!("{}.csv", self.name())
    }

    /// Rows of the committed sample for an event table.
    pub fn default_rows(self) -> u64 {
        match self {
            Table::DeviceProcessEvents => 2_100,
            Table::DeviceFileEvents => 1_600,
            Table::DeviceNetworkEvents => 1_700,
            Table::DeviceInfo => 0,
        }
    }
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Config {
    /// Seed of every random choice; the same seed gives byte-identical output.
    pub seed: u64,
    /// Rows per event table; `None` gives the committed sample sizes.
    /// `DeviceInfo` is never scaled.
    pub rows: Option<u64>,
}

/// The seed of the committed sample.
pub const DEFAULT_SEED: u64 = 20_260_129;

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: DEFAULT_SEED,
            rows: None,
        }
    }
}

/// Generates every table in memory: `(table, CSV bytes)`.
pub fn generate(config: &Config) -> Result<Vec<(Table, Vec<u8>)>, Error> {
    let world = world::build(config.seed);
    let mut out = Vec::new();
    for table in Table::ALL {
        let mut buf = Vec::new();
        gen::write_table(&world, config, table, &mut buf)?;
        out.push((table, buf));
    }
    Ok(out)
}

/// Streams one table as CSV to `out`, returning the number of data rows.
pub fn write_table<W: Write>(config: &Config, table: Table, out: W) -> Result<u64, Error> {
    let world = world::build(config.seed);
    gen::write_table(&world, config, table, out)
}

/// Writes every table as `<dir>/<Table>.csv` (one thread per table),
/// returning `(table, rows)`.
pub fn write_dir(config: &Config, dir: &Path) -> Result<Vec<(Table, u64)>, Error> {
    std::fs::create_dir_all(dir)?;
    let world = world::build(config.seed);
    let results: Vec<Result<(Table, u64), Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = Table::ALL
            .iter()
            .map(|&table| {
                let world = &world;
                scope.spawn(move || -> Result<(Table, u64), Error> {
                    let file = std::fs::File::create(dir.join(table.file_name()))?;
                    let w = std::io::BufWriter::with_capacity(1 << 20, file);
                    let rows = gen::write_table(world, config, table, w)?;
                    Ok((table, rows))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Schema("generator thread panicked".into())))
            })
            .collect()
    });
    results.into_iter().collect()
}
