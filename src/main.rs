//! The `wgym` command line: list envs, run the throughput suite, train, evolve,
//! meta-train. One module per command family under `cli/`.

mod cli;

use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use wgym::Result;

#[derive(Parser)]
#[command(
    name = "wgym",
    version,
    about = "Batched RL environments, learners and meta-learners on the GPU (wgpu + WGSL)"
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
    Bench(cli::bench::BenchArgs),
    /// Train agents with PPO or A2C on the GPU; writes a CSV log, a PNG learning curve and
    /// checkpoints to --out.
    Train(cli::train::TrainArgs),
    /// Run a checkpoint's policies without learning and report their returns.
    Eval(cli::train::EvalArgs),
    /// Evolution strategies on the GPU: a benchmark function (--problem) or a policy's
    /// weights on an env (--env, fitness = reward per step of the policy rollout).
    Es(cli::es::EsArgs),
    /// Meta-train with ES: a learned objective (LPO's drift) and/or inner hyperparameters,
    /// every population member a PPO learner trained for a lifetime on the GPU.
    MetaTrain(cli::meta::MetaTrainArgs),
    /// Compare a meta-training run's learned object with PPO on held-out tasks and lifetimes.
    MetaEval(cli::meta::MetaEvalArgs),
    /// Draw one episode of a manipulation task (top-down and side views) as a GIF or a
    /// PNG strip: a checkpoint's policy, the scripted policy, or random actions.
    Render(cli::render::RenderArgs),
}

fn main() -> ExitCode {
    let process_start = Instant::now();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Envs { json } => list_envs(json),
        Command::Bench(args) => cli::bench::run(process_start, args),
        Command::Train(args) => cli::train::train(process_start, args),
        Command::Eval(args) => cli::train::eval(args),
        Command::Es(args) => cli::es::run(args),
        Command::MetaTrain(args) => cli::meta::train(process_start, args),
        Command::MetaEval(args) => cli::meta::eval(args),
        Command::Render(args) => cli::render::run(args),
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
        "{:<34} {:>7} {:>7} {:>9}  description",
        "id", "obs", "actions", "max steps"
    );
    for s in specs {
        // Discrete: the number of actions; continuous: the vector's length, e.g. "4-dim".
        let actions = if s.action_dim > 0 {
            format!("{}-dim", s.action_dim)
        } else {
            s.num_actions.to_string()
        };
        println!(
            "{:<34} {:>7} {:>7} {:>9}  {}",
            s.id, s.obs_dim, actions, s.max_steps, s.description
        );
    }
    Ok(())
}
