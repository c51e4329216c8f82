//! Baselines for memory agents on Bernoulli bandits: the per-trial regret of Thompson
//! sampling (Beta(1, 1) priors), UCB1 (Auer, Cesa-Bianchi and Fischer 2002) and uniform
//! random play on given tasks, on the GPU (`shaders/bandit_baselines.wgsl`) and in its twin
//! here, bit for bit equal (the shader's header says how).
//!
//! Tasks are the arm probabilities of concrete bandit tasks, drawn by the env's own task
//! sampling ([`BanditTasks::from_params`] takes the `fixed` params that
//! `EnvKernel::sample_params` or `VecEnv::sample_tasks` give). The regret of a trial is the
//! pseudo-regret, the sum over its pulls of the best arm's probability minus the pulled
//! arm's; every algorithm sees the same reward draws.

use crate::buffer::GpuBuffer;
use crate::driver;
use crate::envs::bandit::{BanditParams, TaskDist, MAX_ARMS};
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::plan::{self, ConfigSlots};
use crate::rng::{self, Key};
use crate::shader::{Composed, Part, RNG_WGSL};

const BASELINES_WGSL: &str = include_str!("../../shaders/bandit_baselines.wgsl");

/// The algorithms, in the order of [`Regrets`]' rows.
pub const ALGORITHMS: [&str; 3] = ["thompson", "ucb1", "random"];
const THOMPSON: usize = 0;
const UCB1: usize = 1;
/// Longest trial: the UCB1 table holds (pulls + 1)^2 means and as many bonuses.
pub const MAX_PULLS: u32 = 1024;
/// Words of an (algorithm, task)'s state: successes and pulls per arm, the regret.
const STATE: usize = 2 * MAX_ARMS + 1;
const WG: u32 = 64;

/// Arm probabilities of bandit tasks, [task][arms].
#[derive(Clone, Debug, PartialEq)]
pub struct BanditTasks {
    pub arms: u32,
    pub probs: Vec<f32>,
}

impl BanditTasks {
    pub fn new(arms: u32, probs: Vec<f32>) -> Result<BanditTasks> {
        if arms == 0 || arms as usize > MAX_ARMS || probs.is_empty() {
            return Err(Error::invalid(
                "bandit tasks",
                format!(
                    "{arms} arms, {} probabilities: 1..={MAX_ARMS} arms and at least one task",
                    probs.len()
                ),
            ));
        }
        if !probs.len().is_multiple_of(arms as usize)
            || !probs.iter().all(|p| (0.0..=1.0).contains(p))
        {
            return Err(Error::invalid(
                "bandit tasks",
                format!(
                    "{} values for {arms} arms: whole tasks of probabilities in [0, 1]",
                    probs.len()
                ),
            ));
        }
        Ok(BanditTasks { arms, probs })
    }

    /// The tasks of concrete (`fixed`) Bernoulli bandit params, all with the same arms.
    pub fn from_params<const K: usize>(params: &[BanditParams<K>]) -> Result<BanditTasks> {
        let arms = params.first().map_or(0, |p| p.num_arms);
        if params
            .iter()
            .any(|p| p.task != TaskDist::Fixed as u32 || p.num_arms != arms)
        {
            return Err(Error::invalid(
                "bandit tasks",
                "every task must be a concrete draw (task = fixed) with the same num_arms",
            ));
        }
        let probs = params
            .iter()
            .flat_map(|p| p.values[..arms as usize].iter().copied())
            .collect();
        BanditTasks::new(arms, probs)
    }

    pub fn tasks(&self) -> u32 {
        self.probs.len() as u32 / self.arms
    }
}

/// Per-trial regrets, [algorithm (see [`ALGORITHMS`])][task].
pub type Regrets = [Vec<f32>; 3];

fn check_pulls(pulls: u32) -> Result<()> {
    if pulls == 0 || pulls > MAX_PULLS {
        return Err(Error::invalid(
            "pulls",
            format!("{pulls}: a trial has 1..={MAX_PULLS} pulls"),
        ));
    }
    Ok(())
}

/// UCB1's terms as f32, so devices only add and compare: s / n at `[n][s]`, then
/// sqrt(2 ln t / n) at `[pulls + 1 + t][n]`.
fn ucb_table(pulls: u32) -> Vec<f32> {
    let w = pulls as usize + 1;
    let mut table = vec![0.0f32; 2 * w * w];
    for n in 1..w {
        for s in 0..=n {
            table[n * w + s] = (s as f64 / n as f64) as f32;
        }
        for t in 1..w {
            table[(w + t) * w + n] = (2.0 * (t as f64).ln() / n as f64).sqrt() as f32;
        }
    }
    table
}

