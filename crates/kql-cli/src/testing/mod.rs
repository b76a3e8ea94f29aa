//! `kql test`: runs hunting and detection queries against fixture tables
//! and compares their results with expectations kept beside them.
//!
//! [`discover`] finds the cases (`.kql` + `NAME.expected.csv|json`,
//! Markdown write-ups, Sentinel YAML, `.kqltest` files); [`run`] opens each
//! fixture folder once and reads each of its tables once, when a case first
//! scans it (shared by every case after), runs the cases in parallel,
//! compares with
//! [`compare`], and with `bless` writes actual results as the new
//! expectations; [`report`] prints progress, the summary and JUnit XML.

pub mod case;
pub mod compare;
pub mod directive;
pub mod discover;
pub mod expect;
pub mod kqltest;
pub mod markdown;
pub mod report;
pub mod settings;
pub mod yaml;

use crate::Session;
use case::{Case, Style, Target};
use compare::{ActualTable, Mode, DEFAULT_TOLERANCE};
use expect::{Expected, Form};
use kql_common::Diagnostic;
use kql_eval::Table;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::{Duration, Instant};

/// How to run.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Write actual results as the expectations of failing and new cases.
    pub bless: bool,
    /// `now()` for cases without a `now` directive.
    pub now: Option<i64>,
    /// Tables for every case instead of the nearest `tables/` folder.
    pub data: Vec<PathBuf>,
    /// Cases run at once (at least 1).
    pub jobs: usize,
    /// ANSI colours in explanations.
    pub color: bool,
    /// Folder of downloaded files for `externaldata` URLs.
    pub external_data: Option<PathBuf>,
    /// The memory budget of each case's query in bytes (see
    /// [`Session::max_memory`]; cases running at once share the process).
    pub max_memory: Option<u64>,
}

/// How a case ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    /// No expectation yet (and no assertion).
    New,
    /// `--bless` wrote its expectation.
    Blessed,
    Skipped,
}

/// The result of one case.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub case: Case,
    pub status: Status,
    /// One line saying what went wrong.
    pub message: String,
    /// The diff or the diagnostics report.
    pub details: String,
    pub duration: Duration,
    /// What `--bless` would write (only for failed and new cases).
    pub bless: Option<String>,
}

/// Where a case's tables come from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Source {
    Bundled,
    Paths(Vec<PathBuf>),
}

/// The nearest `tables/` folder above `file`.
fn nearest_tables(file: &Path) -> Option<PathBuf> {
    file.parent()?
        .ancestors()
        .map(|d| d.join("tables"))
        .find(|t| t.is_dir())
}

fn source_of(case: &Case, opts: &Options) -> Source {
    if !opts.data.is_empty() {
        return Source::Paths(opts.data.clone());
    }
    if let Some(t) = &case.directives.tables {
        let base = case.file.parent().unwrap_or(Path::new("."));
        return Source::Paths(vec![base.join(t)]);
    }
    match nearest_tables(&case.file) {
        Some(t) => Source::Paths(vec![t]),
        None => Source::Bundled,
    }
}

/// A fixture table: opened when its folder is first used, its rows read
/// when a query first scans it, then shared by every case.
pub struct SharedTable {
    handle: kql_io::TableHandle,
    rows: OnceLock<Result<Table, Vec<Diagnostic>>>,
}

impl SharedTable {
    /// The whole table, read on the first call.
    fn whole(&self) -> &Result<Table, Vec<Diagnostic>> {
        self.rows.get_or_init(|| {
            self.handle.load(None).map(|t| Table {
                schema: t.schema,
                batches: t.batches,
            })
        })
    }

    /// The table, or only the columns `projection` lists.
    fn read(&self, projection: Option<&[usize]>) -> Result<Table, Vec<Diagnostic>> {
        let whole = self.whole().as_ref().map_err(Clone::clone)?;
        let Some(cols) = projection else {
            return Ok(whole.clone());
        };
        let internal = |e: arrow::error::ArrowError| {
            vec![Diagnostic::error("kql::eval::internal", e.to_string())]
        };
        Ok(Table {
            schema: Arc::new(whole.schema.project(cols).map_err(internal)?),
            batches: whole
                .batches
                .iter()
                .map(|b| b.project(cols))
                .collect::<Result<Vec<_>, _>>()
                .map_err(internal)?,
        })
    }
}

