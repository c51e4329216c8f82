//! What a training run leaves for people: a CSV log (one row per logged update, with the
//! spread across agents, the finished episodes' count and length) and a PNG learning curve.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::trainer::AgentStats;
use crate::error::{Error, Result};
use crate::files::write_atomically;
use crate::plot::{write_stacked, Figure, Series, GREY, PALETTE};

/// A logged statistic resting on fewer finished episodes per agent than this is drawn as a
/// hollow marker and called sparse.
pub const FEW_EPISODES: f32 = 10.0;

/// One logged update, summarised over agents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogRow {
    pub update: u32,
    /// Env-steps so far, all agents together.
    pub env_steps: u64,
    /// Env-steps so far of each agent (the curves' x axis).
    #[serde(default)]
    pub agent_env_steps: u64,
    /// Wall-clock seconds since the run (or the resumed run) started.
    pub seconds: f64,
    /// Mean episode return per agent (agents that finished no episode are left out).
    pub agent_returns: Vec<f32>,
    /// Agents in the run.
    #[serde(default)]
    pub agents: u32,
    /// Episodes finished in the update's rollout, all agents together.
    pub episodes: f32,
    /// Of those, the episodes with a successful step.
    #[serde(default)]
    pub successes: f32,
    /// Their lengths, summed.
    #[serde(default)]
    pub length_sum: f32,
    /// Fewer steps per env so far than the env's episode limit: every env started an
    /// episode at step 0, so only episodes shorter than the limit can have finished, and
    /// the statistics lean to them (a lucky short episode is not a learned policy).
    #[serde(default)]
    pub early: bool,
    /// Of a sweep (agent a has setting a mod n): each setting's mean return over its
    /// agents that finished an episode (None if none did). Empty without a sweep.
    #[serde(default)]
    pub setting_returns: Vec<Option<f32>>,
    pub policy_loss: f32,
    pub value_loss: f32,
    pub entropy: f32,
    pub approx_kl: f32,
    pub clip_frac: f32,
    pub grad_norm: f32,
    /// Hyperparameters a meta-gradient tunes: (name, mean over agents) after the update.
    #[serde(default)]
    pub tuned: Vec<(String, f32)>,
}

impl LogRow {
    /// The row of `stats` (one per agent) after `update` updates of `steps_per_agent`
    /// env-steps each; `settings` > 1: a sweep's settings, assigned round-robin.
    pub fn new(
        update: u32,
        steps_per_agent: u64,
        seconds: f64,
        stats: &[AgentStats],
        settings: usize,
    ) -> LogRow {
        let mean =
            |f: fn(&AgentStats) -> f32| stats.iter().map(f).sum::<f32>() / stats.len() as f32;
        let finished = |s: &&AgentStats| s.episodes > 0.0;
        let setting_returns = if settings > 1 {
            (0..settings)
                .map(|k| {
                    let returns: Vec<f32> = stats
                        .iter()
                        .skip(k)
                        .step_by(settings)
                        .filter(finished)
                        .map(|s| s.mean_return)
                        .collect();
                    (!returns.is_empty())
                        .then(|| returns.iter().sum::<f32>() / returns.len() as f32)
                })
                .collect()
        } else {
            Vec::new()
        };
        LogRow {
            update,
            env_steps: steps_per_agent * stats.len() as u64,
            agent_env_steps: steps_per_agent,
            seconds,
            agent_returns: stats
                .iter()
                .filter(finished)
                .map(|s| s.mean_return)
                .collect(),
            agents: stats.len() as u32,
            episodes: stats.iter().map(|s| s.episodes).sum(),
            successes: stats
                .iter()
                .filter(finished)
                .map(|s| s.success_rate * s.episodes)
                .sum(),
            early: false,
            length_sum: stats
                .iter()
                .filter(finished)
                .map(|s| s.mean_length * s.episodes)
                .sum(),
            setting_returns,
            policy_loss: mean(|s| s.policy_loss),
            value_loss: mean(|s| s.value_loss),
            entropy: mean(|s| s.entropy),
            approx_kl: mean(|s| s.approx_kl),
            clip_frac: mean(|s| s.clip_frac),
            grad_norm: mean(|s| s.grad_norm),
            tuned: Vec::new(),
        }
    }

    /// Fraction of the finished episodes with a successful step (NaN if none finished).
    pub fn success_rate(&self) -> f32 {
        self.successes / self.episodes
    }

    /// Mean length of the finished episodes (NaN if none finished).
    pub fn mean_length(&self) -> f32 {
        self.length_sum / self.episodes
    }

    /// Finished episodes per agent.
    pub fn episodes_per_agent(&self) -> f32 {
        self.episodes / self.agents.max(1) as f32
    }

