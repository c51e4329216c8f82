//! `wgym render`: one episode of an env with a picture (src/picture.rs lists them) as an
//! animated GIF or a PNG strip, driven by a checkpoint's policy (its mean or most likely
//! action), the env's scripted policy (manipulation), or random actions.

use std::path::PathBuf;

use wgym::learn::checkpoint::Checkpoint;
use wgym::learn::run::CHECKPOINT;
use wgym::learn::PolicyNet;
use wgym::picture;
use wgym::render::Policy;
use wgym::{rng, Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyKind {
    /// The env's scripted policy (envs/manipulation/scripted.rs; Manipulation-* only).
    Scripted,
    /// Uniform random actions.
    Random,
}

#[derive(clap::Args)]
pub struct RenderArgs {
    /// An env id render draws (default: the checkpoint's env).
    #[arg(long, value_name = "ID")]
    pub env: Option<String>,
    /// A run directory (holding checkpoint.bin) or checkpoint file whose policy acts.
    #[arg(long, value_name = "RUN")]
    pub checkpoint: Option<PathBuf>,
    /// The checkpoint's agent to show.
    #[arg(long, default_value_t = 0)]
    pub agent: u32,
    /// Without a checkpoint: who acts (default: scripted where the env has a scripted
    /// policy, Manipulation-*, else random).
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
    let picture = picture::for_env(&env_id).ok_or_else(|| {
        let what = if source == "--env" {
            env_id.clone()
        } else {
            format!("the run was trained on {env_id}")
        };
        Error::invalid(
            source.clone(),
            format!(
                "{what}: render draws {}",
                picture::drawable_ids().join(", ")
            ),
        )
    })?;
    let env = wgym::make(&env_id)?;
    let spec = env.spec();
    let mut policy: Box<Policy> = match (&args.checkpoint, args.policy) {
        (Some(run), _) => checkpoint_policy(run, &env_id, args.agent)?,
        (None, Some(PolicyKind::Scripted)) => picture.scripted().ok_or_else(|| {
            Error::invalid(
                "--policy",
                format!("{env_id} has no scripted policy: use --policy random or --checkpoint RUN"),
            )
        })?,
        (None, None) => match picture.scripted() {
            Some(scripted) => scripted,
            None => random_policy(&spec, args.seed),
        },
        (None, Some(PolicyKind::Random)) => random_policy(&spec, args.seed),
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
            let mut obs = vec![0.0; spec.obs_dim as usize];
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
    let draw = |area: &picture::Area<'_>, k: usize| {
        let view = picture::View {
            env_id: &env_id,
            params: &params,
            frames: &frames,
            k,
            obs: &observations[k],
            episode_return: returns[k],
        };
        picture.draw(area, &view)
    };
    let first_success = frames.iter().position(|f| f.success);
    let layout = wgym::render::Layout {
        size: picture.size(),
        every: args.every,
        delay_ms: picture.delay_ms(),
        strip: args.frames,
        first_success,
    };
    write_frames(&args.out, frames.len(), &layout, &draw)?;
    let successes = match first_success {
        Some(k) => format!(
            ", {} successful steps (first at {})",
            frames.iter().filter(|f| f.success).count(),
            frames[k].step
        ),
        None => String::new(),
    };
    println!(
        "{env_id}: {} steps, return {:.1}{successes}; wrote {}",
        frames.len() - 1,
        returns.last().copied().unwrap_or(0.0),
        args.out.display()
    );
    Ok(())
}

/// Uniform random actions: an action index, or each action dimension in [-1, 1].
fn random_policy(spec: &wgym::env::EnvSpec, seed: u32) -> Box<Policy> {
    let key = rng::key(seed ^ 0x5eed);
    let (num_actions, action_dim) = (spec.num_actions, spec.action_dim);
    let mut t = 0u32;
    Box::new(move |_: &[f32]| {
        t += 1;
        if action_dim > 0 {
            (0..action_dim)
                .map(|k| (2.0 * rng::uniform(rng::fold(key, t), k) - 1.0).to_bits())
                .collect()
        } else {
            vec![rng::below(rng::fold(key, t), 0, num_actions)]
        }
    })
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
