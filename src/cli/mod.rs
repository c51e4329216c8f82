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
        self.out
            .clone()
            .ok_or_else(|| Error::invalid("--resume", "give the run's --out directory"))
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