/// A session over a fixture folder's shared tables.
fn session_over(tables: &[Arc<SharedTable>]) -> Session {
    let mut session = Session::new(Vec::new());
    for t in tables {
        let shared = Arc::clone(t);
        session.db.insert_lazy(
            t.handle.name.clone(),
            t.handle.schema.clone(),
            Arc::new(move |projection: Option<&[usize]>, _: &[_]| shared.read(projection)),
        );
    }
    session
}

type Loaded = Result<Arc<Vec<Arc<SharedTable>>>, String>;

fn load(source: &Source) -> Loaded {
    let result = match source {
        Source::Bundled => kql_io::bundled_handles(),
        Source::Paths(ps) => {
            let mut all = Vec::new();
            let mut errs: Vec<Diagnostic> = Vec::new();
            for p in ps {
                match kql_io::open_path(p) {
                    Ok(mut t) => all.append(&mut t),
                    Err(mut e) => errs.append(&mut e),
                }
            }
            if errs.is_empty() {
                Ok(all)
            } else {
                Err(errs)
            }
        }
    };
    let result = result.map(|hs| {
        hs.into_iter()
            .map(|handle| {
                Arc::new(SharedTable {
                    handle,
                    rows: OnceLock::new(),
                })
            })
            .collect::<Vec<_>>()
    });
    result.map(Arc::new).map_err(|ds| {
        let what = match source {
            Source::Bundled => "the sample tables".to_string(),
            Source::Paths(ps) => ps
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        };
        let msgs: Vec<String> = ds.iter().map(|d| d.message.clone()).collect();
        format!("cannot load the tables from {what}: {}", msgs.join("; "))
    })
}

/// The diagnostics of a failed query, one `error CODE at START..END `TEXT`:
/// MESSAGE` line each (plus `help:` lines): the form `.kqltest` files keep.
pub fn diagnostics_listing(diags: &[Diagnostic], query: &str) -> String {
    let mut out = String::new();
    for d in diags {
        let at = d
            .span
            .map(|s| {
                format!(
                    " at {}..{} `{}`",
                    s.start,
                    s.end,
                    query.get(s.start..s.end).unwrap_or_default()
                )
            })
            .unwrap_or_default();
        out.push_str(&format!("error {}{at}: {}\n", d.code, d.message));
        if let Some(h) = &d.help {
            out.push_str(&format!("help: {h}\n"));
        }
    }
    out
}

/// The text `--bless` writes for a case whose query returned `tables`.
fn bless_text(case: &Case, tables: &[Table]) -> Option<String> {
    let form = match &case.expected {
        Expected::Tables { form, .. } => Some(*form),
        _ => None,
    };
    let last = tables.last().map(ActualTable::from_table);
    match &case.target {
        Target::File(p) => {
            let last = last?;
            if p.extension().is_some_and(|e| e == "json") {
                Some(expect::write_json(&last))
            } else {
                let typed = !matches!(form, Some(Form::Csv { typed: false }));
                Some(expect::write_csv(&last, typed))
            }
        }
        Target::Span { style, .. } => match style {
            Style::KqlTest | Style::KqlTestNew => {
                let text: String = tables.iter().map(compare::render_table).collect();
                Some(text)
            }
            Style::MdTable | Style::MdNew => last.map(|t| expect::write_md(&t)),
            Style::MdFence | Style::MdBareFence => {
                let last = last?;
                let bare = *style == Style::MdBareFence;
                let info = |name: &'static str| if bare { "" } else { name };
                Some(match form {
                    Some(Form::Json) => {
                        format!("```{}\n{}```\n", info("json"), expect::write_json(&last))
                    }
                    Some(Form::Csv { typed }) => format!(
                        "```{}\n{}```\n",
                        info("csv"),
                        expect::write_csv(&last, typed)
                    ),
                    _ => {
                        let text: String = tables.iter().map(compare::render_table).collect();
                        format!("```{}\n{text}```\n", info("output"))
                    }
                })
            }
        },
    }
}

