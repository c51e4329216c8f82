//! `wgym meta-train` and `wgym meta-eval`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use wgym::bench::format_per_second;
use wgym::meta::eval::{self, EvalSettings};
use wgym::meta::run::{MetaRun, CHECKPOINT, CONFIG, CURVE, LEARNED, LOG};
use wgym::meta::{MetaCheckpoint, MetaConfig, Method};
use wgym::{Gpu, Result};

#[derive(clap::Args)]
pub struct MetaTrainArgs {
    #[command(flatten)]
    pub files: super::RunFiles,
    /// Env id (overrides the config's `env`; default BernoulliBandit-5arm).
    #[arg(long, value_name = "ID")]
    pub env: Option<String>,
    /// The outer optimizer: `es` (evolution strategies) or `meta-grad` (meta-gradients of
    /// the inner hyperparameters); overrides the config's `method`.
    #[arg(long, value_name = "METHOD", value_parser = ["es", "meta-grad"])]
    pub method: Option<String>,
    /// Total generations (overrides the config; with --resume, extends the run).
    #[arg(long, value_name = "N")]
    pub generations: Option<u32>,
    /// Stop (with a checkpoint) once this many generations are done; continue with --resume.
    #[arg(long, value_name = "N")]
    pub stop_after: Option<u32>,
    /// Skip the comparison with PPO on held-out tasks and lifetimes at the end.
    #[arg(long)]
    pub no_eval: bool,
}

#[derive(clap::Args)]
pub struct MetaEvalArgs {
    /// A meta-training run directory (holding checkpoint.bin).
    #[arg(value_name = "RUN")]
    pub run: PathBuf,
    /// Lifetimes (inner updates) to evaluate, comma-separated; default: around and beyond
    /// the training range.
    #[arg(long, value_name = "N,N,..", value_delimiter = ',')]
    pub lifetimes: Vec<u32>,
    /// Held-out tasks per lifetime.
    #[arg(long, default_value_t = 64)]
    pub tasks: u32,
    /// Agents per task and object (own initial weights and envs).
    #[arg(long, default_value_t = 1)]
    pub agents_per_task: u32,
    /// Seed of the held-out tasks, weights and envs (differs from training's by default).
    #[arg(long, default_value_t = 1_000_003)]
    pub seed: u32,
}

pub fn train(process_start: Instant, args: MetaTrainArgs) -> Result<()> {
    let gpu;
    let (run, out) = if args.files.resume {
        let out = args.files.resume_dir(&[
            ("--env", args.env.is_some()),
            ("--method", args.method.is_some()),
        ])?;
        gpu = Gpu::new()?;
        let run = super::with_spinner("loading the checkpoint and compiling shaders", || {
            MetaRun::resume(&gpu, &out, args.generations)
        })?;
        if run.done() {
            let done = run.meta.generation();
            super::say_finished("meta-train", &out, done, "generations", "--generations");
            return Ok(());
        }
        (run, out)
    } else {
        let method = args.method.as_deref().map(|m| match m {
            "meta-grad" => Method::MetaGrad,
            _ => Method::Es,
        });
        let parsed = args
            .files
            .parse_config(|text| MetaConfig::from_toml_with(args.env.as_deref(), method, text))?;
        let mut config = match parsed {
            Some(config) => config,
            None => match &args.env {
                Some(env) => {
                    wgym::make(env)?;
                    MetaConfig::for_env(env)
                }
                None => MetaConfig::default(),
            },
        };
        if let Some(g) = args.generations {
            config.generations = g;
        }
        if let Some(m) = method {
            config.method = m;
        }
        config.check()?;
        let default = Path::new("runs").join(format!("meta-{}", config.env));
        let Some(out) = args
            .files
            .fresh_dir(&config.to_toml(), default, CHECKPOINT)?
        else {
            return Ok(());
        };
        gpu = Gpu::new()?;
        let run = super::with_spinner(
            "building the meta-trainer and compiling its shaders",
            || MetaRun::start(&gpu, config, &out),
        )?;
        (run, out)
    };
    drive(
        process_start,
        run,
        &out,
        &gpu,
        args.stop_after,
        !args.no_eval,
    )
}

