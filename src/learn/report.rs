//! What a training run leaves for people: a CSV log (one row per logged update, with the
//! spread across agents) and an SVG learning curve.

use std::path::Path;

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::trainer::AgentStats;
use crate::error::{Error, Result};
use crate::files::write_atomically;

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
    pub policy_loss: f32,
    pub value_loss: f32,
    pub entropy: f32,
    pub approx_kl: f32,
    pub clip_frac: f32,
    pub grad_norm: f32,
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
            policy_loss: mean(|s| s.policy_loss),
            value_loss: mean(|s| s.value_loss),
            entropy: mean(|s| s.entropy),
            approx_kl: mean(|s| s.approx_kl),
            clip_frac: mean(|s| s.clip_frac),
            grad_norm: mean(|s| s.grad_norm),
        }
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
         episodes,policy_loss,value_loss,entropy,approx_kl,clip_frac,grad_norm\n",
    );
    for r in rows {
        let (mean, std, min, max) = r.return_spread();
        text.push_str(&format!(
            "{},{},{:.3},{mean},{std},{min},{max},{},{},{},{},{},{},{},{}\n",
            r.update,
            r.env_steps,
            r.seconds,
            r.agent_returns.len(),
            r.episodes,
            r.policy_loss,
            r.value_loss,
            r.entropy,
            r.approx_kl,
            r.clip_frac,
            r.grad_norm
        ));
    }
    write_atomically(path, text.as_bytes())
}

/// Mean return across agents against env-steps, with the band between the worst and the
/// best agent, and one standard deviation around the mean.
pub fn write_curve_svg(path: &Path, title: &str, rows: &[LogRow]) -> Result<()> {
    let points: Vec<(f64, (f32, f32, f32, f32))> = rows
        .iter()
        .map(|r| (r.env_steps as f64, r.return_spread()))
        .filter(|(_, s)| s.0.is_finite())
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 500)).into_drawing_area();
        let plot_error =
            |e: &dyn std::fmt::Display| Error::invalid("learning curve", e.to_string());
        root.fill(&WHITE).map_err(|e| plot_error(&e))?;
        let x_max = points.last().map_or(1.0, |p| p.0.max(1.0));
        let (lo, hi) = points
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), (_, s)| {
                (lo.min(s.2), hi.max(s.3))
            });
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let pad = ((hi - lo) * 0.05).max(1e-3);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, (lo - pad) as f64..(hi + pad) as f64)
            .map_err(|e| plot_error(&e))?;
        chart
            .configure_mesh()
            .x_desc("env-steps")
            .y_desc("mean episode return")
            .x_label_formatter(&|x| format!("{:.2e}", x))
            .draw()
            .map_err(|e| plot_error(&e))?;
        let band = |lower: fn(&(f32, f32, f32, f32)) -> f32,
                    upper: fn(&(f32, f32, f32, f32)) -> f32| {
            let mut poly: Vec<(f64, f64)> =
                points.iter().map(|(x, s)| (*x, upper(s) as f64)).collect();
            poly.extend(points.iter().rev().map(|(x, s)| (*x, lower(s) as f64)));
            poly
        };
        let range = band(|s| s.2, |s| s.3);
        chart
            .draw_series(std::iter::once(Polygon::new(range, BLUE.mix(0.12))))
            .map_err(|e| plot_error(&e))?
            .label("min-max over agents")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 15, y + 5)], BLUE.mix(0.12).filled())
            });
        let sigma = band(|s| s.0 - s.1, |s| s.0 + s.1);
        chart
            .draw_series(std::iter::once(Polygon::new(sigma, BLUE.mix(0.25))))
            .map_err(|e| plot_error(&e))?
            .label("mean ± std")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 15, y + 5)], BLUE.mix(0.25).filled())
            });
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|(x, s)| (*x, s.0 as f64)),
                BLUE.stroke_width(2),
            ))
            .map_err(|e| plot_error(&e))?
            .label("mean over agents")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 15, y)], BLUE.stroke_width(2)));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(|e| plot_error(&e))?;
        root.present().map_err(|e| plot_error(&e))?;
    }
    write_atomically(path, svg.as_bytes())
}
