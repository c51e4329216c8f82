//! The command families of the `wgym` binary.

pub mod bench;
pub mod es;
pub mod meta;
pub mod render;
pub mod train;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use wgym::{Error, Result};

/// The options every run command shares.
#[derive(clap::Args)]
pub struct RunFiles {
    /// TOML file over the defaults (unknown keys are errors; see --print-config).
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Output directory (default: under runs/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
    /// Continue the run in --out from its checkpoint (to the same bytes as not stopping).
    #[arg(long)]
    pub resume: bool,
    /// Print the effective config (every setting, with its default) and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// How often a run without a terminal prints a progress line.
const PLAIN_PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// Whether people watch stderr live (else it goes to a file or a pipe).
pub fn on_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Progress over `len` steps named `unit`: a bar on a terminal; otherwise a plain line on
/// stderr at the first step, every [`PLAIN_PROGRESS_EVERY`] and at the last, so that the
/// log of a redirected run (a cluster job, `| tee`) shows how it goes.
pub struct Progress {
    bar: Option<ProgressBar>,
    len: u64,
    position: u64,
    unit: String,
    message: String,
    started: Instant,
    last_line: Option<Instant>,
}

impl Progress {
    pub fn new(len: u64, position: u64, unit: &str) -> Progress {
        let bar = on_terminal().then(|| {
            let bar = ProgressBar::new(len).with_position(position);
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{{bar:30}} {{pos}}/{{len}} {unit}  {{msg}}  [{{elapsed_precise}}<{{eta}}]"
                ))
                .expect("a valid template"),
            );
            bar
        });
        Progress {
            bar,
            len,
            position,
            unit: unit.to_string(),
            message: String::new(),
            started: Instant::now(),
            last_line: None,
        }
    }

    /// Say what the wait is for before the first step (on a terminal in the bar, which
    /// keeps its clock running; otherwise as a line).
    pub fn note(&mut self, message: &str) {
        match &self.bar {
            Some(bar) => {
                bar.set_message(message.to_string());
                bar.enable_steady_tick(Duration::from_millis(250));
            }
            None => eprintln!("{message}"),
        }
    }

    /// Shown with the next step.
    pub fn set_message(&mut self, message: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.clone());
        }
        self.message = message;
    }

    pub fn inc(&mut self, steps: u64) {
        self.position += steps;
        if let Some(bar) = &self.bar {
            bar.inc(steps);
            return;
        }
        let due = self
            .last_line
            .is_none_or(|t| t.elapsed() >= PLAIN_PROGRESS_EVERY);
        if due || self.position == self.len {
            self.last_line = Some(Instant::now());
            eprintln!(
                "{}/{} {}  {}  [{:.0} s]",
                self.position,
                self.len,
                self.unit,
                self.message,
                self.started.elapsed().as_secs_f64()
            );
        }
    }

    /// Leave the bar as it is (a run that stops early or fails).
    pub fn abandon(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon();
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// Say that `what` is under way while `work` runs (a spinner on a terminal, one line
/// otherwise): a cold shader compile takes seconds on a CPU adapter.
pub fn with_spinner<T>(what: &str, work: impl FnOnce() -> T) -> T {
    if !on_terminal() {
        eprintln!("{what}...");
        return work();
    }
    let spinner = ProgressBar::new_spinner().with_message(format!("{what}..."));
    spinner.enable_steady_tick(Duration::from_millis(100));
    let out = work();
    spinner.finish_and_clear();
    out
}

/// Ctrl-C as a request to stop at the next safe point (with a checkpoint); a second
/// Ctrl-C exits at once.
#[derive(Clone)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Install the handler (once per process); `unit` names the step a run finishes first.
    pub fn install(unit: &'static str) -> Result<Interrupt> {
        let flag = Arc::new(AtomicBool::new(false));
        let seen = flag.clone();
        ctrlc::set_handler(move || {
            if seen.swap(true, Ordering::SeqCst) {
                eprintln!("\nsecond Ctrl-C: exiting now, without a checkpoint");
                std::process::exit(INTERRUPTED);
            }
            eprintln!(
                "\nCtrl-C: stopping after this {unit}, with a checkpoint (Ctrl-C again to \
                 exit at once)"
            );
        })
        .map_err(|e| Error::invalid("Ctrl-C handling", e.to_string()))?;
        Ok(Interrupt(flag))
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// After the checkpoint: say how to continue, and exit as interrupted.
    pub fn exit(&self, stopped_at: &str, resume: &str) -> ! {
        eprintln!("stopped {stopped_at}; continue with `{resume}`");
        std::process::exit(INTERRUPTED)
    }
}

/// Resuming a run that is already done: say so, and how to extend it (`option`, e.g.
/// "--updates", sets the new length).
pub fn say_finished(command: &str, out: &std::path::Path, done: u32, unit: &str, option: &str) {
    println!(
        "the run in {dir} is finished: {done} of {done} {unit}; extend it with \
         `wgym {command} --resume --out {dir} {option} N` (N > {done})",
        dir = out.display()
    );
}

/// Exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED: i32 = 130;

impl RunFiles {
    /// The config file parsed by `parse` (its errors name the file), if one was given.
    pub fn parse_config<T>(&self, parse: impl FnOnce(&str) -> Result<T>) -> Result<Option<T>> {
        let Some(path) = &self.config else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        parse(&text)
            .map(Some)
            .map_err(|e| Error::invalid(format!("config {}", path.display()), e.to_string()))
    }

    /// The directory of the run to resume: `--out`, with none of the options a checkpoint
    /// fixes (`--config` and those `overrides` names as given).
    pub fn resume_dir(&self, overrides: &[(&str, bool)]) -> Result<std::path::PathBuf> {
        let given: Vec<&str> = std::iter::once(("--config", self.config.is_some()))
            .chain(overrides.iter().copied())
            .filter(|(_, given)| *given)
            .map(|(name, _)| name)
            .collect();
        if !given.is_empty() {
            return Err(Error::invalid(
                "--resume",
                format!(
                    "the run's settings come from its checkpoint; drop {}",
                    given.join("/")
                ),
            ));
        }
        let out = self
            .out
            .clone()
            .ok_or_else(|| Error::invalid("--resume", "give the run's --out directory"))?;
        not_a_file(&out)?;
        Ok(out)
    }

    /// A fresh run's directory (`--out`, else `default`), an error if it already holds a
    /// run's `checkpoint`; None after printing `config_toml` for `--print-config`.
    pub fn fresh_dir(
        &self,
        config_toml: &str,
        default: std::path::PathBuf,
        checkpoint: &str,
    ) -> Result<Option<std::path::PathBuf>> {
        if self.print_config {
            print!("{config_toml}");
            return Ok(None);
        }
        let out = self.out.clone().unwrap_or(default);
        not_a_file(&out)?;
        let file = out.join(checkpoint);
        if file.exists() {
            return Err(Error::invalid(
                "--out",
                format!(
                    "{} already holds a run; continue it with --resume or choose another --out",
                    out.display()
                ),
            ));
        }
        Ok(Some(out))
    }
}

/// `--out` must name a directory (existing or not), not a file.
fn not_a_file(out: &std::path::Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(Error::invalid(
            "--out",
            format!("{} is a file; give a directory", out.display()),
        ));
    }
    Ok(())
}
