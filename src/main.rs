//! The `wgym` command line: list envs, run the throughput suite.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use wgym::bench::{self, BenchResult, Cell, Mode};
use wgym::files::write_atomically;
use wgym::{Error, Gpu, Result, VecEnv, VecEnvConfig};

#[derive(Parser)]
#[command(
    name = "wgym",
    version,
    about = "Batched RL environments on the GPU (wgpu + WGSL)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the registered environments with their observation and action specs.
    Envs {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Measure env-steps/s. With no arguments: every env x batches 1k, 4k, 16k, 64k x modes
    /// step and rollout. Each option narrows one dimension of the suite.
    Bench(BenchArgs),
    /// Train agents with PPO or A2C on the GPU; writes a CSV log, an SVG learning curve and
    /// checkpoints to --out.
    Train(TrainArgs),
    /// Run a checkpoint's policies without learning and report their returns.
    Eval(EvalArgs),
}

#[derive(clap::Args)]
struct TrainArgs {
    /// Env id (see `wgym envs`).
    #[arg(long, value_name = "ID")]
    env: Option<String>,
    /// Independent agents trained at once (own seeds, weights, optimizer and envs).
    #[arg(long, default_value_t = 1)]
    agents: u32,
    /// TOML file overriding the per-env defaults (unknown keys are errors).
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Output directory; default runs/<env>.
    #[arg(long, value_name = "DIR")]
    out: Option<std::path::PathBuf>,
    /// Continue the run in --out from its checkpoint (bit-identical to not stopping).
    #[arg(long)]
    resume: bool,
    /// Total updates (overrides the config; with --resume, extends the run).
    #[arg(long, value_name = "N")]
    updates: Option<u32>,
    /// Stop (with a checkpoint) once this many updates are done; continue with --resume.
    #[arg(long, value_name = "N")]
    stop_after: Option<u32>,
    /// Print the effective config and exit.
    #[arg(long)]
    print_config: bool,
}

#[derive(clap::Args)]
struct EvalArgs {
    /// A run directory (holding checkpoint.bin) or a checkpoint file.
    #[arg(value_name = "RUN")]
    run: std::path::PathBuf,
    /// Rollouts of `steps` steps per env to run.
    #[arg(long, default_value_t = 4)]
    rollouts: u32,
    /// Seed of the evaluation envs (differs from training's by default).
    #[arg(long, default_value_t = 1_000_003)]
    seed: u32,
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Env id (repeatable); default: all registered envs.
    #[arg(long = "env", value_name = "ID")]
    envs: Vec<String>,
    /// Batch size (repeatable); default: 1024, 4096, 16384, 65536.
    #[arg(long = "batch", value_name = "N")]
    batches: Vec<u32>,
    /// Steps per env per timed call; default: about 2M env-steps per call.
    #[arg(long, value_name = "T")]
    steps: Option<u32>,
    /// step or rollout (repeatable); default: both.
    #[arg(long = "mode", value_name = "MODE")]
    modes: Vec<String>,
    /// Minimum measured seconds per cell.
    #[arg(long, default_value_t = 0.5)]
    seconds: f64,
    /// Invocations per workgroup.
    #[arg(long, default_value_t = 64)]
    workgroup_size: u32,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<std::path::PathBuf>,
}

fn main() -> ExitCode {
    let process_start = Instant::now();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Envs { json } => list_envs(json),
        Command::Bench(args) => run_bench(process_start, args),
        Command::Train(args) => train(process_start, args),
        Command::Eval(args) => eval(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn list_envs(json: bool) -> Result<()> {
    let specs: Vec<_> = wgym::registry().iter().map(|r| (r.make)().spec()).collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&specs).expect("specs serialise")
        );
        return Ok(());
    }
    println!(
        "{:<26} {:>7} {:>7} {:>9}  description",
        "id", "obs", "actions", "max steps"
    );
    for s in specs {
        println!(
            "{:<26} {:>7} {:>7} {:>9}  {}",
            s.id, s.obs_dim, s.num_actions, s.max_steps, s.description
        );
    }
    Ok(())
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

fn run_bench(process_start: Instant, args: BenchArgs) -> Result<()> {
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
            "{:<26} {:<8} {:>8} {:>6} {:>14} {:>14} {:>9} {:>10}",
            "env", "mode", "batch", "steps", "env-steps/s", "CPU twin", "speedup", "memory"
        );
    }
    let memory = r
        .memory_gb_per_s
        .map_or(String::new(), |g| format!("{g:.1} GB/s"));
    println!(
        "{:<26} {:<8} {:>8} {:>6} {:>14} {:>14} {:>8.1}x {:>10}",
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

fn train(process_start: Instant, args: TrainArgs) -> Result<()> {
    use wgym::learn::run::{Run, CHECKPOINT};
    use wgym::learn::TrainConfig;

    if args.resume {
        if args.config.is_some() || args.env.is_some() {
            return Err(Error::invalid(
                "--resume",
                "the run's env, agents and config come from its checkpoint; drop --env/--config",
            ));
        }
        let out = args
            .out
            .ok_or_else(|| Error::invalid("--resume", "give the run's --out directory"))?;
        let gpu = Gpu::new()?;
        let run = Run::resume(&gpu, &out, args.updates)?;
        return drive(process_start, run, &out, &gpu, args.stop_after);
    }
    let env_id = args
        .env
        .ok_or_else(|| Error::invalid("arguments", "--env ID is required (see `wgym envs`)"))?;
    wgym::make(&env_id)?;
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })?;
            TrainConfig::from_toml(&env_id, &text)
                .map_err(|e| Error::invalid(format!("config {}", path.display()), e.to_string()))?
        }
        None => TrainConfig::for_env(&env_id),
    };
    if let Some(u) = args.updates {
        config.updates = u;
    }
    config.check()?;
    if args.print_config {
        print!("{}", config.to_toml());
        return Ok(());
    }
    let out = args
        .out
        .unwrap_or_else(|| std::path::Path::new("runs").join(&env_id));
    if out.join(CHECKPOINT).exists() {
        return Err(Error::invalid(
            "--out",
            format!(
                "{} already holds a run; continue it with --resume or choose another --out",
                out.display()
            ),
        ));
    }
    let gpu = Gpu::new()?;
    let run = Run::start(&gpu, &env_id, args.agents, config, &out)?;
    drive(process_start, run, &out, &gpu, args.stop_after)
}