fn outcome(case: &Case, status: Status, message: String, details: String) -> Outcome {
    Outcome {
        case: case.clone(),
        status,
        message,
        details,
        duration: Duration::ZERO,
        bless: None,
    }
}

/// The result columns a plan's final sort orders by, when every sort key is
/// a column that reaches the result unchanged: rows equal on them have no
/// defined order. `None` when that cannot be told.
fn sort_keys(plan: &kql_planner::LogicalPlan) -> Option<Vec<usize>> {
    use kql_planner::{LogicalPlan, PlanExprKind};
    match plan {
        LogicalPlan::Sort(s) => s
            .keys
            .iter()
            .map(|k| match &k.expr.kind {
                PlanExprKind::Column { index, .. } => Some(*index),
                _ => None,
            })
            .collect(),
        LogicalPlan::Filter(f) => sort_keys(&f.input),
        LogicalPlan::Limit(l) => sort_keys(&l.input),
        LogicalPlan::Project(p) => sort_keys(&p.input)?
            .into_iter()
            .map(|k| {
                p.exprs.iter().position(
                    |(_, e)| matches!(&e.kind, PlanExprKind::Column { index, .. } if *index == k),
                )
            })
            .collect(),
        _ => None,
    }
}

/// Runs one case over `tables`.
pub fn run_case(case: &Case, tables: &[Arc<SharedTable>], opts: &Options) -> Outcome {
    let d = &case.directives;
    if d.skip {
        return outcome(case, Status::Skipped, "skipped".into(), String::new());
    }
    if !d.errors.is_empty() {
        return outcome(
            case,
            Status::Failed,
            "bad directive".into(),
            d.errors.join("\n"),
        );
    }
    if let Expected::Invalid(e) = &case.expected {
        return outcome(
            case,
            Status::Failed,
            "cannot read the case or its expectation".into(),
            e.clone(),
        );
    }
    let mut session = session_over(tables);
    session.now = d.now.or(opts.now);
    session.external_data = opts.external_data.clone();
    session.max_memory = opts.max_memory;
    session.base_dir = case.file.parent().map(Path::to_path_buf);
    let is_kqltest = matches!(
        case.target,
        Target::Span {
            style: Style::KqlTest | Style::KqlTestNew,
            ..
        }
    );
    let result = session.run(&case.query);
    let tables = match result {
        Err(diags) => {
            let listing = diagnostics_listing(&diags, &case.query);
            let bless = is_kqltest.then(|| listing.clone());
            let mut o = match &case.expected {
                Expected::Error(e) if e.trim_end() == listing.trim_end() => {
                    return outcome(case, Status::Passed, String::new(), String::new())
                }
                Expected::Error(e) => outcome(
                    case,
                    Status::Failed,
                    "the query fails differently".into(),
                    format!("expected:\n{e}actual:\n{listing}"),
                ),
                _ => {
                    // Blank lines before the query make the report's line
                    // numbers those of the case file.
                    let pad = "\n".repeat(case.query_line.saturating_sub(1));
                    let src = format!("{pad}{}", case.query);
                    let name = case.file.display().to_string();
                    let report: String = diags
                        .iter()
                        .map(|dg| {
                            let mut dg = dg.clone();
                            if let Some(s) = dg.span.as_mut() {
                                s.start += pad.len();
                                s.end += pad.len();
                            }
                            for l in &mut dg.secondary {
                                l.span.start += pad.len();
                                l.span.end += pad.len();
                            }
                            crate::render::render(&dg, &name, &src, opts.color)
                        })
                        .collect();
                    outcome(case, Status::Failed, "the query fails".into(), report)
                }
            };
            o.bless = bless;
            return o;
        }
        Ok(t) => t,
    };
    let rows = tables.last().map_or(0, Table::num_rows);
    let preview = || {
        tables
            .last()
            .map(|t| {
                let mut a = ActualTable::from_table(t);
                a.rows.truncate(5);
                expect::write_md(&a)
            })
            .unwrap_or_default()
    };
    if d.no_rows && rows > 0 {
        return outcome(
            case,
            Status::Failed,
            format!("expected no rows, got {rows}"),
            format!("first rows:\n{}", preview()),
        );
    }
    if let Some(n) = d.at_least {
        if rows < n {
            return outcome(
                case,
                Status::Failed,
                format!("expected at least {n} rows, got {rows}"),
                String::new(),
            );
        }
    }
    let plans = session.plan(&case.query).unwrap_or_default();
    let ordered: Vec<bool> = match d.ordered {
        Some(o) => vec![o; tables.len()],
        None => plans.iter().map(|p| p.is_ordered()).collect(),
    };
    let ties: Vec<Option<Vec<usize>>> = plans.iter().map(sort_keys).collect();
    let failed = |message: String, details: String| {
        let mut o = outcome(case, Status::Failed, message, details);
        if !d.among_others {
            o.bless = bless_text(case, &tables);
        }
        o
    };
    match &case.expected {
        Expected::Missing if d.has_assertion() => {
            outcome(case, Status::Passed, String::new(), String::new())
        }
        Expected::Missing => {
            let mut o = outcome(
                case,
                Status::New,
                "no expectation yet (run with --bless to record the result)".into(),
                String::new(),
            );
            o.bless = bless_text(case, &tables);
            o
        }
        Expected::Error(e) => failed(
            format!("expected the query to fail, but it returned {rows} rows"),
            format!("expected:\n{e}"),
        ),
        Expected::Invalid(_) => outcome(case, Status::Failed, String::new(), String::new()),
        Expected::Tables { form, tables: exp } => {
            // The text-table form lists every result; the others, the last.
            let skip = if *form == Form::Rendered {
                0
            } else {
                tables.len().saturating_sub(1)
            };
            let got: Vec<(usize, &Table)> = tables.iter().enumerate().skip(skip).collect();
            if got.len() != exp.len() {
                return failed(
                    format!("expected {} result tables, got {}", exp.len(), got.len()),
                    String::new(),
                );
            }
            for (k, (e, (i, t))) in exp.iter().zip(&got).enumerate() {
                let actual = ActualTable::from_table(t).as_written_in(*form, t);
                let mode = Mode {
                    ordered: ordered.get(*i).copied().unwrap_or(false),
                    among_others: d.among_others,
                    tolerance: d.tolerance.unwrap_or(DEFAULT_TOLERANCE),
                    color: opts.color,
                    ties: ties.get(*i).and_then(|t| t.as_deref()),
                };
                if let Err(diff) = compare::compare(e, &actual, mode) {
                    let which = if exp.len() > 1 {
                        format!("result table {}: ", k + 1)
                    } else {
                        String::new()
                    };
                    let first = diff.lines().next().unwrap_or_default().to_string();
                    let rest: String = diff.lines().skip(1).map(|l| format!("{l}\n")).collect();
                    return failed(format!("{which}{first}"), rest);
                }
            }
            outcome(case, Status::Passed, String::new(), String::new())
        }
    }
}