    /// The statistics do not yet stand for the policy: they rest on fewer than
    /// [`FEW_EPISODES`] episodes per agent, or the row is [`LogRow::early`].
    pub fn sparse(&self) -> bool {
        self.early || self.episodes_per_agent() < FEW_EPISODES
    }

    /// (mean, std, min, max) of the agents' mean returns; NaN when none finished.
    pub fn return_spread(&self) -> (f32, f32, f32, f32) {
        let r = &self.agent_returns;
        if r.is_empty() {
            return (f32::NAN, f32::NAN, f32::NAN, f32::NAN);
        }
        let n = r.len() as f32;
        let mean = r.iter().sum::<f32>() / n;
        let std = (r.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / n).sqrt();
        let min = r.iter().copied().fold(f32::INFINITY, f32::min);
        let max = r.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        (mean, std, min, max)
    }

    /// One line for people: return (with the agents' range), episode length, success rate
    /// where the env reports success, and the episode count the figures rest on.
    pub fn describe(&self, reports_success: bool) -> String {
        if self.episodes == 0.0 {
            return "no episode finished in this rollout".into();
        }
        let (mean, _, min, max) = self.return_spread();
        let range = if self.agent_returns.len() > 1 {
            format!(" [{min:.3}, {max:.3}]")
        } else {
            String::new()
        };
        let success = if reports_success {
            format!("  success {:.0}%", 100.0 * self.success_rate())
        } else {
            String::new()
        };
        let sparse = match (self.early, self.sparse()) {
            (true, _) => ", early: only short episodes could finish yet",
            (false, true) => ", too few to trust",
            _ => "",
        };
        let episodes = match self.episodes {
            1.0 => "1 episode".to_string(),
            n => format!("{n} episodes"),
        };
        format!(
            "return {mean:.3}{range}  length {:.1}{success}  ({episodes}{sparse})",
            self.mean_length()
        )
    }
}

/// The CSV's header line: fixed columns, a sweep's settings (`labels`), tuned names.
fn csv_header(setting_labels: &[String], tuned: &[(String, f32)]) -> String {
    let mut text = String::from(
        "update,env_steps,env_steps_per_agent,seconds,return_mean,return_std,return_min,\
         return_max,agents_with_episodes,episodes,episodes_per_agent,length_mean,success_rate,\
         policy_loss,value_loss,entropy,approx_kl,clip_frac,grad_norm",
    );
    for label in setting_labels {
        text.push_str(&format!(",return[{label}]"));
    }
    for (name, _) in tuned {
        text.push(',');
        text.push_str(name);
    }
    text.push('\n');
    text
}

fn csv_line(r: &LogRow) -> String {
    let (mean, std, min, max) = r.return_spread();
    let mut text = format!(
        "{},{},{},{:.3},{mean},{std},{min},{max},{},{},{},{},{},{},{},{},{},{},{}",
        r.update,
        r.env_steps,
        r.agent_env_steps,
        r.seconds,
        r.agent_returns.len(),
        r.episodes,
        r.episodes_per_agent(),
        r.mean_length(),
        r.success_rate(),
        r.policy_loss,
        r.value_loss,
        r.entropy,
        r.approx_kl,
        r.clip_frac,
        r.grad_norm
    );
    for value in &r.setting_returns {
        text.push_str(&format!(",{}", value.unwrap_or(f32::NAN)));
    }
    for (_, value) in &r.tuned {
        text.push_str(&format!(",{value}"));
    }
    text.push('\n');
    text
}

/// Write the whole log (header and `rows`), replacing the file.
pub fn write_csv(path: &Path, setting_labels: &[String], rows: &[LogRow]) -> Result<()> {
    let tuned = rows.first().map_or(&[][..], |r| &r.tuned[..]);
    let mut text = csv_header(setting_labels, tuned);
    text.extend(rows.iter().map(csv_line));
    write_atomically(path, text.as_bytes())
}

/// Append one row to a log that [`write_csv`] started, so that `tail -f` sees it at once
/// and a killed run keeps every row it logged.
pub fn append_csv(path: &Path, row: &LogRow) -> Result<()> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io)?;
    file.write_all(csv_line(row).as_bytes()).map_err(io)
}

