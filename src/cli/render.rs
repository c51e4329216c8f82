//! `wgym render`: one episode of a manipulation task or a MinAtar game as an animated GIF or
//! a PNG strip, driven by a checkpoint's policy (its mean or most likely action), the task's
//! scripted policy (manipulation), or random actions.

use std::path::PathBuf;

use glam::Vec3;
use wgym::envs::manipulation::{picture, scripted, ManipulationState};
use wgym::envs::minatar;
use wgym::learn::checkpoint::Checkpoint;
use wgym::learn::run::CHECKPOINT;
use wgym::learn::PolicyNet;
use wgym::render::Policy;
use wgym::{rng, Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyKind {
    /// The task's scripted policy (envs/manipulation/scripted.rs; Manipulation-* only).
    Scripted,
    /// Uniform random actions.
    Random,
}

#[derive(clap::Args)]
pub struct RenderArgs {
    /// A Manipulation-* or *-MinAtar env id (default: the checkpoint's env).
    #[arg(long, value_name = "ID")]
    pub env: Option<String>,
    /// A run directory (holding checkpoint.bin) or checkpoint file whose policy acts.
    #[arg(long, value_name = "RUN")]
    pub checkpoint: Option<PathBuf>,
    /// The checkpoint's agent to show.
    #[arg(long, default_value_t = 0)]
    pub agent: u32,
    /// Without a checkpoint: who acts (default: scripted for Manipulation-*, random for
    /// the MinAtar games).
    #[arg(long, value_enum)]
    pub policy: Option<PolicyKind>,
    /// Output: .gif (animation) or .png (a strip of --frames frames).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Seed of the task draw and the episode.
    #[arg(long, default_value_t = 0)]
    pub seed: u32,
    /// Steps at most (the episode ends at the env's limit anyway).
    #[arg(long, default_value_t = 500)]
    pub steps: u32,
    /// GIF: draw every this many steps.
    #[arg(long, default_value_t = 2)]
    pub every: usize,
    /// PNG strip: frames spread over the episode.
    #[arg(long, default_value_t = 8)]
    pub frames: usize,
}

/// A policy network from a checkpoint, acting with its mean action (Gaussian) or its
/// most likely action (categorical).
fn checkpoint_policy(path: &std::path::Path, env_id: &str, agent: u32) -> Result<Box<Policy>> {
    let path = if path.is_dir() {
        path.join(CHECKPOINT)
    } else {
        path.to_path_buf()
    };
    let checkpoint = Checkpoint::load(&path)?;
    if checkpoint.env != env_id {
        return Err(Error::invalid(
            "--env",
            format!(
                "{} was trained on {}, not {env_id}",
                path.display(),
                checkpoint.env
            ),
        ));
    }
    if agent >= checkpoint.agents {
        return Err(Error::invalid(
            "--agent",
            format!(
                "{agent}: the checkpoint holds agents 0..{}",
                checkpoint.agents
            ),
        ));
    }
    let spec = wgym::make(env_id)?.spec();
    let net = checkpoint.config.network.clone();
    let net = PolicyNet::for_spec(&spec, &net.hidden, net.activation)?;
    let p = net.params() as usize;
    let all: Vec<f32> = bytemuck::pod_collect_to_vec(checkpoint.snapshot.weights());
    let weights = all[agent as usize * p..(agent as usize + 1) * p].to_vec();
    Ok(Box::new(move |obs: &[f32]| {
        let (outputs, _) = net.forward(&weights, obs);
        if net.action_dim > 0 {
            outputs
                .iter()
                .map(|m| m.clamp(-1.0, 1.0).to_bits())
                .collect()
        } else {
            let best = (0..outputs.len())
                .max_by(|&a, &b| outputs[a].total_cmp(&outputs[b]))
                .unwrap_or(0);
            vec![best as u32]
        }
    }))
}

pub fn run(args: RenderArgs) -> Result<()> {
    wgym::files::check_output_file("--out", &args.out)?;
    // The env and where it came from (for an error that names the right option).
    let (env_id, source) = match (&args.env, &args.checkpoint) {
        (Some(id), _) => (id.clone(), "--env".to_string()),
        (None, Some(run)) => {
            let path = if run.is_dir() {
                run.join(CHECKPOINT)
            } else {
                run.clone()
            };
            let env = Checkpoint::load(&path)?.env;
            (env, format!("--checkpoint {}", run.display()))
        }
        (None, None) => {
            return Err(Error::invalid(
                "arguments",
                "give --env ID and/or --checkpoint RUN",
            ))
        }
    };
    if let Some(names) = minatar::picture::channel_names(&env_id) {
        return run_minatar(&args, &env_id, names);
    }
    let task = env_id
        .strip_prefix("Manipulation-")
        .and_then(|name| {
            wgym::envs::manipulation::TASKS
                .into_iter()
                .find(|t| t.name() == name)
        })
        .ok_or_else(|| {
            let what = if source == "--env" {
                env_id.clone()
            } else {
                format!("the run was trained on {env_id}")
            };
            Error::invalid(
                source.clone(),
                format!(
                    "{what}: render draws the single-task Manipulation-* envs and the \
                     *-MinAtar games (see `wgym envs`)"
                ),
            )
        })?;
    let env = wgym::make(&env_id)?;
    let mut policy: Box<Policy> = match (&args.checkpoint, args.policy) {
        (Some(run), _) => checkpoint_policy(run, &env_id, args.agent)?,
        (None, None | Some(PolicyKind::Scripted)) => Box::new(move |obs: &[f32]| {
            scripted::action(task, obs)
                .iter()
                .map(|v| v.to_bits())
                .collect()
        }),
        (None, Some(PolicyKind::Random)) => {
            let key = rng::key(args.seed ^ 0x5eed);
            let mut t = 0u32;
            Box::new(move |_: &[f32]| {
                t += 1;
                (0..4)
                    .map(|k| (2.0 * rng::uniform(rng::fold(key, t), k) - 1.0).to_bits())
                    .collect()
            })
        }
    };
    let (_, frames) = wgym::render::record(
        env.as_ref(),
        &env.default_params_bytes(),
        args.seed,
        args.steps,
        policy.as_mut(),
    );
    let states: Vec<ManipulationState> = frames
        .iter()
        .map(|f| bytemuck::pod_read_unaligned(&f.state))
        .collect();
    let trail: Vec<Vec3> = states
        .iter()
        .map(|s| Vec3::from(s.hand) - wgym::envs::manipulation::TCP_OFFSET)
        .collect();
    let draw = |area: &plotters::drawing::DrawingArea<
        plotters::backend::BitMapBackend<'_>,
        plotters::coord::Shift,
    >,
                k: usize| {
        let info = picture::FrameInfo {
            step: frames[k].step,
            reward: frames[k].reward,
            success: frames[k].success,
            trail: &trail[..=k],
        };
        picture::draw(area, task, &states[k], &info)
    };
    let first_success = frames.iter().position(|f| f.success);
    let layout = wgym::render::Layout {
        size: (640, 340),
        every: args.every,
        delay_ms: 40,
        strip: args.frames,
        first_success,
    };
    write_frames(&args.out, frames.len(), &layout, &draw)?;
    let successes = frames.iter().filter(|f| f.success).count();
    let first = first_success.map(|k| frames[k].step);
    println!(
        "{env_id}: {} steps, return {:.1}, {successes} successful steps (first at {}); wrote {}",
        frames.len() - 1,
        frames.iter().map(|f| f.reward).sum::<f32>(),
        first.map_or("-".to_string(), |s| s.to_string()),
        args.out.display()
    );
    Ok(())
}

/// A MinAtar game: the observation grid of every frame, coloured by channel.
fn run_minatar(args: &RenderArgs, env_id: &str, names: &'static [&'static str]) -> Result<()> {
    let env = wgym::make(env_id)?;
    let num_actions = env.spec().num_actions;
    let mut policy: Box<Policy> = match (&args.checkpoint, args.policy) {
        (Some(run), _) => checkpoint_policy(run, env_id, args.agent)?,
        (None, Some(PolicyKind::Scripted)) => {
            return Err(Error::invalid(
                "--policy",
                format!("{env_id} has no scripted policy: use --policy random or --checkpoint RUN"),
            ))
        }
        (None, None | Some(PolicyKind::Random)) => {
            let key = rng::key(args.seed ^ 0x5eed);
            let mut t = 0u32;
            Box::new(move |_: &[f32]| {
                t += 1;
                vec![rng::below(rng::fold(key, t), 0, num_actions)]
            })
        }
    };
    let (params, frames) = wgym::render::record(
        env.as_ref(),
        &env.default_params_bytes(),
        args.seed,
        args.steps,
        policy.as_mut(),
    );
    let observations: Vec<Vec<f32>> = frames
        .iter()
        .map(|f| {
            let mut obs = vec![0.0; env.spec().obs_dim as usize];
            env.observe_bytes(&f.state, &params, &mut obs);
            obs
        })
        .collect();
    let returns: Vec<f32> = frames
        .iter()
        .scan(0.0, |sum, f| {
            *sum += f.reward;
            Some(*sum)
        })
        .collect();
    let draw = |area: &plotters::drawing::DrawingArea<
        plotters::backend::BitMapBackend<'_>,
        plotters::coord::Shift,
    >,
                k: usize| {
        let info = minatar::picture::FrameInfo {
            env_id,
            step: frames[k].step,
            reward: frames[k].reward,
            episode_return: returns[k],
        };
        minatar::picture::draw(area, names, &observations[k], &info)
    };
    let layout = wgym::render::Layout {
        size: (560, 400),
        every: args.every,
        delay_ms: 100,
        strip: args.frames,
        first_success: None,
    };
    write_frames(&args.out, frames.len(), &layout, &draw)?;
    println!(
        "{env_id}: {} steps, return {}; wrote {}",
        frames.len() - 1,
        returns.last().copied().unwrap_or(0.0),
        args.out.display()
    );
    Ok(())
}

/// [`wgym::render::write`] with a progress bar over the frames drawn.
fn write_frames(
    out: &std::path::Path,
    count: usize,
    layout: &wgym::render::Layout,
    draw: &wgym::render::DrawFrame,
) -> Result<()> {
    let mut progress: Option<super::Progress> = None;
    wgym::render::write(out, count, layout, draw, &mut |_, total| {
        progress
            .get_or_insert_with(|| super::Progress::new(total as u64, 0, "frames drawn"))
            .inc(1)
    })?;
    if let Some(p) = progress {
        p.finish();
    }
    Ok(())
}