/// Keeps the cases whose `FILE:LINE NAME` contains `filter` (ignoring case).
pub fn filter(cases: Vec<Case>, filter: &str) -> Vec<Case> {
    let f = filter.to_lowercase();
    cases
        .into_iter()
        .filter(|c| {
            format!("{}:{} {}", c.file.display(), c.line, c.name)
                .to_lowercase()
                .contains(&f)
        })
        .collect()
}

/// Runs `cases`, calling `progress` with each outcome in case order, and
/// writes expectations when `opts.bless` is set.
pub fn run(cases: Vec<Case>, opts: &Options, mut progress: impl FnMut(&Outcome)) -> Vec<Outcome> {
    let sources: Vec<Source> = cases.iter().map(|c| source_of(c, opts)).collect();
    let mut cache: HashMap<Source, OnceLock<Loaded>> = HashMap::new();
    for s in &sources {
        cache.entry(s.clone()).or_default();
    }
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Outcome)>();
    let jobs = opts.jobs.max(1).min(cases.len().max(1));
    let mut outcomes: Vec<Option<Outcome>> = vec![None; cases.len()];
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (cases, sources, cache, next) = (&cases, &sources, &cache, &next);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let (Some(case), Some(source)) = (cases.get(i), sources.get(i)) else {
                    break;
                };
                let start = Instant::now();
                let loaded = cache
                    .get(source)
                    .map(|cell| cell.get_or_init(|| load(source)).clone());
                let mut o = match loaded {
                    // A bug in the runner fails its case, not the run.
                    Some(Ok(tables)) => {
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            run_case(case, &tables, opts)
                        }))
                        .unwrap_or_else(|_| {
                            outcome(
                                case,
                                Status::Failed,
                                "internal error in kql test".into(),
                                "this is a bug in kql; please report it with the case".into(),
                            )
                        })
                    }
                    Some(Err(e)) => outcome(case, Status::Failed, "no tables".into(), e),
                    None => outcome(case, Status::Failed, "no tables".into(), String::new()),
                };
                o.duration = start.elapsed();
                if tx.send((i, o)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // Report in case order as soon as every earlier case is done.
        let mut shown = 0;
        for (i, o) in rx {
            if let Some(slot) = outcomes.get_mut(i) {
                *slot = Some(o);
            }
            while let Some(Some(o)) = outcomes.get(shown) {
                progress(o);
                shown += 1;
            }
        }
    });
    let mut outcomes: Vec<Outcome> = outcomes.into_iter().flatten().collect();
    if opts.bless {
        bless(&mut outcomes);
    }
    outcomes
}