/// Twin of `beta_order`: the a-th smallest of n uniforms on the 2^-24 grid.
fn beta_order(key: Key, a: u32, n: u32) -> f32 {
    let (mut a, mut m, mut value, mut draw) = (a, n, 0u32, 0u32);
    for level in 0..24 {
        if m == 1 {
            value |= rng::bits(key, draw) >> (8 + level);
            break;
        }
        let mut zeros = 0;
        let mut left = m;
        while left > 0 {
            let take = left.min(32);
            let mask = if take == 32 {
                u32::MAX
            } else {
                (1 << take) - 1
            };
            zeros += take - (rng::bits(key, draw) & mask).count_ones();
            draw += 1;
            left -= take;
        }
        if a <= zeros {
            m = zeros;
        } else {
            a -= zeros;
            m -= zeros;
            value |= 1 << (23 - level);
        }
    }
    value as f32 * 5.960_464_5e-8
}

/// The twin: each algorithm's regret over one trial of `pulls` pulls on every task.
pub fn regrets_twin(tasks: &BanditTasks, pulls: u32, seed: u32) -> Result<Regrets> {
    check_pulls(pulls)?;
    let table = ucb_table(pulls);
    let w = pulls as usize + 1;
    let arms = tasks.arms as usize;
    let key = rng::key(seed);
    let mut out: Regrets = Default::default();
    for (algorithm, regrets) in out.iter_mut().enumerate() {
        for (task, p) in tasks.probs.chunks(arms).enumerate() {
            let task_key = rng::fold(key, task as u32);
            let rewards = rng::fold(task_key, 0);
            let choices = rng::fold(task_key, 1 + algorithm as u32);
            let best = p.iter().fold(0.0f32, |b, &v| b.max(v));
            let (mut successes, mut pulled) = ([0u32; MAX_ARMS], [0u32; MAX_ARMS]);
            let mut regret = 0.0f32;
            for t in 0..pulls {
                let mut arm = 0;
                let mut top = -1.0f32;
                if algorithm == THOMPSON {
                    for k in 0..arms {
                        let key = rng::fold(rng::fold(choices, t), k as u32);
                        let theta = beta_order(key, successes[k] + 1, pulled[k] + 1);
                        if theta > top {
                            (top, arm) = (theta, k);
                        }
                    }
                } else if algorithm == UCB1 {
                    for k in 0..arms {
                        let n = pulled[k] as usize;
                        if n == 0 {
                            arm = k;
                            break;
                        }
                        let index =
                            table[n * w + successes[k] as usize] + table[(w + t as usize) * w + n];
                        if index > top {
                            (top, arm) = (index, k);
                        }
                    }
                } else {
                    arm = rng::below(choices, t, tasks.arms) as usize;
                }
                successes[arm] += (rng::uniform(rng::fold(rewards, t), arm as u32) < p[arm]) as u32;
                pulled[arm] += 1;
                regret += best - p[arm];
            }
            regrets.push(regret);
        }
    }
    Ok(out)
}

/// Per-config twin of WGSL `BaselineConfig`.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct BaselineConfig {
    tasks: u32,
    arms: u32,
    pulls: u32,
    t0: u32,
    t1: u32,
    _pad: u32,
    key: [u32; 2],
}

fn module() -> Result<Composed> {
    Composed::new(&[
        Part::new("<generated prelude>", rng::wgsl_prelude()),
        Part::new(RNG_WGSL.0, RNG_WGSL.1),
        Part::new("shaders/bandit_baselines.wgsl", BASELINES_WGSL),
    ])
}

