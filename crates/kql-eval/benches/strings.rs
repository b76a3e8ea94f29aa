//! Criterion benchmarks of the evaluator's hot kernels over generated
//! process command lines (about 64 MiB of text, made deterministically
//! here): the string operators beside a plain substring scan of the same
//! bytes, `tolower`, and grouping and `top` through the executor.
//!
//! ```text
//! cargo bench -p kql-eval --bench strings
//! cargo bench -p kql-eval --bench strings -- contains   # a subset
//! ```
//!
//! String kernels report the bytes of the values they read; grouping and
//! `top` report rows.

use arrow::array::{ArrayRef, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kql_common::KqlType;
use kql_eval::strings::Matcher;
use kql_eval::{Database, EvalContext, Table};
use kql_parser::ast::{StrOp, StrOpKind};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// Bytes of command-line text to generate.
const TEXT_BYTES: usize = 64 << 20;
/// Rows per batch of the executor's table.
const BATCH_ROWS: usize = 64 * 1024;

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn num(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

const USERS: &[&str] = &[
    "dlee",
    "fkim",
    "uwilson",
    "owright",
    "jwang7",
    "myoung",
    "hrodriguez1",
    "asmith",
    "bjones",
    "cgarcia",
    "Administrator",
    "svc_backup",
];
const VENDORS: &[&str] = &[
    "Contoso",
    "Fabrikam",
    "Liberty",
    "Graphic",
    "Blue",
    "Consolidated",
    "Tailspin",
    "Northwind",
];
const SVC_GROUPS: &[&str] = &[
    "netsvcs",
    "LocalService",
    "LocalSystemNetworkRestricted",
    "LocalServiceNoNetwork",
    "NetworkService",
    "UnistackSvcGroup",
    "wsappx",
    "appmodel",
    "utcsvc",
];
const SVC_NAMES: &[&str] = &[
    "wuauserv",
    "BITS",
    "EventLog",
    "Winmgmt",
    "Schedule",
    "Dnscache",
    "LanmanServer",
];
const FOLDERS: &[&str] = &[
    r"C:\Windows\System32\RuntimeBroker.exe",
    r"C:\Windows\System32\taskhostw.exe",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
    r"C:\Program Files\Python311\python.exe",
    r"C:\Program Files\nodejs\node.exe",
    r"C:\Windows\System32\SearchProtocolHost.exe",
];
const FILES: &[&str] = &[
    "svchost.exe",
    "conhost.exe",
    "chrome.exe",
    "msedge.exe",
    "powershell.exe",
    "cmd.exe",
    "rundll32.exe",
    "regsvr32.exe",
    "mshta.exe",
    "net.exe",
    "notepad.exe",
    "RuntimeBroker.exe",
    "taskhostw.exe",
    "python.exe",
    "node.exe",
    "SearchProtocolHost.exe",
    "mimikatz.exe",
    "PowerShell.EXE",
];
const DOMAINS: &[&str] = &[
    "www.7-zip.org",
    "login.microsoftonline.com",
    "loader951.southridge.ru",
    "meet299.tailspin.co",
    "update.contoso.com",
];

/// One command line in the shape of the benchmark harness's
/// `ProcessCommandLine` values, and the file name it runs.
fn command_line(rng: &mut Rng) -> (String, &'static str) {
    let user = rng.pick(USERS);
    let vendor = rng.pick(VENDORS);
    let folder = rng.pick(FOLDERS);
    let (cmd, file) = match rng.below(20) {
        0..=3 => (
            format!(
                r"C:\Windows\system32\svchost.exe -k {} -p -s {}",
                rng.pick(SVC_GROUPS),
                rng.pick(SVC_NAMES)
            ),
            "svchost.exe",
        ),
        4 => (
            format!(
                r"\??\C:\Windows\system32\conhost.exe --headless --width 80 --height 25 --signal 0x{} --server 0x{}",
                rng.num(100, 999),
                rng.num(100, 999)
            ),
            "conhost.exe",
        ),
        5..=7 => (
            format!(
                r#""{folder}" --type=renderer --field-trial-handle={},i,{:010},{:010},262144 --lang=en-US --device-scale-factor=1 --num-raster-threads=4 --renderer-client-id={} --launch-time-ticks={} /prefetch:1"#,
                rng.num(1000, 9999),
                rng.num(0, 1 << 31),
                rng.num(0, 1 << 31),
                rng.num(5, 400),
                rng.num(1_000_000_000, 100_000_000_000)
            ),
            "chrome.exe",
        ),
        8 => (
            format!(
                r#"powershell.exe -NoProfile -ExecutionPolicy Bypass -File "C:\Users\{user}\AppData\Local\Temp\{}.ps1""#,
                rng.num(100_000, 1_000_000_000)
            ),
            "powershell.exe",
        ),
        9 => (
            format!(
                r#""{folder}" -NoLogo -NonInteractive -Command "Get-Service | Where-Object {{$_.Status -eq 'Running'}} | Select-Object -First {}""#,
                rng.num(1, 50)
            ),
            "powershell.exe",
        ),
        10 => (
            format!(
                r#"powershell.exe -Command "Write-Host 'UACBypass check'; Start-Sleep {}""#,
                rng.num(1, 60)
            ),
            "PowerShell.EXE",
        ),
        11 => (
            format!(
                r"C:\Windows\system32\cmd.exe /c whoami /all > C:\Windows\Temp\{}.txt",
                rng.num(1000, 99_999)
            ),
            "cmd.exe",
        ),
        12 => (
            format!(
                r#""{folder}" /d /c "{vendor}\update.bat" --silent --build {}"#,
                rng.num(1, 99_999)
            ),
            "cmd.exe",
        ),
        13 => (
            format!(
                r"rundll32.exe C:\Windows\System32\shell32.dll,SHCreateLocalServerRunDll {{{:010}-{}-{}-{}}} -Embedding",
                rng.num(0, 1 << 31),
                rng.num(1000, 9999),
                rng.num(1000, 9999),
                rng.num(100_000_000, 999_999_999)
            ),
            "rundll32.exe",
        ),
        14 => (
            format!(
                r#"mshta.exe "C:\Users\{user}\Downloads\invoice{}.hta""#,
                rng.num(100, 9999)
            ),
            "mshta.exe",
        ),
        15 => (format!(r"net.exe user {user} /domain"), "net.exe"),
        16 => (
            format!(
                r#""{folder}" C:\Users\{user}\Documents\notes{}.txt"#,
                rng.num(1, 999)
            ),
            "notepad.exe",
        ),
        17 => (
            format!(
                r#""{folder}" -config "C:\ProgramData\{vendor}\config.json" --log-level=info --pid {}"#,
                rng.num(4, 65_000)
            ),
            rng.pick(FILES),
        ),
        18 => (
            format!(
                r"firefox.exe --type=crashpad-handler --database=C:\Users\{user}\AppData\Local\CrashDumps --url=https://{}/report?token={}",
                rng.pick(DOMAINS),
                rng.num(100_000_000, 1_000_000_000)
            ),
            "firefox.exe",
        ),
        _ => (
            format!(
                r#""{folder}" --update --silent --channel=stable --session={}"#,
                rng.num(1_000_000, 1_000_000_000)
            ),
            rng.pick(FILES),
        ),
    };
    // The rare rows a hunt looks for, and a little upper-case text.
    let cmd = match rng.below(2000) {
        0 => format!(r#"{cmd} "sekurlsa::logonpasswords" Invoke-Mimikatz -DumpCreds"#),
        1..=9 => cmd.to_uppercase(),
        _ => cmd,
    };
    (cmd, file)
}

/// The generated table: command lines, file names, devices, sizes.
struct Data {
    cmd: StringArray,
    file: StringArray,
    db: Database,
    rows: usize,
}

fn data() -> Data {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut cmds, mut files, mut devices, mut sizes) = (vec![], vec![], vec![], vec![]);
    let mut bytes = 0;
    while bytes < TEXT_BYTES {
        let (cmd, file) = command_line(&mut rng);
        bytes += cmd.len();
        cmds.push(cmd);
        files.push(file);
        devices.push(format!("desktop-{:05}.corp.fabrikam.com", rng.below(500)));
        sizes.push(rng.num(0, 1 << 40) as i64);
    }
    let rows = cmds.len();
    let cmd = StringArray::from(cmds);
    let file = StringArray::from(files);
    let device = StringArray::from(devices);
    let size = Int64Array::from(sizes);
    let schema = Arc::new(arrow::datatypes::Schema::new(vec![
        KqlType::String.field("ProcessCommandLine"),
        KqlType::String.field("FileName"),
        KqlType::String.field("DeviceName"),
        KqlType::Long.field("Size"),
    ]));
    let batches = (0..rows)
        .step_by(BATCH_ROWS)
        .map(|at| {
            let len = BATCH_ROWS.min(rows - at);
            let cols: Vec<ArrayRef> = vec![
                Arc::new(cmd.slice(at, len)),
                Arc::new(file.slice(at, len)),
                Arc::new(device.slice(at, len)),
                Arc::new(size.slice(at, len)),
            ];
            RecordBatch::try_new(schema.clone(), cols).expect("batch")
        })
        .collect();
    let mut db = Database::new();
    db.insert("T", Table { schema, batches });
    Data {
        cmd,
        file,
        db,
        rows,
    }
}

fn op(kind: StrOpKind) -> StrOp {
    StrOp {
        kind,
        negated: false,
        case_sensitive: false,
    }
}

/// Runs a query on one thread and returns its number of result rows.
fn run(db: &Database, query: &str) -> usize {
    let ast = kql_parser::parse(query).expect("parses");
    let planned = kql_planner::plan_query(&ast, db).expect("plans");
    let plan = kql_planner::optimize::optimize(planned.results.into_iter().next().expect("result"));
    let ctx = EvalContext::at(0).with_threads(1);
    kql_eval::execute(&plan, db, &ctx).expect("runs").num_rows()
}

fn configure<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    g
}

fn kernels(c: &mut Criterion) {
    let d = data();
    let text = d.cmd.value_data();
    eprintln!(
        "{} rows, {:.1} MiB of command lines, {:.1} MiB of file names",
        d.rows,
        text.len() as f64 / (1 << 20) as f64,
        d.file.value_data().len() as f64 / (1 << 20) as f64
    );

    let mut g = configure(c, "cmdline");
    g.throughput(Throughput::Bytes(text.len() as u64));
    for needle in ["mimikatz", "bypass"] {
        g.bench_function(BenchmarkId::new("memmem", needle), |b| {
            let finder = memchr::memmem::Finder::new(needle);
            b.iter(|| black_box(finder.find_iter(black_box(text)).count()))
        });
    }
    let cases = [
        ("contains", StrOpKind::Contains, "mimikatz"),
        ("contains", StrOpKind::Contains, r"\temp\"),
        ("has", StrOpKind::Has, "bypass"),
        ("has", StrOpKind::Has, "mimikatz"),
        ("hasprefix", StrOpKind::HasPrefix, "invoke"),
        ("startswith", StrOpKind::StartsWith, "powershell"),
        ("endswith", StrOpKind::EndsWith, ".txt"),
        ("=~", StrOpKind::Equals, "cmd.exe /c whoami"),
    ];
    for (name, kind, needle) in cases {
        let m = Matcher::new(op(kind), needle);
        g.bench_function(BenchmarkId::new(name, needle), |b| {
            b.iter(|| black_box(m.eval(black_box(&d.cmd)).true_count()))
        });
    }
    // The row-wise matcher the buffer scans replace, for reference.
    for (kind, needle) in [
        (StrOpKind::Contains, "mimikatz"),
        (StrOpKind::Has, "bypass"),
    ] {
        let m = Matcher::new(op(kind), needle);
        g.bench_function(BenchmarkId::new(format!("{kind:?} rowwise"), needle), |b| {
            b.iter(|| black_box(m.eval_rowwise(black_box(&d.cmd)).true_count()))
        });
    }
    let tolower = kql_functions::ScalarFunc::from_name("tolower").expect("tolower");
    let cmd_ref: ArrayRef = Arc::new(d.cmd.clone());
    g.bench_function("tolower", |b| {
        let ctx = kql_functions::Ctx {
            len: d.rows,
            out: KqlType::String,
            now: 0,
        };
        let args = [kql_functions::Arg {
            array: cmd_ref.clone(),
            ty: KqlType::String,
        }];
        b.iter(|| {
            black_box(
                kql_functions::invoke(tolower, &ctx, &args)
                    .expect("tolower")
                    .len(),
            )
        })
    });
    g.finish();

    let mut g = configure(c, "filename");
    g.throughput(Throughput::Bytes(d.file.value_data().len() as u64));
    let m = Matcher::new(op(StrOpKind::Equals), "POWERSHELL.EXE");
    g.bench_function("=~ powershell.exe", |b| {
        b.iter(|| black_box(m.eval(black_box(&d.file)).true_count()))
    });
    g.finish();

    // Through the executor (one thread): `in~`, grouping on a string key
    // and `top`, per row of the table.
    let mut g = configure(c, "query");
    g.throughput(Throughput::Elements(d.rows as u64));
    for q in [
        r#"T | where FileName in~ ("powershell.exe", "cmd.exe", "mshta.exe", "rundll32.exe") | count"#,
        "T | summarize count() by FileName",
        "T | summarize count() by DeviceName",
        "T | summarize count() by ProcessCommandLine | count",
        "T | top 10 by Size desc",
        "T | top 10 by ProcessCommandLine asc",
    ] {
        g.bench_function(q, |b| b.iter(|| black_box(run(&d.db, q))));
    }
    g.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
