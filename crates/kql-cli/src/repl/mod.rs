//! The interactive prompt: multi-line input checked by the parser,
//! highlighting, context-aware completion, persistent history and
//! meta-commands.

pub mod chart;
pub mod commands;
pub mod complete;
pub mod highlight;

use crate::render::render;
use crate::Session;
use kql_io::{OutputFormat, TableOptions};
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::history::{DefaultHistory, History};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Cmd, Config, Editor, EventHandler, Helper, KeyCode, KeyEvent, Modifiers};
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

/// The state of one prompt session.
pub struct Repl {
    pub session: Rc<RefCell<Session>>,
    pub format: OutputFormat,
    pub opts: TableOptions,
    pub timing: bool,
    /// Results go to this file instead of the screen.
    pub output: Option<PathBuf>,
    pub color: bool,
    /// Terminal width for fitting tables, when printing to a terminal.
    pub width: Option<usize>,
    /// Most rows a table shows on screen.
    pub max_rows: usize,
    /// Show output taller than the terminal in a pager (`$PAGER`, else
    /// `less`).
    pub pager: bool,
    /// The last query that ran, for entries that start with `|`.
    last_query: Option<String>,
    names: Rc<RefCell<highlight::Names>>,
}

impl Repl {
    pub fn new(session: Session, format: OutputFormat, opts: TableOptions, color: bool) -> Self {
        let repl = Repl {
            session: Rc::new(RefCell::new(session)),
            format,
            opts,
            timing: false,
            output: None,
            color,
            width: None,
            max_rows: 100,
            pager: true,
            last_query: None,
            names: Rc::new(RefCell::new(highlight::Names::default())),
        };
        repl.refresh_names();
        repl
    }

    /// Re-reads table and column names for highlighting after a `.load`.
    pub fn refresh_names(&self) {
        let session = self.session.borrow();
        let mut names = self.names.borrow_mut();
        names.tables = session.db.tables().map(|(n, _)| n.clone()).collect();
        names.columns = session
            .db
            .tables()
            .flat_map(|(_, t)| t.kql_schema().columns.into_iter().map(|c| c.name))
            .collect();
    }

    /// Runs one entry (a query or a meta-command) and returns what to show
    /// on standard output and on standard error.
    pub fn entry(&mut self, text: &str, entry_name: &str) -> (commands::Flow, String, String) {
        if let Some(cmd) = text.trim_start().strip_prefix('.') {
            let (flow, out) = commands::run(self, cmd);
            return (flow, out, String::new());
        }
        // An entry that starts with `|` continues the previous query.
        let (query, continued) = match (&self.last_query, text.trim_start().starts_with('|')) {
            (Some(prev), true) => (format!("{prev}\n{}", text.trim()), true),
            _ => (text.to_string(), false),
        };
        let start = Instant::now();
        let result = self.session.borrow().run(&query);
        let elapsed = start.elapsed();
        let drawn = self.output.is_none()
            && self.format == OutputFormat::Table
            && chart::requested_chart(&query).is_some_and(|k| {
                matches!(
                    k.as_str(),
                    "timechart"
                        | "linechart"
                        | "areachart"
                        | "scatterchart"
                        | "stackedareachart"
                        | "barchart"
                        | "columnchart"
                        | "piechart"
                )
            });
        let warnings: String = self
            .session
            .borrow()
            .take_warnings()
            .iter()
            .filter(|d| !(drawn && d.code == "kql::plan::render"))
            .map(|d| render(d, entry_name, &query, self.color))
            .collect();
        match result {
            Ok(tables) => {
                self.last_query = Some(query.clone());
                let mut out = String::new();
                let mut rows = 0;
                let mut err = warnings;
                let prefix = if continued {
                    "(continuing the previous query)\n"
                } else {
                    ""
                };
                for (i, t) in tables.iter().enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    rows += t.num_rows();
                    let on_screen = self.output.is_none() && self.format == OutputFormat::Table;
                    if on_screen {
                        let chart = chart::requested_chart(&query)
                            .and_then(|kind| chart::draw(&kind, t, self.width.unwrap_or(100)));
                        if let Some(c) = chart {
                            out.push_str(&c);
                            continue;
                        }
                    }
                    match (on_screen, self.width) {
                        (true, Some(width)) => {
                            out.push_str(&fit_table(t, &self.opts, width, self.max_rows))
                        }
                        _ => {
                            let mut buf = Vec::new();
                            let _ = kql_io::write_result(
                                &mut buf,
                                &t.schema,
                                &t.batches,
                                self.format,
                                &self.opts,
                            );
                            out.push_str(&String::from_utf8_lossy(&buf));
                        }
                    }
                }
                if let Some(path) = &self.output {
                    match std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                    {
                        Ok(mut f) => {
                            let _ = f.write_all(out.as_bytes());
                            out = format!("{rows} rows written to {}\n", path.display());
                        }
                        Err(e) => {
                            let _ = writeln!(err, "cannot write {}: {e}", path.display());
                        }
                    }
                }
                if self.timing {
                    let _ = writeln!(
                        err,
                        "{rows} row{} in {:.1} ms",
                        if rows == 1 { "" } else { "s" },
                        elapsed.as_secs_f64() * 1000.0
                    );
                }
                (commands::Flow::Continue, format!("{prefix}{out}"), err)
            }
            Err(diags) => {
                // Spans point into what ran, which for a `|` entry includes
                // the previous query.
                let err = diags
                    .iter()
                    .map(|d| render(d, entry_name, &query, self.color))
                    .collect();
                (commands::Flow::Continue, String::new(), err)
            }
        }
    }
}

