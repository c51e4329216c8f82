//! Multi-armed bandits: BernoulliBandit-misc and GaussianBandit-misc (gymnax), with any
//! number of arms and per-env task distributions. Spec: README.md; GPU side: env.wgsl.

use bytemuck::{Pod, Zeroable};

use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::learn::TrainConfig;
use crate::rng::{self, Key};

/// Largest number of arms K of an action space (`Bandit<K>`); a task may use fewer.
pub const MAX_ARMS: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum RewardKind {
    Bernoulli = 0,
    Gaussian = 1,
}

/// How arm values are drawn at every reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum TaskDist {
    /// gymnax's: Bernoulli arms {p, 1-p} in random order; Gaussian arm 0 pays 0 and arm 1
    /// has mean ~ N(mean_mu, sigma_p). Two arms only.
    Gymnax = 0,
    /// `values` as given.
    Fixed = 1,
    /// Bernoulli p ~ U(0, 1); Gaussian mean ~ N(mean_mu, sigma_p).
    Uniform = 2,
    /// Bernoulli p ~ Beta(beta_a, beta_b), integer parameters.
    Beta = 3,
    /// Arm `best_arm` has value `best_value` in every task; the others ~ U(0, best_value).
    Structured = 4,
}

/// Params of a `Bandit<K>`; every array is K long, so structs stay as small as the task.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BanditParams<const K: usize> {
    pub num_arms: u32,
    pub max_steps: u32,
    pub task: u32,
    pub beta_a: u32,
    pub beta_b: u32,
    pub best_arm: u32,
    pub normalize_time: u32,
    pub reward_prob: f32,
    pub mean_mu: f32,
    pub sigma_p: f32,
    pub sigma_l: f32,
    /// Derived: `1 / max_steps`; [`BanditParams::with_max_steps`] keeps it in step.
    pub inv_max_steps: f32,
    pub best_value: f32,
    pub values: [f32; K],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BanditState<const K: usize> {
    pub values: [f32; K],
    pub last_action: u32,
    pub last_reward: f32,
    pub time: u32,
    pub _pad: u32,
}

// SAFETY: #[repr(C)] structs of 4-byte fields only (u32, f32, [f32; K]): no padding, and
// every bit pattern is valid. (bytemuck's derive does not take const generics.)
unsafe impl<const K: usize> Zeroable for BanditParams<K> {}
unsafe impl<const K: usize> Pod for BanditParams<K> {}
unsafe impl<const K: usize> Zeroable for BanditState<K> {}
unsafe impl<const K: usize> Pod for BanditState<K> {}

impl<const K: usize> BanditParams<K> {
    /// gymnax's defaults: 2 arms, 100 steps, normalised time, gymnax's task sampling.
    pub fn gymnax() -> Self {
        BanditParams {
            num_arms: 2,
            task: TaskDist::Gymnax as u32,
            beta_a: 1,
            beta_b: 1,
            normalize_time: 1,
            reward_prob: 0.1,
            mean_mu: -1.0,
            sigma_p: 1.0,
            sigma_l: 0.1,
            best_value: 1.0,
            ..Zeroable::zeroed()
        }
        .with_max_steps(100)
    }

    pub fn with_max_steps(mut self, max_steps: u32) -> Self {
        self.max_steps = max_steps;
        self.inv_max_steps = 1.0 / max_steps as f32;
        self
    }

    pub fn with_task(mut self, task: TaskDist) -> Self {
        self.task = task as u32;
        self
    }
}

/// A bandit env with K arms in its action space (gymnax's: K = 2). K is a compile-time
/// constant so that the state holds exactly K arm values.
pub struct Bandit<const K: usize> {
    pub kind: RewardKind,
}

impl<const K: usize> Bandit<K> {
    const ARMS: u32 = {
        assert!(K >= 1 && K <= MAX_ARMS, "a bandit has 1..=MAX_ARMS arms");
        K as u32
    };

    pub fn bernoulli() -> Self {
        Bandit {
            kind: RewardKind::Bernoulli,
        }
    }
    pub fn gaussian() -> Self {
        Bandit {
            kind: RewardKind::Gaussian,
        }
    }