/// Writes the expectations of failed and new cases that have one to write.
fn bless(outcomes: &mut [Outcome]) {
    // Edits inside case files, grouped by file and applied back to front.
    let mut edits: HashMap<PathBuf, Vec<(std::ops::Range<usize>, String, usize)>> = HashMap::new();
    for (k, o) in outcomes.iter_mut().enumerate() {
        if !matches!(o.status, Status::Failed | Status::New) {
            continue;
        }
        let Some(text) = o.bless.clone() else {
            continue;
        };
        match &o.case.target {
            Target::File(p) => match std::fs::write(p, &text) {
                Ok(()) => o.status = Status::Blessed,
                Err(e) => o
                    .details
                    .push_str(&format!("\ncannot write {}: {e}", p.display())),
            },
            Target::Span { range, style } => {
                let text = match style {
                    Style::KqlTest => text.trim_end().to_string() + "\n",
                    Style::KqlTestNew => format!("----\n{}\n", text.trim_end()),
                    Style::MdNew => format!("\n{text}"),
                    Style::MdTable | Style::MdFence | Style::MdBareFence => text,
                };
                edits
                    .entry(o.case.file.clone())
                    .or_default()
                    .push((range.clone(), text, k));
            }
        }
    }
    for (file, mut es) in edits {
        let Ok(mut content) = std::fs::read_to_string(&file) else {
            continue;
        };
        es.sort_by_key(|(r, _, _)| std::cmp::Reverse(r.start));
        let mut done = Vec::new();
        for (r, text, k) in es {
            if content.get(r.clone()).is_some() {
                let after_line =
                    r.start == 0 || content.get(..r.start).is_some_and(|b| b.ends_with('\n'));
                let text = if r.is_empty() && !after_line {
                    format!("\n{text}")
                } else {
                    text
                };
                content.replace_range(r, &text);
                done.push(k);
            }
        }
        if std::fs::write(&file, content).is_ok() {
            for k in done {
                if let Some(o) = outcomes.get_mut(k) {
                    o.status = Status::Blessed;
                }
            }
        }
    }
}
