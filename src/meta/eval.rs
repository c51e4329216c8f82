//! `meta-eval`: the learned object against plain PPO on held-out tasks and lifetimes. For
//! each lifetime, every task gets a pair of slots, the learned object and PPO (its
//! meta-parameters at 0), each of `agents_per_task` agents; a pair shares its task, initial
//! weights and env randomness, so their difference is the object's doing.

use std::path::Path;

use super::config::MetaConfig;
use super::kernels::MetaKernels;
use super::layout::Layout;
use super::trainer::{init_key, inner_trainer};
use crate::buffer::GpuBuffer;
use crate::error::{Error, Result};
use crate::files::write_atomically;
use crate::gpu::Gpu;
use crate::learn::trainer::Tasks;
use crate::plot::{Figure, Series, PALETTE};
use crate::rng::{self, Key};

#[derive(Clone, Debug, PartialEq)]
pub struct EvalSettings {
    pub lifetimes: Vec<u32>,
    pub tasks: u32,
    pub agents_per_task: u32,
    /// Seed of the held-out tasks, initial weights and envs.
    pub seed: u32,
}

/// Reward per env-step at the end of one lifetime, per task (mean over its agents).
#[derive(Clone, Debug, PartialEq)]
pub struct LifetimeResult {
    pub lifetime: u32,
    pub learned: Vec<f32>,
    pub ppo: Vec<f32>,
}

/// The mean of `v` and its standard error.
fn mean_and_se(v: &[f32]) -> (f32, f32) {
    let n = v.len() as f32;
    let mean = v.iter().sum::<f32>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / (n - 1.0).max(1.0);
    (mean, (var / n).sqrt())
}

impl LifetimeResult {
    /// (mean learned, mean PPO, mean paired difference, its standard error, tasks won).
    pub fn summary(&self) -> (f32, f32, f32, f32, usize) {
        let diff: Vec<f32> = self
            .learned
            .iter()
            .zip(&self.ppo)
            .map(|(a, b)| a - b)
            .collect();
        let (d, se) = mean_and_se(&diff);
        let wins = diff.iter().filter(|&&x| x > 0.0).count();
        (
            mean_and_se(&self.learned).0,
            mean_and_se(&self.ppo).0,
            d,
            se,
            wins,
        )
    }
}

/// Key of the evaluation tasks of lifetime index `i`.
fn eval_task_key(seed: u32, i: u32) -> Key {
    rng::fold(rng::fold(rng::key(seed), 9), i)
}