    fn arm_value(&self, key: Key, p: &BanditParams<K>, arm: u32, swapped: bool) -> f32 {
        let bernoulli = self.kind == RewardKind::Bernoulli;
        match p.task {
            1 => p.values[arm as usize],
            3 if bernoulli => rng::beta_int(rng::fold(key, arm), p.beta_a, p.beta_b),
            4 if arm == p.best_arm => p.best_value,
            4 => rng::uniform(key, arm) * p.best_value,
            2 if bernoulli => rng::uniform(key, arm),
            _ if bernoulli => {
                if (arm == 1) != swapped {
                    1.0 - p.reward_prob
                } else {
                    p.reward_prob
                }
            }
            0 if arm == 0 => 0.0,
            _ => p.mean_mu + p.sigma_p * rng::normal(key, 2 * arm),
        }
    }
}

impl<const K: usize> EnvKernel for Bandit<K> {
    type State = BanditState<K>;
    type Params = BanditParams<K>;
    type Action = u32;

    fn spec(&self) -> EnvSpec {
        let (family, what) = match self.kind {
            RewardKind::Bernoulli => ("BernoulliBandit", "Bernoulli"),
            RewardKind::Gaussian => ("GaussianBandit", "Gaussian"),
        };
        // gymnax's 2-armed ids, and wgym's K-armed ones (uniformly drawn arms).
        let id = match K {
            2 => format!("{family}-misc"),
            _ => format!("{family}-{K}arm"),
        };
        EnvSpec {
            id,
            obs_dim: Self::ARMS + 2,
            num_actions: Self::ARMS,
            action_dim: 0,
            max_steps: 100,
            description: format!(
                "{}-armed {what} bandit; obs [last reward, one-hot last action, time]",
                Self::ARMS
            ),
        }
    }

    fn wgsl(&self) -> EnvWgsl {
        EnvWgsl {
            file: "envs/bandit/env.wgsl",
            text: include_str!("env.wgsl"),
            consts: vec![
                ("NUM_ACTIONS", Self::ARMS),
                ("OBS_DIM", Self::ARMS + 2),
                ("OBS_DENSE", 1),
                ("BERNOULLI", (self.kind == RewardKind::Bernoulli) as u32),
            ],
            prelude: String::new(),
            tables: Vec::new(),
            // Loops over the arms, and rng_below's retries.
            loop_iterations: 4 * Self::ARMS + 32,
        }
    }

    /// gymnax's params for K = 2; otherwise K uniformly drawn arms.
    fn default_params(&self) -> BanditParams<K> {
        match K {
            2 => BanditParams::gymnax(),
            _ => BanditParams {
                num_arms: Self::ARMS,
                ..BanditParams::gymnax().with_task(TaskDist::Uniform)
            },
        }
    }

    fn check_params(&self, p: &BanditParams<K>) -> Result<(), String> {
        let bernoulli = self.kind == RewardKind::Bernoulli;
        if p.num_arms == 0 || p.num_arms > Self::ARMS {
            return Err(format!(
                "num_arms = {} must be in 1..={} (the action space)",
                p.num_arms,
                Self::ARMS
            ));
        }
        if p.max_steps == 0 || p.max_steps >= 1 << 23 {
            return Err(format!("max_steps = {} must be in 1..2^23", p.max_steps));
        }
        if p.inv_max_steps != 1.0 / p.max_steps as f32 {
            return Err("inv_max_steps must be 1 / max_steps (use with_max_steps)".into());
        }
        match p.task {
            0 if p.num_arms != 2 => Err("the gymnax task distribution has 2 arms".into()),
            0 if bernoulli && !(0.0..=1.0).contains(&p.reward_prob) => {
                Err(format!("reward_prob = {} is not in [0, 1]", p.reward_prob))
            }
            1 if bernoulli
                && !p.values[..p.num_arms as usize]
                    .iter()
                    .all(|v| (0.0..=1.0).contains(v)) =>
            {
                Err("fixed Bernoulli values must be probabilities in [0, 1]".into())
            }
            3 if !bernoulli => Err("the beta task distribution is for Bernoulli arms".into()),
            3 if p.beta_a == 0 || p.beta_b == 0 || p.beta_a + p.beta_b > 33 => Err(format!(
                "beta_a = {}, beta_b = {}: integers >= 1 with a + b <= 33",
                p.beta_a, p.beta_b
            )),
            4 if p.best_arm >= p.num_arms => Err(format!(
                "best_arm = {} is not below num_arms = {}",
                p.best_arm, p.num_arms
            )),
            4 if bernoulli && !(0.0..=1.0).contains(&p.best_value) => {
                Err(format!("best_value = {} is not in [0, 1]", p.best_value))
            }
            5.. => Err(format!(
                "task = {} is not a task distribution (0..=4)",
                p.task
            )),
            _ if !(p.sigma_p >= 0.0 && p.sigma_l >= 0.0) => {
                Err("sigma_p and sigma_l must be >= 0".into())
            }
            _ => Ok(()),
        }
    }

