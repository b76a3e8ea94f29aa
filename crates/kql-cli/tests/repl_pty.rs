//! The prompt in a real terminal: runs `kql` inside a tmux pane, types a
//! multi-line hunt, uses completion and meta-commands, and reads the screen.

use std::process::Command;
use std::time::{Duration, Instant};

struct Pane {
    socket: String,
}

impl Pane {
    fn start() -> Pane {
        Pane::start_with("")
    }

    /// Starts `kql` with these environment settings (`NAME=value ...`).
    fn start_with(env: &str) -> Pane {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("kql-test-{}-{n}", std::process::id());
        let data = std::env::temp_dir().join(format!("kql-pty-xdg-{}-{n}", std::process::id()));
        let cmd = format!(
            "{env} XDG_DATA_HOME={} {}",
            data.display(),
            env!("CARGO_BIN_EXE_kql")
        );
        let ok = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-x",
                "160",
                "-y",
                "50",
                &cmd,
            ])
            .status()
            .expect("tmux must be installed to run the terminal tests (.ci/run installs it)");
        assert!(ok.success(), "tmux could not start a session");
        let pane = Pane { socket };
        pane.wait_for("Ctrl-D to quit");
        pane.wait_for_prompt(1);
        pane
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["-L", &self.socket, "send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        let ok = Command::new("tmux")
            .args(&args)
            .status()
            .expect("tmux send-keys");
        assert!(ok.success());
    }

    /// Types text literally (no key names).
    fn type_text(&self, text: &str) {
        // tmux reads a trailing `;` as a command separator unless escaped.
        let text = match text.strip_suffix(';') {
            Some(t) => format!("{t}\\;"),
            None => text.to_string(),
        };
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0", "-l", &text])
            .status()
            .expect("tmux send-keys");
        assert!(ok.success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "capture-pane",
                "-p",
                "-t",
                "0",
                "-S",
                "-200",
            ])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "screen never showed {text:?}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Pane {
    /// Waits until the screen shows `n` prompts, so that keys typed next
    /// reach the line editor rather than the terminal's start-up exchange.
    fn wait_for_prompt(&self, n: usize) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            // The pane drops trailing spaces, so an empty prompt is `kql>`.
            if s.lines().filter(|l| l.starts_with("kql>")).count() >= n {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "screen never showed prompt {n}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn a_multi_line_hunt_with_completion_and_meta_commands() {
    let pane = Pane::start();
    // A let statement continues on the next line instead of running.
    pane.type_text("let IncidentTime = datetime(2026-01-29T16:49:20.4813094Z);");
    pane.keys(&["Enter"]);
    pane.type_text("DeviceProcessEvents");
    pane.keys(&["M-Enter"]);
    // Tab completes the column name from the table's schema.
    pane.type_text("| where DeviceN");
    pane.keys(&["Tab"]);
    pane.wait_for("| where DeviceName");
    pane.type_text(" == \"stefano-test\"");
    pane.keys(&["M-Enter"]);
    pane.type_text("| where Timestamp between ((IncidentTime - 2m) .. (IncidentTime + 2m))");
    pane.keys(&["M-Enter"]);
    pane.type_text("| where FileName =~ \"7Z.EXE\"");
    pane.keys(&["M-Enter"]);
    pane.type_text("| project Timestamp, FileName");
    pane.keys(&["Enter"]);
    let screen = pane.wait_for("(1 row)");
    assert!(
        screen.contains("2026-01-29T16:49:20.1187735Z │ 7z.exe"),
        "{screen}"
    );
    // A meta-command, and an error that keeps the prompt alive.
    pane.wait_for_prompt(2);
    pane.type_text(".tables");
    pane.keys(&["Enter"]);
    pane.wait_for_prompt(3);
    let screen = pane.screen();
    let listing = &screen[screen.rfind(".tables").unwrap_or(0)..];
    assert!(listing.contains("DeviceNetworkEvents"), "{screen}");
    pane.type_text("DeviceInfo | where DevceName == 'x'");
    pane.keys(&["Enter"]);
    let screen = pane.wait_for("did you mean DeviceName?");
    assert!(screen.contains("kql::plan::unknown_column"), "{screen}");
    pane.wait_for_prompt(4);
    pane.type_text("print done = 40 + 2");
    pane.keys(&["Enter"]);
    pane.wait_for("42");
}

#[test]
fn ctrl_c_stops_a_running_query_and_the_prompt_stays() {
    let pane = Pane::start();
    pane.type_text(
        "range x from 1 to 50000000 step 1 | extend y = strcat('a', x) | summarize dcount(y)",
    );
    pane.keys(&["Enter"]);
    std::thread::sleep(Duration::from_millis(1500));
    pane.keys(&["C-c"]);
    let screen = pane.wait_for("kql::eval::cancelled");
    assert!(screen.contains("the query was cancelled"), "{screen}");
    pane.wait_for_prompt(2);
    pane.type_text("print still = 'here'");
    pane.keys(&["Enter"]);
    pane.wait_for("here");
}

#[test]
fn a_query_over_the_memory_budget_fails_and_the_prompt_stays() {
    let pane = Pane::start_with("KQL_MAX_MEMORY=8MiB");
    pane.type_text(
        "range x from 1 to 500000 step 1 | extend s = strcat('row', x) | summarize l = make_list(s) | project n = array_length(l)",
    );
    pane.keys(&["Enter"]);
    let screen = pane.wait_for("kql::eval::memory_limit");
    assert!(screen.contains("more than its 8.0 MiB budget"), "{screen}");
    pane.wait_for_prompt(2);
    // The prompt stays, and the next query gets a budget of its own.
    pane.type_text(
        "range x from 1 to 50000 step 1 | extend s = strcat('row', x) | summarize l = make_list(s) | project n = array_length(l) * 3",
    );
    pane.keys(&["Enter"]);
    pane.wait_for("150000");
}