fn drive(
    process_start: Instant,
    mut run: MetaRun,
    out: &Path,
    gpu: &Gpu,
    stop_after: Option<u32>,
    evaluate: bool,
) -> Result<()> {
    let c = run.meta.config().clone();
    let layout = run.meta.layout();
    match c.method {
        Method::Es => println!(
            "meta-training on {}: {} learning {} over {} meta-parameters, population {} ({} task \
             groups), {} PPO agent(s) per member x {} envs, lifetimes {}-{} updates of {} \
             steps; adapter {}",
            run.env_id(),
            c.es.strategy.name(),
            wgym::meta::run::learned_object(c.learn),
            c.dim(),
            c.es.population,
            layout.groups,
            c.agents_per_member,
            c.inner.envs,
            c.lifetime[0],
            c.lifetime[1],
            c.inner.steps,
            gpu.describe()
        ),
        Method::MetaGrad => {
            let inner = c.inner_config();
            let mut tuned: Vec<String> = inner
                .meta_gradient
                .iter()
                .flat_map(|m| m.learn.iter().map(|h| h.name().to_string()))
                .collect();
            if inner.meta_gradient.as_ref().is_some_and(|m| m.drift) {
                tuned.push(format!(
                    "LPO's drift ({} weights, forward gradients)",
                    c.objective().drift_params()
                ));
            }
            println!(
                "meta-training on {}: meta-gradients of {} shared by {} PPO agents x {} envs \
                 (a task each), stepped after every update; lifetimes {}-{} updates of {} \
                 steps; adapter {}",
                run.env_id(),
                tuned.join(", "),
                c.agents,
                c.inner.envs,
                c.lifetime[0],
                c.lifetime[1],
                c.inner.steps,
                gpu.describe()
            )
        }
    }
    let first = run.meta.generation();
    let stop = stop_after.unwrap_or(c.generations).min(c.generations);
    let mut bar = super::Progress::new(c.generations as u64, first as u64, "generations");
    let interrupt = super::Interrupt::install("generation")?;
    let started = Instant::now();
    let steps_before = run.meta.env_steps();
    let mut first_done = None;
    while run.meta.generation() < stop {
        let last = run.meta.generation() + 1 == stop;
        let row = match run.step(last) {
            Ok(r) => r,
            Err(e) => {
                bar.abandon();
                return Err(e);
            }
        };
        first_done.get_or_insert_with(|| process_start.elapsed());
        if let Some(row) = row {
            let gens = (row.generation - first) as f64 / started.elapsed().as_secs_f64();
            let (f, _, _) = wgym::meta::run::summarize(&row, c.members_per_task());
            let tuned: String = row
                .tuned
                .iter()
                .map(|(name, value)| format!("  {name} {value:.4}"))
                .collect();
            bar.set_message(format!(
                "{gens:.2} gens/s  fitness mean {:+.4} max {:+.4}  lifetime {}{tuned}",
                f[0], f[3], row.lifetime
            ));
        }
        bar.inc(1);
        if interrupt.requested() && !last {
            run.save()?;
            bar.abandon();
            interrupt.exit(
                &format!(
                    "at generation {} of {} (checkpoint written)",
                    run.meta.generation(),
                    c.generations
                ),
                &format!("wgym meta-train --resume --out {}", out.display()),
            );
        }
    }
    bar.finish();
    let seconds = started.elapsed().as_secs_f64();
    let generations = run.meta.generation() - first;
    let steps = (run.meta.env_steps() - steps_before) as f64;
    println!(
        "{generations} generations in {seconds:.1} s: {:.2} generations/s, {} of inner \
         training; first generation done {:.2} s after process start",
        generations as f64 / seconds,
        format_per_second(steps / seconds, "env-steps"),
        first_done.map_or(0.0, |d| d.as_secs_f64())
    );
    let files = [LOG, CURVE, LEARNED, CONFIG, CHECKPOINT];
    let paths: Vec<String> = files
        .iter()
        .map(|f| out.join(f).display().to_string())
        .collect();
    println!("wrote {}", paths.join(", "));
    if evaluate && run.done() {
        let settings = default_settings(&c, 64, 1, 1_000_003, &[]);
        compare(gpu, out, &c, &run.meta.mean()?, &settings)?;
    }
    Ok(())
}

/// Held-out lifetimes around and beyond the training range: half the shortest, the range's
/// ends and middle, twice the longest.
fn default_settings(
    c: &MetaConfig,
    tasks: u32,
    agents: u32,
    seed: u32,
    given: &[u32],
) -> EvalSettings {
    let [lo, hi] = c.lifetime;
    let mut lifetimes = if given.is_empty() {
        vec![(lo / 2).max(1), lo, (lo + hi) / 2, hi, 2 * hi]
    } else {
        given.to_vec()
    };
    lifetimes.sort_unstable();
    lifetimes.dedup();
    EvalSettings {
        lifetimes,
        tasks,
        agents_per_task: agents,
        seed,
    }
}

/// Evaluate, print the table and write eval.csv and eval.png into `out`.
fn compare(gpu: &Gpu, out: &Path, c: &MetaConfig, theta: &[f32], s: &EvalSettings) -> Result<()> {
    let total: u64 = s.lifetimes.iter().map(|&n| n as u64).sum();
    println!(
        "held-out evaluation: {} tasks x {} agent(s), learned vs PPO (same tasks, initial \
         weights and env randomness), lifetimes {:?}",
        s.tasks, s.agents_per_task, s.lifetimes
    );
    let mut bar = super::Progress::new(total, 0, "updates");
    let results = eval::evaluate(gpu, &c.env, c, theta, s, |_, _| bar.inc(1));
    bar.finish();
    let results = results?;
    print!("{}", eval::table(&results));
    eval::write_csv(&out.join("eval.csv"), &results)?;
    let title = format!(
        "{}: learned {} vs PPO, held-out tasks",
        c.env,
        wgym::meta::run::learned_object(c.learn)
    );
    eval::write_plot(&out.join("eval.png"), &title, &results)?;
    println!(
        "wrote {} and {}",
        out.join("eval.csv").display(),
        out.join("eval.png").display()
    );
    Ok(())
}

pub fn eval(args: MetaEvalArgs) -> Result<()> {
    let checkpoint = MetaCheckpoint::load(&args.run.join(CHECKPOINT))?;
    let c = &checkpoint.config;
    let settings = default_settings(
        c,
        args.tasks,
        args.agents_per_task,
        args.seed,
        &args.lifetimes,
    );
    println!(
        "{} after {} generations (learned {})",
        checkpoint.env,
        checkpoint.snapshot.generation,
        wgym::meta::run::learned_object(c.learn)
    );
    let gpu = Gpu::new()?;
    compare(&gpu, &args.run, c, &checkpoint.snapshot.es.mean, &settings)
}
