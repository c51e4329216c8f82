//! What a training run leaves for people: a CSV log (one row per logged update, with the
//! spread across agents) and an SVG learning curve.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::trainer::AgentStats;
use crate::error::Result;
use crate::files::write_atomically;
use crate::plot::{Figure, Series, PALETTE};

/// One logged update, summarised over agents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogRow {
    pub update: u32,
    /// Env-steps so far, all agents together.
    pub env_steps: u64,
    /// Wall-clock seconds since the run (or the resumed run) started.
    pub seconds: f64,
    /// Mean episode return per agent (agents that finished no episode are left out).
    pub agent_returns: Vec<f32>,
    pub episodes: f32,
    /// Of those, the episodes with a successful step.
    #[serde(default)]
    pub successes: f32,
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
    pub fn new(update: u32, env_steps: u64, seconds: f64, stats: &[AgentStats]) -> LogRow {
        let mean =
            |f: fn(&AgentStats) -> f32| stats.iter().map(f).sum::<f32>() / stats.len() as f32;
        LogRow {
            update,
            env_steps,
            seconds,
            agent_returns: stats
                .iter()
                .map(|s| s.mean_return)
                .filter(|r| r.is_finite())
                .collect(),
            episodes: stats.iter().map(|s| s.episodes).sum(),
            successes: stats
                .iter()
                .filter(|s| s.episodes > 0.0)
                .map(|s| s.success_rate * s.episodes)
                .sum(),
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
}

pub fn write_csv(path: &Path, rows: &[LogRow]) -> Result<()> {
    let mut text = String::from(
        "update,env_steps,seconds,return_mean,return_std,return_min,return_max,agents_with_episodes,\
         episodes,success_rate,policy_loss,value_loss,entropy,approx_kl,clip_frac,grad_norm",
    );
    for (name, _) in rows.first().map_or(&[][..], |r| &r.tuned[..]) {
        text.push(',');
        text.push_str(name);
    }
    text.push('\n');
    for r in rows {
        let (mean, std, min, max) = r.return_spread();
        text.push_str(&format!(
            "{},{},{:.3},{mean},{std},{min},{max},{},{},{},{},{},{},{},{},{}\n",
            r.update,
            r.env_steps,
            r.seconds,
            r.agent_returns.len(),
            r.episodes,
            r.success_rate(),
            r.policy_loss,
            r.value_loss,
            r.entropy,
            r.approx_kl,
            r.clip_frac,
            r.grad_norm
        ));
        text.pop();
        for (_, value) in &r.tuned {
            text.push_str(&format!(",{value}"));
        }
        text.push('\n');
    }
    write_atomically(path, text.as_bytes())
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
    }
    .write(path)
}

/// Mean return across agents against env-steps, with the band between the worst and the
/// best agent, and one standard deviation around the mean.
pub fn write_curve(path: &Path, title: &str, rows: &[LogRow]) -> Result<()> {
    let points: Vec<(f64, (f32, f32, f32, f32))> = rows
        .iter()
        .map(|r| (r.env_steps as f64, r.return_spread()))
        .filter(|(_, s)| s.0.is_finite())
        .collect();
    let [blue, ..] = PALETTE;
    let band = |lo: fn(&(f32, f32, f32, f32)) -> f32, hi: fn(&(f32, f32, f32, f32)) -> f32| {
        points
            .iter()
            .map(|(x, s)| (*x, lo(s) as f64, hi(s) as f64))
            .collect::<Vec<_>>()
    };
    let mean: Vec<(f64, f64)> = points.iter().map(|(x, s)| (*x, s.0 as f64)).collect();
    Figure {
        title: title.to_string(),
        x_label: "env-steps".into(),
        y_label: "mean episode return".into(),
        series: vec![
            Series::line("", blue, Vec::new())
                .with_band("min-max over agents", band(|s| s.2, |s| s.3)),
            Series::line("mean over agents", blue, mean)
                .with_band("mean ± std", band(|s| s.0 - s.1, |s| s.0 + s.1)),
        ],
        log_x: false,
    }
    .write(path)
}