/// Tuned hyperparameters against `x_label` (points: x and the (name, value) pairs there,
/// from `start` at x = 0), each as its log-scale change from its start (ln of (1 - eta) /
/// (1 - eta_0) for gamma and lambda, of eta / eta_0 otherwise) so that all share one axis;
/// a no-op without tuned hyperparameters.
pub fn write_tuned_curve(
    path: &Path,
    title: &str,
    x_label: &str,
    start: &[(String, f32)],
    points: &[(f64, &[(String, f32)])],
) -> Result<()> {
    if start.is_empty() || points.is_empty() {
        return Ok(());
    }
    let series = start
        .iter()
        .enumerate()
        .map(|(k, (name, start))| {
            let discount = name == "gamma" || name == "gae_lambda";
            let scale = |v: f32| (if discount { 1.0 - v } else { v }) as f64;
            let line = std::iter::once((0.0, 0.0))
                .chain(
                    points
                        .iter()
                        .map(|(x, t)| (*x, (scale(t[k].1) / scale(*start)).ln())),
                )
                .collect();
            let label = if discount {
                format!("ln((1 - {name}) / start)")
            } else {
                format!("ln({name} / start)")
            };
            Series::line(label, PALETTE[k % PALETTE.len()], line)
        })
        .collect();
    Figure {
        title: title.to_string(),
        x_label: x_label.into(),
        y_label: "log-scale change".into(),
        series,
        log_x: false,
        integer_x: false,
    }
    .write(path)
}

/// The learning curves against env-steps per agent, one panel each: the mean return over
/// agents (one standard deviation around it, the worst-to-best agent range behind it), the
/// mean episode length, and, where the env reports success, the success rate. Points that
/// do not yet stand for the policy ([`LogRow::sparse`]) are hollow markers. With a
/// sweep (`setting_labels`), the return panel has one line per setting instead.
pub fn write_curve(
    path: &Path,
    title: &str,
    rows: &[LogRow],
    reports_success: bool,
    setting_labels: &[String],
) -> Result<()> {
    let x = |r: &LogRow| r.agent_env_steps as f64;
    let x_label = "env-steps per agent";
    // One statistic's line over the well-sampled points and markers at the sparse ones.
    let line = |label: &str, color, f: &dyn Fn(&LogRow) -> f32| -> Vec<Series> {
        let (sparse, dense): (Vec<&LogRow>, Vec<&LogRow>) = rows
            .iter()
            .filter(|r| f(r).is_finite())
            .partition(|r| r.sparse());
        let at = |rs: &[&LogRow]| rs.iter().map(|r| (x(r), f(r) as f64)).collect();
        let mut series = vec![Series::line(label, color, at(&dense))];
        if !sparse.is_empty() {
            let note = format!("early, or < {FEW_EPISODES} episodes per agent");
            series.push(Series::points(note, color, at(&sparse)));
        }
        series
    };
    let [blue, red, green, _] = PALETTE;
    let several = rows.iter().any(|r| r.agent_returns.len() > 1);
    let returns = if !setting_labels.is_empty() {
        setting_labels
            .iter()
            .enumerate()
            .flat_map(|(k, label)| {
                let color = PALETTE[k % PALETTE.len()];
                line(label, color, &move |r: &LogRow| {
                    r.setting_returns
                        .get(k)
                        .copied()
                        .flatten()
                        .unwrap_or(f32::NAN)
                })
            })
            .collect()
    } else if !several {
        // One agent: no spread across agents to draw.
        line("return", blue, &|r| r.return_spread().0)
    } else {
        // Bands around the well-sampled points only, as the line.
        let spread: Vec<(f64, (f32, f32, f32, f32))> = rows
            .iter()
            .filter(|r| !r.sparse())
            .map(|r| (x(r), r.return_spread()))
            .filter(|(_, s)| s.0.is_finite())
            .collect();
        let band = |lo: fn(&(f32, f32, f32, f32)) -> f32, hi: fn(&(f32, f32, f32, f32)) -> f32| {
            spread
                .iter()
                .map(|(x, s)| (*x, lo(s) as f64, hi(s) as f64))
                .collect::<Vec<_>>()
        };
        let mut series = vec![Series::line("", GREY, Vec::new())
            .with_band("worst to best agent", band(|s| s.2, |s| s.3))];
        let mut mean = line("mean over agents", blue, &|r| r.return_spread().0);
        let dense = mean.remove(0);
        series.push(dense.with_band("mean ± std over agents", band(|s| s.0 - s.1, |s| s.0 + s.1)));
        series.extend(mean);
        series
    };
    let panel = |y_label: &str, series| Figure {
        title: String::new(),
        x_label: x_label.into(),
        y_label: y_label.into(),
        series,
        log_x: false,
        integer_x: false,
    };
    let mut figures = vec![
        Figure {
            title: title.to_string(),
            ..panel("episode return", returns)
        },
        panel(
            "episode length",
            line("mean over episodes", red, &|r| r.mean_length()),
        ),
    ];
    if reports_success {
        figures.push(panel(
            "success rate",
            line("over episodes", green, &|r| r.success_rate()),
        ));
    }
    write_stacked(path, &figures)
}