    /// TASKS: the task distributions present, so the others are compiled out.
    fn specialize(&self, params: &[BanditParams<K>]) -> Vec<(&'static str, u32)> {
        let tasks = params.iter().fold(0u32, |m, p| m | 1 << p.task.min(31));
        vec![("TASKS", tasks)]
    }

    /// A concrete task: the arm values one reset would draw, fixed (`task = fixed`).
    fn sample_params(&self, key: Key, base: &BanditParams<K>) -> BanditParams<K> {
        let mut p = *base;
        if base.task != TaskDist::Fixed as u32 {
            let s = self.reset(key, base);
            for arm in 0..K {
                p.values[arm] = if (arm as u32) < base.num_arms {
                    s.values[arm]
                } else {
                    0.0
                };
            }
            p.task = TaskDist::Fixed as u32;
        }
        p
    }

    fn reset(&self, key: Key, p: &BanditParams<K>) -> BanditState<K> {
        let mut s = BanditState::zeroed();
        let swapped = rng::below(key, Self::ARMS, 2) == 1;
        for arm in 0..p.num_arms {
            s.values[arm as usize] = self.arm_value(key, p, arm, swapped);
        }
        s
    }

    fn step(
        &self,
        key: Key,
        s: &BanditState<K>,
        action: u32,
        p: &BanditParams<K>,
    ) -> StepOut<BanditState<K>> {
        let mut reward = 0.0;
        if action < p.num_arms {
            let value = s.values[action as usize];
            reward = if self.kind == RewardKind::Bernoulli {
                if rng::uniform(key, 0) < value {
                    1.0
                } else {
                    0.0
                }
            } else if p.task == TaskDist::Gymnax as u32 && action == 0 {
                value
            } else {
                value + p.sigma_l * rng::normal(key, 0)
            };
        }
        let state = BanditState {
            last_action: action,
            last_reward: reward,
            time: s.time + 1,
            ..*s
        };
        StepOut {
            state,
            reward,
            terminated: false,
            truncated: state.time >= p.max_steps,
            success: false,
        }
    }

    fn train_defaults(&self) -> TrainConfig {
        TrainConfig {
            envs: 256,
            steps: 100,
            updates: 30,
            lr: 3e-3,
            ..TrainConfig::default()
        }
    }
    /// Gaussian rewards use log and cos (Box-Muller); Bernoulli bandits are exact.
    fn tolerance(&self) -> f32 {
        match self.kind {
            RewardKind::Bernoulli => 0.0,
            RewardKind::Gaussian => 4.0 * rng::NORMAL_TOLERANCE,
        }
    }
    fn observe(&self, s: &BanditState<K>, p: &BanditParams<K>, obs: &mut [f32]) {
        obs[0] = s.last_reward;
        for arm in 0..Self::ARMS {
            obs[1 + arm as usize] = if arm == s.last_action { 1.0 } else { 0.0 };
        }
        obs[1 + Self::ARMS as usize] = if p.normalize_time != 0 {
            (2 * s.time as i32 - p.max_steps as i32) as f32 * p.inv_max_steps
        } else {
            s.time as f32
        };
    }
}
