//! The command families of the `wgym` binary.

pub mod bench;
pub mod es;
pub mod meta;
pub mod train;

use indicatif::{ProgressBar, ProgressStyle};
use wgym::{Error, Result};

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