/// Renders a result to fit a terminal `width` columns wide: at most
/// `max_rows` rows and as many leading columns as fit, with a note saying
/// what was left out and how to see it.
pub fn fit_table(
    t: &kql_eval::Table,
    opts: &TableOptions,
    width: usize,
    max_rows: usize,
) -> String {
    let total_rows = t.num_rows();
    let mut head = Vec::new();
    let mut left = max_rows;
    for b in &t.batches {
        if left == 0 {
            break;
        }
        let n = b.num_rows().min(left);
        head.push(b.slice(0, n));
        left -= n;
    }
    let ncols = t.schema.fields().len();
    let quiet = TableOptions {
        footer: false,
        ..opts.clone()
    };
    let render_cols = |k: usize| -> String {
        let idx: Vec<usize> = (0..k).collect();
        let schema = t.schema.project(&idx).map(std::sync::Arc::new);
        let batches: Vec<_> = head.iter().filter_map(|b| b.project(&idx).ok()).collect();
        let mut buf = Vec::new();
        if let Ok(schema) = schema {
            let _ = kql_io::write_result(&mut buf, &schema, &batches, OutputFormat::Table, &quiet);
        }
        String::from_utf8_lossy(&buf).into_owned()
    };
    let fits = |s: &str| s.lines().all(|l| display_width(l) <= width);
    let mut shown = ncols;
    let mut text = render_cols(shown);
    while shown > 1 && !fits(&text) {
        shown -= 1;
        text = render_cols(shown);
    }
    let mut note = format!(
        "({total_rows} row{}",
        if total_rows == 1 { "" } else { "s" }
    );
    let hidden_rows = total_rows > max_rows;
    if hidden_rows || shown < ncols {
        note.push_str("; showing ");
        if hidden_rows {
            let _ = write!(note, "the first {max_rows} rows");
        }
        if hidden_rows && shown < ncols {
            note.push_str(" and ");
        }
        if shown < ncols {
            let _ = write!(note, "{shown} of {ncols} columns");
        }
        note.push_str(": narrow with project or take, or use .format csv / .output FILE");
    }
    note.push_str(")\n");
    text + &note
}

fn display_width(line: &str) -> usize {
    let mut w = 0;
    let mut in_esc = false;
    for c in line.chars() {
        match (in_esc, c) {
            (false, '\x1b') => in_esc = true,
            (true, 'm') => in_esc = false,
            (true, _) => {}
            (false, _) => w += 1,
        }
    }
    w
}

/// Whether output of this many lines should go through a pager on a
/// terminal `height` lines tall.
pub fn needs_pager(out: &str, height: Option<usize>) -> bool {
    match height {
        Some(h) if h > 2 => out.lines().count() > h - 2,
        _ => false,
    }
}

