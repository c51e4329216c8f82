//! `wgym bench`: the throughput suite.

use std::io::Write;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use wgym::bench::{self, BenchResult, Cell, Mode};
use wgym::files::write_atomically;
use wgym::{Error, Gpu, Result, VecEnv, VecEnvConfig};

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Env id (repeatable); default: all registered envs.
    #[arg(long = "env", value_name = "ID")]
    pub envs: Vec<String>,
    /// Batch size (repeatable); default: 1024, 4096, 16384, 65536.
    #[arg(long = "batch", value_name = "N")]
    pub batches: Vec<u32>,
    /// Steps per env per timed call; default: about 2M env-steps per call.
    #[arg(long, value_name = "T")]
    pub steps: Option<u32>,
    /// step or rollout (repeatable); default: both.
    #[arg(long = "mode", value_name = "MODE")]
    pub modes: Vec<String>,
    /// Minimum measured seconds per cell.
    #[arg(long, default_value_t = 0.5)]
    pub seconds: f64,
    /// Invocations per workgroup.
    #[arg(long, default_value_t = 64)]
    pub workgroup_size: u32,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<std::path::PathBuf>,
}

#[derive(serde::Serialize)]
struct Startup {
    /// From process start to the adapter and device being open.
    adapter_open_ms: f64,
    /// From process start to the first batched step completed (shader composition,
    /// validation, pipeline creation, allocation and reset included).
    first_step_ms: f64,
    env: String,
    batch: u32,
}

#[derive(serde::Serialize)]
struct Report {
    wgym_version: &'static str,
    adapter: String,
    backend: String,
    startup: Startup,
    results: Vec<BenchResult>,
    /// Cells over the device's limits.
    skipped: Vec<Skipped>,
}

#[derive(serde::Serialize)]
struct Skipped {
    env: String,
    mode: Mode,
    batch: u32,
    reason: String,
}

pub fn run(process_start: Instant, args: BenchArgs) -> Result<()> {
    // Fail on the output path before the suite runs, not after.
    if let Some(path) = &args.json {
        wgym::files::check_output_file("--json", path)?;
    }
    let envs = if args.envs.is_empty() {
        wgym::registry().iter().map(|r| (r.make)()).collect()
    } else {
        args.envs
            .iter()
            .map(|id| wgym::make(id))
            .collect::<Result<Vec<_>>>()?
    };
    let batches = if args.batches.is_empty() {
        bench::SUITE_BATCHES.to_vec()
    } else {
        args.batches.clone()
    };
    let modes = if args.modes.is_empty() {
        vec![Mode::Step, Mode::Rollout]
    } else {
        args.modes
            .iter()
            .map(|m| m.parse())
            .collect::<Result<Vec<_>>>()?
    };
    if let Some(&b) = batches.iter().find(|&&b| b == 0) {
        return Err(Error::invalid(
            "batch size",
            format!("{b}: it must be at least 1"),
        ));
    }
    if args.steps == Some(0) {
        return Err(Error::invalid("steps", "0: it must be at least 1"));
    }
    if !(args.seconds > 0.0 && args.seconds.is_finite()) {
        return Err(Error::invalid(
            "seconds",
            format!("{}: must be positive", args.seconds),
        ));
    }

    let gpu = Gpu::new()?;
    let adapter_open = process_start.elapsed();
    let first_env = envs[0].clone();
    let mut probe = VecEnv::new(&gpu, first_env.clone(), VecEnvConfig::new(batches[0], 0))?;
    probe.step_random(1)?;
    probe.wait()?;
    let startup = Startup {
        adapter_open_ms: adapter_open.as_secs_f64() * 1e3,
        first_step_ms: process_start.elapsed().as_secs_f64() * 1e3,
        env: first_env.spec().id,
        batch: batches[0],
    };
    drop(probe);
    println!("adapter: {}", gpu.describe());
    println!(
        "startup: adapter open after {:.0} ms, first batched step of {} x {} done {:.0} ms after process start",
        startup.adapter_open_ms, startup.env, startup.batch, startup.first_step_ms
    );

    let total = (envs.len() * batches.len() * modes.len()) as u64;
    let progress = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed}<{eta}]")
            .expect("valid template"),
    );
    let min_time = Duration::from_secs_f64(args.seconds);
    let mut results = Vec::new();
    let mut skipped = Vec::new();
    let mut over_limit = None;
    for env in &envs {
        let id = env.spec().id;
        progress.set_message(format!("{id}: CPU twin reference"));
        let twin_rate = bench::cpu_twin_rate(env, min_time.min(Duration::from_millis(300)))?;
        for &batch in &batches {
            for &mode in &modes {
                progress.set_message(format!("{id} {mode} x {batch}"));
                let cell = Cell {
                    env: env.clone(),
                    mode,
                    batch,
                    steps: args.steps,
                    workgroup_size: args.workgroup_size,
                    min_time,
                };
                match bench::run_cell(&gpu, &cell, twin_rate) {
                    Ok(result) => {
                        progress.suspend(|| print_row(&result, results.is_empty()));
                        results.push(result);
                    }
                    // A cell the device cannot hold is reported and the suite goes on.
                    Err(e @ Error::OverLimit { .. }) => {
                        progress.suspend(|| println!("{id} {mode} x {batch}: skipped: {e}"));
                        skipped.push(Skipped {
                            env: id.clone(),
                            mode,
                            batch,
                            reason: e.to_string(),
                        });
                        over_limit = Some(e);
                    }
                    Err(e) => return Err(e),
                }
                progress.inc(1);
            }
        }
    }
    progress.finish_and_clear();
    if let (true, Some(e)) = (results.is_empty(), over_limit) {
        return Err(e);
    }
    if let Some(path) = &args.json {
        let report = Report {
            wgym_version: env!("CARGO_PKG_VERSION"),
            adapter: gpu.adapter_name().to_string(),
            backend: gpu.backend(),
            startup,
            results,
            skipped,
        };
        let text = serde_json::to_string_pretty(&report).expect("report serialises");
        write_atomically(path, text.as_bytes())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn print_row(r: &BenchResult, header: bool) {
    if header {
        println!(
            "{:<34} {:<8} {:>8} {:>6} {:>14} {:>14} {:>9} {:>10}",
            "env", "mode", "batch", "steps", "env-steps/s", "CPU twin", "speedup", "memory"
        );
    }
    let memory = r
        .memory_gb_per_s
        .map_or(String::new(), |g| format!("{g:.1} GB/s"));
    println!(
        "{:<34} {:<8} {:>8} {:>6} {:>14} {:>14} {:>8.1}x {:>10}",
        r.env,
        r.mode.to_string(),
        r.batch,
        r.steps,
        bench::format_rate(r.env_steps_per_s),
        bench::format_rate(r.cpu_twin_steps_per_s),
        r.speedup_vs_cpu_twin,
        memory
    );
    let _ = std::io::stdout().flush();
}