/// Run the learned meta-parameters `theta` of a run with config `c` against PPO.
pub fn evaluate(
    gpu: &Gpu,
    env_id: &str,
    c: &MetaConfig,
    theta: &[f32],
    settings: &EvalSettings,
    mut progress: impl FnMut(u32, u32),
) -> Result<Vec<LifetimeResult>> {
    if settings.tasks == 0 || settings.agents_per_task == 0 || settings.lifetimes.is_empty() {
        return Err(Error::invalid(
            "meta-eval",
            "give at least one task, one agent per task and one lifetime",
        ));
    }
    if let Some(&bad) = settings.lifetimes.iter().find(|&&n| n == 0) {
        return Err(Error::invalid(
            "meta-eval lifetimes",
            format!("{bad}: a lifetime needs at least 1 update"),
        ));
    }
    if theta.len() != c.dim() as usize {
        return Err(Error::invalid(
            "meta-eval",
            format!(
                "{} meta-parameters for a config that learns {}",
                theta.len(),
                c.dim()
            ),
        ));
    }
    let env = crate::make(env_id)?;
    let layout = Layout {
        groups: settings.tasks,
        members: 1,
        slots: 2,
        per_slot: settings.agents_per_task,
    };
    let mut inner = c.inner.clone();
    // The learned values stay fixed here, whichever method found them.
    inner.meta_gradient = None;
    inner.seed = settings.seed;
    inner.updates = *settings.lifetimes.iter().max().expect("checked");
    let distribution = env.default_params_bytes();
    let group = layout.agents_per_task() * inner.envs;
    let first_tasks = eval_task_key(settings.seed, 0);
    let mut trainer = inner_trainer(gpu, env, &layout, inner, c.objective(), first_tasks)?;
    let rows: Vec<f32> = (0..settings.tasks)
        .flat_map(|_| theta.iter().copied())
        .collect();
    let population = GpuBuffer::from_slice(gpu, "the learned meta-parameters", &rows)?;
    let fitness = GpuBuffer::<f32>::zeroed(gpu, "the evaluation fitness", settings.tasks as usize)?;
    let base = c.objective().row(trainer.config());
    let uniform = layout.uniform(c, trainer.config().samples());
    let kernels = MetaKernels::new(
        gpu,
        uniform,
        &base,
        &population.buffer,
        &fitness.buffer,
        &trainer,
    )?;
    let mut results = Vec::new();
    for (i, &lifetime) in settings.lifetimes.iter().enumerate() {
        let net = trainer.net().clone();
        let weights: Vec<f32> = (0..layout.agents())
            .flat_map(|a| net.init(init_key(settings.seed, i as u32, layout.init_index(a))))
            .collect();
        kernels.expand()?;
        let tasks = Tasks {
            base: &distribution,
            key: eval_task_key(settings.seed, i as u32),
            group,
        };
        trainer.start_lifetime(lifetime, &weights, Some(tasks))?;
        for n in 0..lifetime {
            trainer.update()?;
            progress(lifetime, n + 1);
        }
        trainer.rollout_only()?;
        kernels.fitness()?;
        let difference = fitness.read(gpu)?;
        let ppo = kernels.baseline()?;
        let learned = difference.iter().zip(&ppo).map(|(d, p)| d + p).collect();
        results.push(LifetimeResult {
            lifetime,
            learned,
            ppo,
        });
    }
    Ok(results)
}

/// The comparison as a table (also what `wgym meta-eval` prints).
pub fn table(results: &[LifetimeResult]) -> String {
    let mut t = String::from("lifetime  learned   PPO       learned - PPO        tasks won\n");
    for r in results {
        let (learned, ppo, d, se, wins) = r.summary();
        t.push_str(&format!(
            "{:>8}  {learned:>8.4}  {ppo:>8.4}  {d:>+8.4} ± {se:<8.4}  {wins}/{}\n",
            r.lifetime,
            r.learned.len()
        ));
    }
    t
}

pub fn write_csv(path: &Path, results: &[LifetimeResult]) -> Result<()> {
    let mut text = String::from(
        "lifetime,learned_reward_per_step,ppo_reward_per_step,difference,difference_se,tasks_won,tasks\n",
    );
    for r in results {
        let (learned, ppo, d, se, wins) = r.summary();
        text.push_str(&format!(
            "{},{learned},{ppo},{d},{se},{wins},{}\n",
            r.lifetime,
            r.learned.len()
        ));
    }
    write_atomically(path, text.as_bytes())
}

/// Reward per step at the end of each lifetime, learned and PPO, with ± one standard error
/// over tasks.
pub fn write_plot(path: &Path, title: &str, results: &[LifetimeResult]) -> Result<()> {
    let series = |label: &str, color, pick: fn(&LifetimeResult) -> &Vec<f32>| {
        let stats: Vec<(f64, f64, f64)> = results
            .iter()
            .map(|r| {
                let (mean, se) = mean_and_se(pick(r));
                (r.lifetime as f64, mean as f64, se as f64)
            })
            .collect();
        Series::line(label, color, stats.iter().map(|s| (s.0, s.1)).collect())
            .with_band(
                format!("{label} ± s.e."),
                stats.iter().map(|s| (s.0, s.1 - s.2, s.1 + s.2)).collect(),
            )
            .with_markers()
    };
    Figure {
        title: title.to_string(),
        x_label: "lifetime (inner updates)".into(),
        y_label: "reward per step at the end of the lifetime".into(),
        series: vec![
            series("learned", PALETTE[0], |r| &r.learned),
            series("PPO", PALETTE[1], |r| &r.ppo),
        ],
        log_x: true,
        integer_x: true,
    }
    .write(path)
}