/// Shows `text` in `$PAGER` (default `less -RFSX`); false when no pager
/// could be started, so the caller prints it instead.
fn page(text: &str) -> bool {
    let pager = std::env::var("PAGER").unwrap_or_else(|_| "less -RFSX".to_string());
    let mut parts = pager.split_whitespace();
    let Some(program) = parts.next() else {
        return false;
    };
    let child = std::process::Command::new(program)
        .args(parts)
        .stdin(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(text.as_bytes());
    }
    let _ = child.wait();
    true
}

/// `.steps QUERY`: runs the pipeline one operator at a time, showing how
/// many rows each step leaves and the first of them.
pub fn steps(repl: &Repl, query: &str) -> String {
    let mut out = String::new();
    let ast = match kql_parser::parse(query) {
        Ok(a) => a,
        Err(diags) => {
            return diags
                .iter()
                .map(|d| render(d, ".steps", query, repl.color))
                .collect()
        }
    };
    let Some(last) = ast.statements.last() else {
        return out;
    };
    // The ends of every prefix of the final pipeline, innermost first.
    let mut ends = Vec::new();
    let mut e = match &last.kind {
        kql_parser::ast::StatementKind::Query(e) => e,
        _ => return ".steps needs a query\n".into(),
    };
    ends.push(e.span.end);
    while let kql_parser::ast::ExprKind::Pipe { input, .. } = &e.kind {
        ends.push(input.span.end);
        e = input;
    }
    ends.reverse();
    let opts = TableOptions {
        footer: false,
        ..repl.opts.clone()
    };
    let session = repl.session.borrow();
    for end in ends {
        let Some(text) = query.get(..end) else {
            continue;
        };
        let stage = query.get(last.span.start..end).unwrap_or(text);
        let shown = stage.lines().last().unwrap_or(stage).trim();
        match session.run(text) {
            Ok(tables) => {
                let Some(t) = tables.last() else { continue };
                let rows = t.num_rows();
                let _ = writeln!(
                    out,
                    "── {shown}   → {rows} row{}",
                    if rows == 1 { "" } else { "s" }
                );
                let head: Vec<_> = t
                    .batches
                    .first()
                    .map(|b| vec![b.slice(0, b.num_rows().min(3))])
                    .unwrap_or_default();
                let mut buf = Vec::new();
                let _ =
                    kql_io::write_result(&mut buf, &t.schema, &head, OutputFormat::Table, &opts);
                out.push_str(&String::from_utf8_lossy(&buf));
            }
            Err(diags) => {
                for d in diags {
                    out.push_str(&render(&d, ".steps", text, repl.color));
                }
                break;
            }
        }
    }
    out
}

/// The rustyline helper: validation, highlighting, completion.
struct KqlHelper {
    session: Rc<RefCell<Session>>,
    names: Rc<RefCell<highlight::Names>>,
    files: FilenameCompleter,
    color: bool,
}

impl Completer for KqlHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if line.trim_start().starts_with(".load ") {
            return self.files.complete(line, pos, ctx);
        }
        let session = self.session.borrow();
        let (start, cands) = complete::complete(&session, line, pos);
        Ok((
            start,
            cands
                .into_iter()
                .map(|c| Pair {
                    display: c.display,
                    replacement: c.replacement,
                })
                .collect(),
        ))
    }
}

impl Hinter for KqlHelper {
    type Hint = String;
}

impl Highlighter for KqlHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.color || line.trim_start().starts_with('.') {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight::highlight(line, &self.names.borrow()))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

impl Validator for KqlHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if is_incomplete_entry(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Helper for KqlHelper {}

/// Whether Enter should continue the entry on a new line instead of
/// running it: the parser says the query is unfinished.
pub fn is_incomplete_entry(input: &str) -> bool {
    let t = input.trim();
    if t.is_empty() || t.starts_with('.') {
        return false;
    }
    kql_parser::is_incomplete(input)
}

/// Where the history file lives: `$XDG_DATA_HOME/kql/history`, else
/// `~/.local/share/kql/history`.
pub fn history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("kql").join("history"))
}

