//! `wgym train` and `wgym eval`: PPO or A2C on the GPU, and a checkpoint's policies
//! without learning.

use std::time::Instant;

use wgym::bench;
use wgym::{Error, Gpu, Result};

#[derive(clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub files: super::RunFiles,
    /// Env id (see `wgym envs`); overrides the config's `env`.
    #[arg(long, value_name = "ID")]
    pub env: Option<String>,
    /// Independent agents trained at once (own seeds, weights, optimizer and envs);
    /// overrides the config's `agents` (default 1). A config's sweep (e.g. `lr = [1e-3,
    /// 3e-3]`) gives agent a the sweep's setting a mod n.
    #[arg(long, value_name = "N")]
    pub agents: Option<u32>,
    /// Seed of agent 0 (overrides the config's `seed`).
    #[arg(long, value_name = "N")]
    pub seed: Option<u32>,
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
    use wgym::learn::config::split_run_keys;
    use wgym::learn::run::{Run, CHECKPOINT};
    use wgym::learn::TrainConfig;

    if args.files.resume {
        let out = args.files.resume_dir(&[
            ("--env", args.env.is_some()),
            ("--agents", args.agents.is_some()),
            ("--seed", args.seed.is_some()),
        ])?;
        let gpu = Gpu::new()?;
        let run = super::with_spinner("loading the checkpoint and compiling shaders", || {
            Run::resume(&gpu, &out, args.updates)
        })?;
        if run.done() {
            let done = run.trainer.progress().update;
            super::say_finished("train", &out, done, "updates", "--updates");
            return Ok(());
        }
        return drive(process_start, run, &out, &gpu, args.stop_after);
    }
    let no_env = || {
        Error::invalid(
            "arguments",
            "give --env ID or `env = \"ID\"` in the --config file (see `wgym envs`)",
        )
    };
    let parsed = args.files.parse_config(|text| {
        let (env, agents, table) = split_run_keys(text)?;
        let env_id = args.env.clone().or(env).ok_or_else(no_env)?;
        wgym::make(&env_id)?;
        let config = TrainConfig::from_table(&env_id, table)?;
        Ok((env_id, agents, config))
    })?;
    let (env_id, file_agents, mut config) = match parsed {
        Some(parsed) => parsed,
        None => {
            let env_id = args.env.clone().ok_or_else(no_env)?;
            wgym::make(&env_id)?;
            let config = TrainConfig::for_env(&env_id);
            (env_id, None, config)
        }
    };
    let agents = args.agents.or(file_agents).unwrap_or(1);
    if agents == 0 {
        return Err(Error::invalid("--agents", "must be at least 1"));
    }
    if let Some(u) = args.updates {
        config.updates = u;
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    config.check()?;
    let default = std::path::Path::new("runs").join(&env_id);
    let Some(out) = args
        .files
        .fresh_dir(&config.run_toml(&env_id, agents), default, CHECKPOINT)?
    else {
        return Ok(());
    };
    let gpu = Gpu::new()?;
    let run = super::with_spinner("building the learner and compiling its shaders", || {
        Run::start(&gpu, &env_id, agents, config, &out)
    })?;
    drive(process_start, run, &out, &gpu, args.stop_after)
}

/// Run updates to the end (or to `stop_after`, or a Ctrl-C) with progress; then say how the
/// agents did, the throughput, and where the files are.
fn drive(
    process_start: Instant,
    mut run: wgym::learn::run::Run,
    out: &std::path::Path,
    gpu: &Gpu,
    stop_after: Option<u32>,
) -> Result<()> {
    use wgym::learn::run::{CHECKPOINT, CURVE, LOG};

    let interrupt = super::Interrupt::install("update")?;
    let c = run.trainer.config().clone();
    let agents = run.trainer.agents();
    let sweep = match c.settings() {
        1 => String::new(),
        n => format!(
            "; sweep: agent a has setting a mod {n} of {}",
            c.setting_labels().join(" | ")
        ),
    };
    println!(
        "{} on {}: {} x {} envs, {} steps per rollout, {} {} epochs x {} minibatches{sweep}; \
         adapter {}",
        run.env_id(),
        gpu.backend(),
        plural(agents, "agent"),
        c.envs,
        c.steps,
        format!("{:?}", c.algo).to_uppercase(),
        c.epochs,
        c.minibatches,
        gpu.describe()
    );
    let first = run.trainer.progress().update;
    let mut progress = super::Progress::new(c.updates as u64, first as u64, "updates");
    progress.note("the first update compiles the learner's pipelines (slow on a CPU adapter)...");
    let started = Instant::now();
    let mut first_update_done = None;
    let stop = stop_after.unwrap_or(c.updates).min(c.updates);
    while run.trainer.progress().update < stop {
        let last = run.trainer.progress().update + 1 == stop;
        let row = match run.step(last) {
            Ok(r) => r,
            Err(e) => {
                progress.abandon();
                return Err(e);
            }
        };
        if first_update_done.is_none() {
            run.trainer.gpu().wait()?;
            first_update_done = Some(process_start.elapsed());
        }
        if let Some(row) = row {
            let done = (row.update - first) as f64 * run.trainer.steps_per_update() as f64;
            let rate = done / started.elapsed().as_secs_f64();
            let tuned: String = row
                .tuned
                .iter()
                .map(|(name, value)| format!("  {name} {value:.4}"))
                .collect();
            progress.set_message(format!(
                "{}  {}{tuned}",
                bench::format_per_second(rate, "env-steps"),
                row.describe(run.reports_success())
            ));
        }
        progress.inc(1);
        if interrupt.requested() && !last {
            run.save()?;
            progress.abandon();
            let update = run.trainer.progress().update;
            interrupt.exit(
                &format!("at update {update} of {} (checkpoint written)", c.updates),
                &format!("wgym train --resume --out {}", out.display()),
            );
        }
    }
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let steps =
        (run.trainer.progress().update - first) as f64 * run.trainer.steps_per_update() as f64;
    summarise(&run);
    println!(
        "{steps} env-steps ({} agents together) in {seconds:.1} s: {} including updates; \
         first update done {:.2} s after process start",
        agents,
        bench::format_per_second(steps / seconds, "env-steps"),
        first_update_done.map_or(0.0, |d| d.as_secs_f64())
    );
    println!(
        "wrote {}, {} and {}",
        out.join(LOG).display(),
        out.join(CURVE).display(),
        out.join(CHECKPOINT).display()
    );
    if !run.done() {
        println!(
            "stopped at update {} of {}; continue with `wgym train --resume --out {}`",
            run.trainer.progress().update,
            c.updates,
            out.display()
        );
    }
    Ok(())
}

/// The closing summary: how the agents did at the last logged update, per sweep setting
/// when there is a sweep.
fn summarise(run: &wgym::learn::run::Run) {
    let Some(row) = run.history().last() else {
        return;
    };
    println!(
        "update {}, {} env-steps per agent: {}",
        row.update,
        row.agent_env_steps,
        row.describe(run.reports_success())
    );
    let labels = run.trainer.config().setting_labels();
    for (label, value) in labels.iter().zip(&row.setting_returns) {
        match value {
            Some(r) => println!("  {label}: return {r:.3}"),
            None => println!("  {label}: no episode finished"),
        }
    }
}

/// "1 agent", "4 agents".
fn plural(n: u32, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
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
