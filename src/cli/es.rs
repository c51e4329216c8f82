//! `wgym es`: an evolution strategy on a benchmark function or on a policy's weights.

use std::path::Path;
use std::time::Instant;

use wgym::bench::format_per_second;
use wgym::es::run::{EsRun, EsRunConfig, CHECKPOINT, CURVE, LOG};
use wgym::es::{Problem, Strategy};
use wgym::{Gpu, Result};

#[derive(clap::Args)]
pub struct EsArgs {
    #[command(flatten)]
    pub files: super::RunFiles,
    /// A benchmark function: sphere, rosenbrock or rastrigin (fitness -f).
    #[arg(long)]
    pub problem: Option<String>,
    /// An env whose policy weights to evolve (fitness: reward per step of a rollout).
    #[arg(long, value_name = "ID")]
    pub env: Option<String>,
    /// Parameters of the benchmark function.
    #[arg(long)]
    pub dim: Option<u32>,
    /// openai_es, snes or cma_es.
    #[arg(long)]
    pub strategy: Option<String>,
    #[arg(long)]
    pub population: Option<u32>,
    /// Total generations (with --resume, extends the run).
    #[arg(long, value_name = "N")]
    pub generations: Option<u32>,
    /// Stop (with a checkpoint) once this many generations are done; continue with
    /// --resume.
    #[arg(long, value_name = "N")]
    pub stop_after: Option<u32>,
}

pub fn run(args: EsArgs) -> Result<()> {
    let gpu;
    let (mut run, out) = if args.files.resume {
        let out = args.files.resume_dir(&[
            ("--problem", args.problem.is_some()),
            ("--env", args.env.is_some()),
            ("--strategy", args.strategy.is_some()),
            ("--dim", args.dim.is_some()),
            ("--population", args.population.is_some()),
        ])?;
        gpu = Gpu::new()?;
        let run = EsRun::resume(&gpu, &out, args.generations)?;
        if run.done() {
            let done = run.es.generation();
            super::say_finished("es", &out, done, "generations", "--generations");
            return Ok(());
        }
        (run, out)
    } else {
        let mut c = args
            .files
            .parse_config(EsRunConfig::from_toml)?
            .unwrap_or_default();
        if let Some(p) = &args.problem {
            c.problem = Some(p.parse::<Problem>()?);
        }
        if let Some(env) = &args.env {
            c.env = Some(env.clone());
        }
        if let Some(s) = &args.strategy {
            let strategy: Strategy = s.parse()?;
            let population = c.es.population;
            c.es = wgym::es::EsConfig {
                population,
                ..wgym::es::EsConfig::for_strategy(strategy)
            };
        }
        if let Some(d) = args.dim {
            c.dim = d;
        }
        if let Some(p) = args.population {
            c.es.population = p;
        }
        if let Some(g) = args.generations {
            c.generations = g;
        }
        c.check()?;
        let name = c
            .problem
            .map(|p| p.name().to_string())
            .or(c.env.clone())
            .unwrap_or_default();
        let default = Path::new("runs").join(format!("es-{name}"));
        let Some(out) = args.files.fresh_dir(&c.to_toml(), default, CHECKPOINT)? else {
            return Ok(());
        };
        gpu = Gpu::new()?;
        (EsRun::start(&gpu, c, &out)?, out)
    };
    let c = run.config().clone();
    let what = match (&c.problem, &c.env) {
        (Some(p), _) => format!("{} in {} dims", p.name(), c.dim),
        (_, Some(env)) => format!("{env} policy weights ({} parameters)", run.es.dim()),
        _ => unreachable!("checked"),
    };
    println!(
        "{} on {what}: population {}, adapter {}",
        c.es.strategy.name(),
        c.es.population,
        gpu.describe()
    );
    let first = run.es.generation();
    let mut bar = super::Progress::new(c.generations as u64, first as u64, "generations");
    let interrupt = super::Interrupt::install("batch of generations")?;
    let started = Instant::now();
    let stop = args.stop_after.unwrap_or(c.generations).min(c.generations);
    while run.es.generation() < stop {
        let left = stop - run.es.generation();
        let batch = wgym::es::search::GENERATIONS_PER_SUBMIT.min(left);
        let (n, row) = match run.advance(batch, batch == left) {
            Ok(r) => r,
            Err(e) => {
                bar.abandon();
                return Err(e);
            }
        };
        if let Some(row) = row {
            let gens = (row.generation - first) as f64 / started.elapsed().as_secs_f64();
            bar.set_message(format!(
                "{gens:.1} gens/s  fitness best {:.5} mean {:.5}",
                row.best, row.mean
            ));
        }
        bar.inc(n as u64);
        if interrupt.requested() && run.es.generation() < stop {
            run.save()?;
            bar.abandon();
            interrupt.exit(
                &format!(
                    "at generation {} of {} (checkpoint written)",
                    run.es.generation(),
                    c.generations
                ),
                &format!("wgym es --resume --out {}", out.display()),
            );
        }
    }
    bar.finish();
    let seconds = started.elapsed().as_secs_f64();
    let gens = (run.es.generation() - first) as f64;
    let (work, unit) = run.work_per_generation();
    println!(
        "{gens} generations in {seconds:.2} s: {:.1} generations/s ({}); fitness of the mean {:.6}",
        gens / seconds,
        format_per_second(gens * work as f64 / seconds, unit),
        run.mean_fitness()?
    );
    println!(
        "wrote {}, {} and {}",
        out.join(LOG).display(),
        out.join(CURVE).display(),
        out.join(CHECKPOINT).display()
    );
    if !run.done() {
        println!(
            "stopped at generation {} of {}; continue with `wgym es --resume --out {}`",
            run.es.generation(),
            c.generations,
            out.display()
        );
    }
    Ok(())
}