/// Run updates to the end with a progress bar; report throughput and where files are.
fn drive(
    process_start: Instant,
    mut run: wgym::learn::run::Run,
    out: &std::path::Path,
    gpu: &Gpu,
    stop_after: Option<u32>,
) -> Result<()> {
    use wgym::learn::run::{CHECKPOINT, CURVE, LOG};

    let c = run.trainer.config().clone();
    let agents = run.trainer.agents();
    println!(
        "{} on {}: {} agent(s) x {} envs, {} steps per rollout, {:?} {} epochs x {} minibatches, adapter {}",
        run.env_id(),
        gpu.backend(),
        agents,
        c.envs,
        c.steps,
        c.algo,
        c.epochs,
        c.minibatches,
        gpu.describe()
    );
    let first = run.trainer.progress().update;
    let bar = ProgressBar::new(c.updates as u64).with_position(first as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} updates  {msg}  [{elapsed_precise}]")
            .expect("a valid template"),
    );
    let started = Instant::now();
    let mut first_update_done = None;
    let stop = stop_after.unwrap_or(c.updates).min(c.updates);
    while run.trainer.progress().update < stop {
        let last = run.trainer.progress().update + 1 == stop;
        let row = run.step(last);
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                bar.abandon();
                return Err(e);
            }
        };
        if first_update_done.is_none() {
            run.trainer.gpu().wait()?;
            first_update_done = Some(process_start.elapsed());
        }
        bar.inc(1);
        if let Some(row) = row {
            let done = (row.update - first) as f64 * run.trainer.steps_per_update() as f64;
            let rate = done / started.elapsed().as_secs_f64();
            let (mean, _, min, max) = row.return_spread();
            bar.set_message(format!(
                "{} env-steps/s  return {mean:.3} [{min:.3}, {max:.3}]",
                bench::format_rate(rate)
            ));
        }
    }
    bar.finish();
    let seconds = started.elapsed().as_secs_f64();
    let steps =
        (run.trainer.progress().update - first) as f64 * run.trainer.steps_per_update() as f64;
    println!(
        "{} env-steps in {seconds:.1} s: {} env-steps/s including updates; first update done {:.2} s after process start",
        steps,
        bench::format_rate(steps / seconds),
        first_update_done.map_or(0.0, |d| d.as_secs_f64())
    );
    println!(
        "host readback per logged update: {} bytes",
        run.trainer.readback_bytes()
    );
    println!(
        "wrote {}, {} and {}",
        out.join(LOG).display(),
        out.join(CURVE).display(),
        out.join(CHECKPOINT).display()
    );
    Ok(())
}

fn eval(args: EvalArgs) -> Result<()> {
    use wgym::learn::checkpoint::Checkpoint;
    use wgym::learn::run::CHECKPOINT;
    use wgym::learn::Trainer;

    let path = if args.run.is_dir() {
        args.run.join(CHECKPOINT)
    } else {
        args.run.clone()
    };
    let checkpoint = Checkpoint::load(&path)?;
    let mut config = checkpoint.config.clone();
    config.seed = args.seed;
    let gpu = Gpu::new()?;
    let env = wgym::make(&checkpoint.env)?;
    let mut trainer = Trainer::new(&gpu, env, checkpoint.agents, config.clone())?;
    trainer.set_weights(&bytemuck::pod_collect_to_vec(&checkpoint.snapshot.weights))?;
    let returns = trainer.evaluate(args.rollouts)?;
    println!(
        "{} after {} updates, {} rollouts of {} steps x {} envs per agent (seed {}):",
        checkpoint.env,
        checkpoint.snapshot.progress.update,
        args.rollouts,
        config.steps,
        config.envs,
        args.seed
    );
    println!("agent  mean return  episodes");
    for (agent, (mean, episodes)) in returns.iter().enumerate() {
        println!("{agent:>5}  {mean:>11.4}  {episodes:>8}");
    }
    let finite: Vec<f32> = returns
        .iter()
        .map(|r| r.0)
        .filter(|r| r.is_finite())
        .collect();
    if !finite.is_empty() {
        println!(
            "mean over agents: {:.4}",
            finite.iter().sum::<f32>() / finite.len() as f32
        );
    }
    Ok(())
}
