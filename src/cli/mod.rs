//! The command families of the `wgym` binary.

pub mod bench;
pub mod es;
pub mod meta;
pub mod render;
pub mod train;

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

/// A progress bar over `len` steps named `unit`, starting at `position`.
pub fn progress_bar(len: u64, position: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(len).with_position(position);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:30}} {{pos}}/{{len}} {unit}  {{msg}}  [{{elapsed_precise}}<{{eta}}]"
        ))
        .expect("a valid template"),
    );
    bar
}

/// The text of a config file.
pub fn read_config(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// An error if `checkpoint` exists: its directory already holds a run.
pub fn fresh_out(checkpoint: &std::path::Path) -> Result<()> {
    if checkpoint.exists() {
        let dir = checkpoint.parent().unwrap_or(checkpoint);
        return Err(Error::invalid(
            "--out",
            format!(
                "{} already holds a run; continue it with --resume or choose another --out",
                dir.display()
            ),
        ));
    }
    Ok(())
}