/// Runs the prompt until the user leaves.
pub fn run(session: Session, (format, opts): (OutputFormat, TableOptions)) -> ExitCode {
    let color = opts.color;
    let mut repl = Repl::new(session, format, opts, color);
    repl.width = terminal_size::terminal_size().map(|(w, _)| usize::from(w.0));
    // While a query runs the terminal is not in raw mode, so Ctrl-C arrives
    // as a signal: it stops the query, not the prompt. (At the prompt itself
    // rustyline reads Ctrl-C as a key and clears the input.)
    let cancel = repl.session.borrow().cancel.clone();
    let _ = ctrlc::set_handler(move || {
        cancel.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let config = Config::builder()
        .auto_add_history(false)
        .history_ignore_dups(true)
        .and_then(|c| c.max_history_size(10_000))
        .map(|c| c.completion_type(rustyline::CompletionType::List).build());
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot start the prompt: {e}");
            return ExitCode::from(1);
        }
    };
    let mut rl: Editor<KqlHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("cannot start the prompt: {e}");
            return ExitCode::from(1);
        }
    };
    rl.set_helper(Some(KqlHelper {
        session: repl.session.clone(),
        names: repl.names.clone(),
        files: FilenameCompleter::new(),
        color,
    }));
    rl.bind_sequence(
        KeyEvent(KeyCode::Enter, Modifiers::ALT),
        EventHandler::Simple(Cmd::Newline),
    );
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    {
        let session = repl.session.borrow();
        let names: Vec<&str> = session.db.tables().map(|(n, _)| n.as_str()).collect();
        println!(
            "kql {} · tables: {} · .help for help, Ctrl-D to quit",
            env!("CARGO_PKG_VERSION"),
            names.join(", ")
        );
    }
    let mut entry = 0;
    loop {
        match rl.readline("kql> ") {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = rl.history_mut().add(&line);
                if let Some(h) = &history {
                    if let Some(dir) = h.parent() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    let _ = rl.append_history(h);
                }
                entry += 1;
                let (flow, out, err) = repl.entry(&line, &format!("entry {entry}"));
                eprint!("{err}");
                let height = terminal_size::terminal_size().map(|(_, h)| usize::from(h.0));
                if !(repl.pager && needs_pager(&out, height) && page(&out)) {
                    print!("{out}");
                }
                let _ = std::io::stdout().flush();
                if let commands::Flow::Quit = flow {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(_) => break,
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repl() -> Repl {
        Repl::new(
            Session::bundled().expect("bundled tables"),
            OutputFormat::Csv,
            TableOptions::default(),
            false,
        )
    }

    #[test]
    fn validator_asks_the_parser() {
        assert!(is_incomplete_entry("DeviceInfo\n|"));
        assert!(is_incomplete_entry("print x = (1 +"));
        assert!(is_incomplete_entry("print \"open"));
        assert!(is_incomplete_entry("let x = 1;"));
        assert!(is_incomplete_entry(
            "let IncidentTime = datetime(2026-01-29T16:49:20.4813094Z);"
        ));
        assert!(!is_incomplete_entry("DeviceInfo | take 1"));
        assert!(!is_incomplete_entry(".tables"));
        assert!(!is_incomplete_entry(""));
        assert!(!is_incomplete_entry("print x = 1 )"));
    }

    #[test]
    fn a_query_entry_prints_its_result() {
        let mut r = repl();
        let (_, out, err) = r.entry("print a = 1 + 1", "entry 1");
        assert_eq!(out, "a\n2\n");
        assert_eq!(err, "");
    }

    #[test]
    fn an_error_names_the_entry() {
        let mut r = repl();
        let (_, out, err) = r.entry("print a = nosuch", "entry 7");
        assert_eq!(out, "");
        assert!(err.contains("kql::plan::unknown_column"), "{err}");
        assert!(err.contains("entry 7"), "{err}");
    }

    #[test]
    fn meta_commands() {
        let mut r = repl();
        let (_, out, _) = r.entry(".tables", "e");
        assert!(
            out.lines().any(|l| l.starts_with("DeviceProcessEvents")),
            "{out}"
        );
        let (_, out, _) = r.entry(".schema DeviceInfo", "e");
        assert!(
            out.lines()
                .any(|l| l.starts_with("DeviceName ") && l.contains("string")),
            "{out}"
        );
        let (_, out, _) = r.entry(".schema DeviceInf", "e");
        assert!(out.contains("did you mean DeviceInfo?"), "{out}");
        let (_, out, _) = r.entry(".format json", "e");
        assert_eq!(out, "results print as json\n");
        let (_, out, _) = r.entry("print a = 1", "e");
        assert_eq!(
            out,
            "{\"columns\":[{\"name\":\"a\",\"type\":\"long\"}],\"rows\":[[1]]}\n"
        );
        let (_, out, _) = r.entry(".set now 2026-01-30", "e");
        assert_eq!(out, "now() is 2026-01-30T00:00:00.0000000Z\n");
        let (_, out, _) = r.entry(".format csv", "e");
        assert_eq!(out, "results print as csv\n");
        let (_, out, _) = r.entry("print ago(1d)", "e");
        assert_eq!(out, "print_0\n2026-01-29T00:00:00.0000000Z\n");
        let (_, out, _) = r.entry(".tabels", "e");
        assert!(out.contains("did you mean .tables?"), "{out}");
        let (flow, _, _) = r.entry(".quit", "e");
        assert!(matches!(flow, commands::Flow::Quit));
    }

    #[test]
    fn timing_goes_to_the_error_stream() {
        let mut r = repl();
        r.entry(".timing on", "e");
        let (_, out, err) = r.entry("range x from 1 to 3 step 1", "e");
        assert_eq!(out, "x\n1\n2\n3\n");
        assert!(err.starts_with("3 rows in "), "{err}");
    }

    #[test]
    fn steps_show_how_the_hunt_narrows() {
        let r = repl();
        let out = steps(
            &r,
            "DeviceProcessEvents\n| where DeviceName == \"stefano-test\"\n| where FileName == \"7z.exe\"\n| project FileName",
        );
        let heads: Vec<&str> = out.lines().filter(|l| l.starts_with("── ")).collect();
        assert_eq!(heads.len(), 4, "{out}");
        assert!(
            heads[0].starts_with("── DeviceProcessEvents   → 2100 rows"),
            "{out}"
        );
        assert!(
            heads[2].starts_with("── | where FileName == \"7z.exe\"   → 1 row"),
            "{out}"
        );
        assert!(
            heads[3].starts_with("── | project FileName   → 1 row"),
            "{out}"
        );
    }

    #[test]
    fn an_entry_starting_with_a_pipe_continues_the_last_query() {
        let mut r = repl();
        let (_, out, _) = r.entry("range x from 1 to 5 step 1", "e");
        assert_eq!(out, "x\n1\n2\n3\n4\n5\n");
        let (_, out, err) = r.entry("| where x > 3", "e");
        assert_eq!(out, "(continuing the previous query)\nx\n4\n5\n");
        assert_eq!(err, "");
        let (_, out, _) = r.entry("| count", "e");
        assert_eq!(out, "(continuing the previous query)\nCount\n2\n");
    }

    #[test]
    fn wide_tables_are_fitted_to_the_terminal() {
        let mut r = repl();
        r.format = OutputFormat::Table;
        r.width = Some(80);
        r.max_rows = 2;
        let (_, out, _) = r.entry("DeviceProcessEvents | take 5", "e");
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[..5].iter().all(|l| l.chars().count() <= 80), "{out}");
        let header: Vec<&str> = lines[0].split('│').map(str::trim).collect();
        assert_eq!(header, ["Timestamp", "DeviceId"], "{out}");
        // header, types, rule, two rows, note
        assert_eq!(lines.len(), 6, "{out}");
        let note = lines[5];
        assert!(
            note.starts_with("(5 rows; showing the first 2 rows and 2 of 68 columns: "),
            "{note}"
        );
    }

    #[test]
    fn tall_output_goes_to_the_pager() {
        let tall = "x\n".repeat(50);
        assert!(needs_pager(&tall, Some(40)));
        assert!(!needs_pager(&tall, Some(60)));
        assert!(!needs_pager(&tall, None));
    }

    #[test]
    fn load_adds_a_table() {
        let dir = std::env::temp_dir().join(format!("kql-repl-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("logins.csv");
        std::fs::write(&path, "User,N\nalice,1\nbob,2\n").expect("write csv");
        let mut r = repl();
        let (_, out, _) = r.entry(&format!(".load {} as Logins", path.display()), "e");
        assert_eq!(out, "loaded Logins (2 rows)\n");
        let (_, out, _) = r.entry("Logins | where N > 1 | project User", "e");
        assert_eq!(out, "User\nbob\n");
        assert!(r.names.borrow().tables.contains("Logins"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
