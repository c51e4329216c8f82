//! `wgym train` and `wgym eval`: PPO or A2C on the GPU, and a checkpoint's policies
//! without learning.

use std::time::Instant;

use wgym::bench;
use wgym::{Error, Gpu, Result};

#[derive(clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub files: super::RunFiles,
    /// Env id (see `wgym envs`).
    #[arg(long, value_name = "ID")]
    pub env: Option<String>,
    /// Independent agents trained at once (own seeds, weights, optimizer and envs).
    #[arg(long, default_value_t = 1)]
    pub agents: u32,
    /// Total updates (overrides the config; with --resume, extends the run).
    #[arg(long, value_name = "N")]
    pub updates: Option<u32>,
    /// Stop (with a checkpoint) once this many updates are done; continue with --resume.
    #[arg(long, value_name = "N")]
    pub stop_after: Option<u32>,
}

#[derive(clap::Args)]
pub struct EvalArgs {
    /// A run directory (holding checkpoint.bin) or a checkpoint file.
    #[arg(value_name = "RUN")]
    pub run: std::path::PathBuf,
    /// Rollouts of `steps` steps per env to run (default: enough for two of the env's
    /// longest episodes, at least 4).
    #[arg(long)]
    pub rollouts: Option<u32>,
    /// Seed of the evaluation envs (differs from training's by default).
    #[arg(long, default_value_t = 1_000_003)]
    pub seed: u32,
}

pub fn train(process_start: Instant, args: TrainArgs) -> Result<()> {
    use wgym::learn::run::{Run, CHECKPOINT};
    use wgym::learn::TrainConfig;

    if args.files.resume {
        let out = args.files.resume_dir(&[("--env", args.env.is_some())])?;
        let gpu = Gpu::new()?;
        let run = Run::resume(&gpu, &out, args.updates)?;
        return drive(process_start, run, &out, &gpu, args.stop_after);
    }
    let env_id = args
        .env
        .ok_or_else(|| Error::invalid("arguments", "--env ID is required (see `wgym envs`)"))?;
    wgym::make(&env_id)?;
    let mut config = args
        .files
        .parse_config(|text| TrainConfig::from_toml(&env_id, text))?
        .unwrap_or_else(|| TrainConfig::for_env(&env_id));
    if let Some(u) = args.updates {
        config.updates = u;
    }
    config.check()?;
    let default = std::path::Path::new("runs").join(&env_id);
    let Some(out) = args
        .files
        .fresh_dir(&config.to_toml(), default, CHECKPOINT)?
    else {
        return Ok(());
    };
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
    let bar = super::progress_bar(c.updates as u64, first as u64, "updates");
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
            // Envs that report success show its rate once there is some.
            let success = if row.successes > 0.0 {
                format!("  success {:.0}%", 100.0 * row.success_rate())
            } else {
                String::new()
            };
            let tuned: String = row
                .tuned
                .iter()
                .map(|(name, value)| format!("  {name} {value:.4}"))
                .collect();
            bar.set_message(format!(
                "{}  return {mean:.3} [{min:.3}, {max:.3}]{success}{tuned}",
                bench::format_per_second(rate, "env-steps")
            ));
        }
    }
    bar.finish();
    let seconds = started.elapsed().as_secs_f64();
    let steps =
        (run.trainer.progress().update - first) as f64 * run.trainer.steps_per_update() as f64;
    println!(
        "{} env-steps in {seconds:.1} s: {} including updates; first update done {:.2} s after process start",
        steps,
        bench::format_per_second(steps / seconds, "env-steps"),
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

pub fn eval(args: EvalArgs) -> Result<()> {
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
    let episode = env.spec().max_steps;
    let rollouts = args
        .rollouts
        .unwrap_or_else(|| (2 * episode).div_ceil(config.steps).max(4));
    let mut trainer = Trainer::new(&gpu, env, checkpoint.agents, config.clone())?;
    trainer.set_weights(&bytemuck::pod_collect_to_vec(checkpoint.snapshot.weights()))?;
    let returns = trainer.evaluate(rollouts)?;
    println!(
        "{} after {} updates, {} rollouts of {} steps x {} envs per agent (seed {}):",
        checkpoint.env,
        checkpoint.snapshot.progress.update,
        rollouts,
        config.steps,
        config.envs,
        args.seed
    );
    println!("agent  mean return  episodes  success");
    for (agent, e) in returns.iter().enumerate() {
        println!(
            "{agent:>5}  {:>11.4}  {:>8}  {:>6.1}%",
            e.mean_return,
            e.episodes,
            100.0 * e.success_rate
        );
    }
    let finite: Vec<f32> = returns
        .iter()
        .map(|r| r.mean_return)
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
