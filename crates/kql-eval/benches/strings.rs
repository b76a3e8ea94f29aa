//! Criterion benchmarks of the string-operator kernels over command-line
//! text, beside a plain substring scan of the same bytes.
//!
//! ```text
//! cargo bench -p kql-eval --bench strings
//! ```

use arrow::array::StringArray;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kql_eval::strings::Matcher;
use kql_parser::ast::{StrOp, StrOpKind};
use std::hint::black_box;

/// Deterministic command lines, a few of them holding the needles.
fn command_lines(rows: usize) -> StringArray {
    let programs = [
        r#""C:\Windows\System32\RuntimeBroker.exe" -config "C:\ProgramData\app\config.json" --log-level=info"#,
        r"C:\Windows\system32\svchost.exe -k LocalSystemNetworkRestricted -p",
        r"powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\Users\Public\run.ps1",
        r"powershell.exe -ExecutionPolicy UACBypass -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoA",
        r#""C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer --lang=en-US"#,
        r"cmd.exe /c whoami /all > C:\Users\Public\out.txt",
        r"rundll32.exe C:\Windows\System32\shell32.dll,Control_RunDLL",
    ];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let values: Vec<String> = (0..rows)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let base = programs[(x % programs.len() as u64) as usize];
            if i % 997 == 0 {
                format!("{base} sekurlsa::logonpasswords MimiKatz.exe")
            } else {
                format!("{base} --pid {}", x % 10_000)
            }
        })
        .collect();
    StringArray::from(values)
}

fn op(kind: StrOpKind) -> StrOp {
    StrOp {
        kind,
        negated: false,
        case_sensitive: false,
    }
}

fn kernels(c: &mut Criterion) {
    let arr = command_lines(200_000);
    let bytes = arr.value_data().len() as u64;
    let mut g = c.benchmark_group("command_lines");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("memmem_baseline", |b| {
        let finder = memchr::memmem::Finder::new("mimikatz");
        b.iter(|| black_box(finder.find_iter(black_box(arr.value_data())).count()))
    });
    let cases = [
        (StrOpKind::Contains, "mimikatz"),
        (StrOpKind::Contains, r"\users\"),
        (StrOpKind::Has, "bypass"),
        (StrOpKind::StartsWith, "powershell"),
        (StrOpKind::EndsWith, ".txt"),
        (StrOpKind::Equals, "cmd.exe"),
    ];
    for (kind, needle) in cases {
        let m = Matcher::new(op(kind), needle);
        let name = format!("{kind:?} {needle}");
        g.bench_with_input(BenchmarkId::new("buffer", &name), &arr, |b, a| {
            b.iter(|| black_box(m.eval(a).true_count()))
        });
        g.bench_with_input(BenchmarkId::new("rowwise", &name), &arr, |b, a| {
            b.iter(|| black_box(m.eval_rowwise(a).true_count()))
        });
    }
    g.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