/// On the GPU: each algorithm's regret over one trial of `pulls` pulls on every task.
pub fn regrets_gpu(gpu: &Gpu, tasks: &BanditTasks, pulls: u32, seed: u32) -> Result<Regrets> {
    check_pulls(pulls)?;
    let n = tasks.tasks();
    let probs = GpuBuffer::from_slice(gpu, "the bandit tasks", &tasks.probs)?;
    let table = GpuBuffer::from_slice(gpu, "the UCB1 table", &ucb_table(pulls))?;
    let state = GpuBuffer::<u32>::zeroed(gpu, "the baselines' counts", 3 * n as usize * STATE)?;
    let module = module()?;
    let layout = plan::storage_layout(gpu, "wgym bandit baselines", 3);
    let pipeline = module.pipeline(gpu, "bandit_baselines", WG, &layout)?;
    // Loop iterations of a pull, at most: Thompson's Beta draws, 24 levels of popcounts.
    let words = (pulls + 1).div_ceil(32);
    let per_pull = tasks.arms * (2 + 24 * (1 + words)) + 4;
    let per_dispatch = driver::steps_per_dispatch(gpu, per_pull).min(pulls);
    let spans: Vec<u32> = (0..pulls).step_by(per_dispatch as usize).collect();
    let configs = ConfigSlots::new(gpu, "the baselines' configs", spans.len())?;
    let size = std::mem::size_of::<BaselineConfig>();
    let buffers = [&probs.buffer, &table.buffer, &state.buffer];
    let group = plan::bind_storage(
        gpu,
        "wgym bandit baselines",
        &layout,
        &configs,
        size,
        &buffers,
    );
    let groups = [n.div_ceil(WG), ALGORITHMS.len() as u32, 1];
    let key = rng::key(seed);
    let dispatches: Vec<plan::Dispatch> = spans
        .iter()
        .map(|&t0| plan::Dispatch {
            pipeline: &pipeline,
            bind_group: &group,
            groups,
            config: bytemuck::bytes_of(&BaselineConfig {
                tasks: n,
                arms: tasks.arms,
                pulls,
                t0,
                t1: (t0 + per_dispatch).min(pulls),
                _pad: 0,
                key,
            })
            .to_vec(),
        })
        .collect();
    configs.submit(gpu, "the bandit baselines", &dispatches, |_| {})?;
    let counts = state.read(gpu)?;
    let mut out: Regrets = Default::default();
    for (algorithm, regrets) in out.iter_mut().enumerate() {
        regrets.extend((0..n as usize).map(|task| {
            f32::from_bits(counts[(algorithm * n as usize + task) * STATE + STATE - 1])
        }));
    }
    Ok(out)
}

/// Mean and standard error of per-trial regrets.
pub fn mean_and_se(regrets: &[f32]) -> (f64, f64) {
    let n = regrets.len() as f64;
    let mean = regrets.iter().map(|&r| r as f64).sum::<f64>() / n;
    let var = regrets
        .iter()
        .map(|&r| (r as f64 - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0).max(1.0);
    (mean, (var / n).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn baseline_config_matches_its_wgsl_layout() {
        let (size, offsets) = module().unwrap().struct_layout("BaselineConfig").unwrap();
        assert_eq!(size as usize, size_of::<BaselineConfig>());
        let rust = [
            ("tasks", offset_of!(BaselineConfig, tasks)),
            ("arms", offset_of!(BaselineConfig, arms)),
            ("pulls", offset_of!(BaselineConfig, pulls)),
            ("t0", offset_of!(BaselineConfig, t0)),
            ("t1", offset_of!(BaselineConfig, t1)),
            ("_pad", offset_of!(BaselineConfig, _pad)),
            ("key", offset_of!(BaselineConfig, key)),
        ]
        .map(|(name, off)| (name.to_string(), off as u32));
        assert_eq!(offsets, rust);
    }

    #[test]
    fn beta_order_draws_have_the_beta_mean_and_variance() {
        for (a, n) in [(1, 1), (3, 10), (40, 100), (100, 100)] {
            let b = (n + 1 - a) as f64;
            let a_f = a as f64;
            let mean = a_f / (a_f + b);
            let var = a_f * b / ((a_f + b).powi(2) * (a_f + b + 1.0));
            let draws: Vec<f64> = (0..20_000)
                .map(|i| beta_order(rng::fold(rng::key(5), i), a, n) as f64)
                .collect();
            let m = draws.iter().sum::<f64>() / draws.len() as f64;
            let v = draws.iter().map(|d| (d - m).powi(2)).sum::<f64>() / draws.len() as f64;
            let se = (var / draws.len() as f64).sqrt();
            assert!(
                (m - mean).abs() < 5.0 * se,
                "Beta({a}, {b}): mean {m} vs {mean}"
            );
            assert!(
                (v / var - 1.0).abs() < 0.1,
                "Beta({a}, {b}): variance {v} vs {var}"
            );
        }
    }

    #[test]
    fn ucb_table_holds_means_and_bonuses() {
        let table = ucb_table(10);
        let w = 11;
        assert_eq!(table[4 * w + 3], 0.75);
        let bonus = (2.0 * 7f64.ln() / 4.0).sqrt() as f32;
        assert_eq!(table[(w + 7) * w + 4], bonus);
    }
}
