//! Manipulation-*: kinematic tabletop tasks in the spirit of Meta-World (Yu et al. 2019),
//! one task per env or a multi-task batch (Manipulation-mt10). Spec and sources:
//! README.md; GPU side: env.wgsl; twins: world.rs (kinematics), reward.rs (rewards), and
//! here (tasks, reset, observation).

pub mod picture;
mod reward;
pub mod scripted;
mod world;

use bytemuck::{Pod, Zeroable};
use glam::{Vec3, Vec4};

pub use reward::{hamacher, tolerance};
pub use world::{object_point, opening, HAND_HIGH, HAND_LOW, TCP_OFFSET};

use crate::env::{EnvKernel, EnvSpec, EnvWgsl, StepOut};
use crate::learn::TrainConfig;
use crate::rng::{self, Key};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Task {
    Reach = 0,
    ReachWall = 1,
    Push = 2,
    PickPlace = 3,
    ButtonPressTopdown = 4,
    DrawerOpen = 5,
    DrawerClose = 6,
    DoorOpen = 7,
    WindowOpen = 8,
    PlateSlide = 9,
}

pub const TASKS: [Task; 10] = [
    Task::Reach,
    Task::ReachWall,
    Task::Push,
    Task::PickPlace,
    Task::ButtonPressTopdown,
    Task::DrawerOpen,
    Task::DrawerClose,
    Task::DoorOpen,
    Task::WindowOpen,
    Task::PlateSlide,
];

/// `ManipulationParams::task` of a multi-task distribution: each env draws a task from
/// `task_set`.
pub const TASK_ANY: u32 = TASKS.len() as u32;
/// Every task, as a `task_set`.
pub const ALL_TASKS: u32 = (1 << TASKS.len()) - 1;
/// Free-object tasks redraw positions this many times at most (see `draw_positions`).
const REDRAWS: u32 = 4;
/// Floats per task in the range table.
const TASK_STRIDE: u32 = 15;

/// Where a task's positions are drawn from (Meta-World's `_random_reset_space`, and for
/// the free-object tasks and plate-slide its goal range).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TaskRanges {
    pub hand_start: [f32; 3],
    /// The free object's, or the articulated body's, position range.
    pub obj_low: [f32; 3],
    pub obj_high: [f32; 3],
    /// The goal's range (articulated tasks derive the goal from the body: zeros).
    pub goal_low: [f32; 3],
    pub goal_high: [f32; 3],
}

impl Task {
    /// Meta-World's name without the version suffix.
    pub fn name(self) -> &'static str {
        match self {
            Task::Reach => "reach",
            Task::ReachWall => "reach-wall",
            Task::Push => "push",
            Task::PickPlace => "pick-place",
            Task::ButtonPressTopdown => "button-press-topdown",
            Task::DrawerOpen => "drawer-open",
            Task::DrawerClose => "drawer-close",
            Task::DoorOpen => "door-open",
            Task::WindowOpen => "window-open",
            Task::PlateSlide => "plate-slide",
        }
    }

    pub fn from_index(t: u32) -> Option<Task> {
        TASKS.get(t as usize).copied()
    }

    fn wgsl_name(self) -> &'static str {
        match self {
            Task::Reach => "TASK_REACH",
            Task::ReachWall => "TASK_REACH_WALL",
            Task::Push => "TASK_PUSH",
            Task::PickPlace => "TASK_PICK_PLACE",
            Task::ButtonPressTopdown => "TASK_BUTTON_PRESS_TOPDOWN",
            Task::DrawerOpen => "TASK_DRAWER_OPEN",
            Task::DrawerClose => "TASK_DRAWER_CLOSE",
            Task::DoorOpen => "TASK_DOOR_OPEN",
            Task::WindowOpen => "TASK_WINDOW_OPEN",
            Task::PlateSlide => "TASK_PLATE_SLIDE",
        }
    }

    /// Meta-World v3's ranges (README.md cites each file).
    pub fn ranges(self) -> TaskRanges {
        let r = |hand_start, obj_low, obj_high, goal_low, goal_high| TaskRanges {
            hand_start,
            obj_low,
            obj_high,
            goal_low,
            goal_high,
        };
        let (mid, near) = ([0.0, 0.6, 0.2], [0.0, 0.4, 0.2]);
        let z = [0.0; 3];
        let puck = ([-0.1, 0.6, 0.02], [0.1, 0.7, 0.02]);
        match self {
            Task::Reach => r(mid, puck.0, puck.1, [-0.1, 0.8, 0.05], [0.1, 0.9, 0.3]),
            Task::ReachWall => r(
                mid,
                [-0.05, 0.6, 0.015],
                [0.05, 0.65, 0.015],
                [-0.05, 0.85, 0.05],
                [0.05, 0.9, 0.3],
            ),
            Task::Push => r(mid, puck.0, puck.1, [-0.1, 0.8, 0.01], [0.1, 0.9, 0.02]),
            Task::PickPlace => r(mid, puck.0, puck.1, [-0.1, 0.8, 0.05], [0.1, 0.9, 0.3]),
            Task::ButtonPressTopdown => r(near, [-0.1, 0.8, 0.115], [0.1, 0.9, 0.115], z, z),
            Task::DrawerOpen | Task::DrawerClose => r(mid, [-0.1, 0.9, 0.0], [0.1, 0.9, 0.0], z, z),
            Task::DoorOpen => r(mid, [0.0, 0.85, 0.15], [0.1, 0.95, 0.15], z, z),
            Task::WindowOpen => r(near, [-0.1, 0.7, 0.16], [0.1, 0.9, 0.16], z, z),
            Task::PlateSlide => r(
                mid,
                [0.0, 0.6, 0.0],
                [0.0, 0.6, 0.0],
                [-0.1, 0.85, 0.0],
                [0.1, 0.9, 0.0],
            ),
        }
    }
}

pub(crate) fn is_free_object(task: Task) -> bool {
    matches!(
        task,
        Task::Reach | Task::ReachWall | Task::Push | Task::PickPlace
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Positions {
    /// `obj` and `goal` of the params.
    Fixed = 0,
    /// Drawn once per env when the batch is made (Meta-World's frozen task vector).
    PerEnv = 1,
    /// Drawn at every reset.
    PerEpisode = 2,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct ManipulationParams {
    /// A task index (`Task as u32`), or TASK_ANY.
    pub task: u32,
    /// Bit t: TASK_ANY may draw task t.
    pub task_set: u32,
    /// `Positions as u32`.
    pub positions: u32,
    /// 0: the goal entries of the observation are zero (Meta-World's ML benchmarks).
    pub goal_observable: u32,
    pub max_steps: u32,
    /// Free object or articulated body position (`Positions::Fixed`).
    pub obj: [f32; 3],
    /// Goal of the free-object tasks and plate-slide (`Positions::Fixed`).
    pub goal: [f32; 3],
}

impl ManipulationParams {
    /// Meta-World's MT setting: goal visible, 500 steps, positions drawn per env.
    pub fn new(task: u32) -> Self {
        ManipulationParams {
            task,
            task_set: ALL_TASKS,
            positions: Positions::PerEnv as u32,
            goal_observable: 1,
            max_steps: 500,
            obj: [0.0; 3],
            goal: [0.0; 3],
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct ManipulationState {
    pub hand: [f32; 3],
    /// Gripper closure in [0, 1].
    pub closed: f32,
    /// Free object / plate position, or the articulated body's base.
    pub obj: [f32; 3],
    /// The articulated body's one degree of freedom.
    pub joint: f32,
    pub prev_hand: [f32; 3],
    pub prev_opening: f32,
    pub prev_point: [f32; 3],
    pub prev_joint: f32,
    pub goal: [f32; 3],
    /// The observed object point at reset.
    pub point_init: [f32; 3],
    pub held: u32,
    pub time: u32,
}

/// One task (`Manipulation-<task>`) or the multi-task batch (`Manipulation-mt10`, whose
/// observations end in the task one-hot).
pub struct Manipulation {
    task: Option<Task>,
}

impl Manipulation {
    pub fn single(task: Task) -> Self {
        Manipulation { task: Some(task) }
    }
    pub fn multi_task() -> Self {
        Manipulation { task: None }
    }
    pub fn id(&self) -> String {
        match self.task {
            Some(t) => format!("Manipulation-{}", t.name()),
            None => "Manipulation-mt10".into(),
        }
    }
    fn obs_dim(&self) -> u32 {
        39 + if self.task.is_none() {
            TASKS.len() as u32
        } else {
            0
        }
    }
}

fn uniform3(key: Key, i: u32, low: [f32; 3], high: [f32; 3]) -> Vec3 {
    let u = Vec3::new(
        rng::uniform(key, i),
        rng::uniform(key, i + 1),
        rng::uniform(key, i + 2),
    );
    Vec3::from(low) + (Vec3::from(high) - Vec3::from(low)) * u
}

/// Positions from the task's ranges; free-object tasks redraw (up to REDRAWS times) while
/// the object starts within 0.15 of the goal in the plane, as Meta-World's resets do.
fn draw_positions(key: Key, p: &ManipulationParams, task: Task) -> ManipulationParams {
    let r = task.ranges();
    let mut q = *p;
    for attempt in 0..REDRAWS {
        let obj = uniform3(key, 6 * attempt, r.obj_low, r.obj_high);
        let goal = uniform3(key, 6 * attempt + 3, r.goal_low, r.goal_high);
        q.obj = obj.into();
        q.goal = goal.into();
        if !is_free_object(task) || obj.truncate().distance(goal.truncate()) >= 0.15 {
            break;
        }
    }
    q
}

fn pick_task(key: Key, set: u32) -> u32 {
    let k = rng::below(key, 1000, set.count_ones().max(1));
    (0..TASKS.len() as u32)
        .filter(|t| set & (1 << t) != 0)
        .nth(k as usize)
        .unwrap_or(0)
}

fn task_of(p: &ManipulationParams) -> Task {
    Task::from_index(p.task.min(TASK_ANY - 1)).expect("in range")
}

fn action_vec(a: [f32; 4]) -> Vec4 {
    Vec4::from_array(a)
}

impl EnvKernel for Manipulation {
    type State = ManipulationState;
    type Params = ManipulationParams;
    type Action = [f32; 4];

    fn spec(&self) -> EnvSpec {
        let what = match self.task {
            Some(t) => format!("Meta-World {}, kinematic", t.name()),
            None => "Meta-World-style multi-task batch of the 10 kinematic tasks".into(),
        };
        EnvSpec {
            id: self.id(),
            obs_dim: self.obs_dim(),
            num_actions: 0,
            action_dim: 4,
            max_steps: 500,
            description: format!(
                "{what}; obs Meta-World's 39 (hand, gripper, object, previous frame, goal); \
                 action xyz hand delta and gripper effort in [-1, 1]"
            ),
        }
    }

    fn wgsl(&self) -> EnvWgsl {
        let tables: Vec<u32> = TASKS
            .iter()
            .flat_map(|t| {
                let r = t.ranges();
                [r.hand_start, r.obj_low, r.obj_high, r.goal_low, r.goal_high]
            })
            .flatten()
            .map(f32::to_bits)
            .collect();
        let mut consts = vec![
            ("OBS_DIM", self.obs_dim()),
            ("NUM_ACTIONS", 0),
            ("OBS_DENSE", 0),
            ("ONE_HOT", self.task.is_none() as u32),
            ("NUM_TASKS", TASKS.len() as u32),
            ("TASK_ANY", TASK_ANY),
            ("TASK_STRIDE", TASK_STRIDE),
            ("REDRAWS", REDRAWS),
            ("POS_FIXED", Positions::Fixed as u32),
            ("POS_PER_ENV", Positions::PerEnv as u32),
            ("POS_PER_EPISODE", Positions::PerEpisode as u32),
        ];
        consts.extend(TASKS.iter().map(|&t| (t.wgsl_name(), t as u32)));
        EnvWgsl {
            file: "envs/manipulation/env.wgsl",
            text: include_str!("env.wgsl"),
            consts,
            prelude: world::wgsl_consts(),
            tables,
            // draw_positions' redraws and pick_task's scan.
            loop_iterations: REDRAWS + TASKS.len() as u32,
        }
    }

    fn default_params(&self) -> ManipulationParams {
        ManipulationParams::new(self.task.map_or(TASK_ANY, |t| t as u32))
    }

    fn check_params(&self, p: &ManipulationParams) -> Result<(), String> {
        match self.task {
            Some(t) if p.task != t as u32 => {
                return Err(format!(
                    "task = {} but this env runs {} ({}); use Manipulation-mt10 for other tasks",
                    p.task,
                    t as u32,
                    t.name()
                ))
            }
            None if p.task > TASK_ANY => {
                return Err(format!(
                    "task = {} must be a task index 0..{} or TASK_ANY = {TASK_ANY}",
                    p.task,
                    TASKS.len() - 1
                ))
            }
            _ => {}
        }
        if p.task == TASK_ANY && (p.task_set == 0 || p.task_set & !ALL_TASKS != 0) {
            return Err(format!(
                "task_set = {:#x} must be a non-empty set of the {} tasks (bits 0..{})",
                p.task_set,
                TASKS.len(),
                TASKS.len() - 1
            ));
        }
        if p.positions > Positions::PerEpisode as u32 {
            return Err(format!(
                "positions = {} must be 0 (fixed), 1 (per env) or 2 (per episode)",
                p.positions
            ));
        }
        if p.max_steps == 0 {
            return Err("max_steps must be at least 1".into());
        }
        if p.obj.iter().chain(&p.goal).any(|x| !x.is_finite()) {
            return Err("obj and goal must be finite".into());
        }
        Ok(())
    }

    fn specialize(&self, params: &[ManipulationParams]) -> Vec<(&'static str, u32)> {
        let tasks = params.iter().fold(0u32, |m, p| {
            m | if p.task == TASK_ANY {
                p.task_set
            } else {
                1 << p.task.min(31)
            }
        });
        vec![("TASKS", tasks)]
    }

    fn samples_params(&self) -> bool {
        true
    }

    fn sample_params(&self, key: Key, base: &ManipulationParams) -> ManipulationParams {
        let mut p = *base;
        if p.task == TASK_ANY {
            p.task = pick_task(key, p.task_set);
        }
        if p.positions == Positions::PerEnv as u32 {
            p = draw_positions(key, &p, task_of(&p));
            p.positions = Positions::Fixed as u32;
        }
        p
    }

    fn reset(&self, key: Key, base: &ManipulationParams) -> ManipulationState {
        let task = task_of(base);
        let p = if base.positions == Positions::Fixed as u32 {
            *base
        } else {
            draw_positions(key, base, task)
        };
        let mut obj = Vec3::from(p.obj);
        let mut goal = Vec3::from(p.goal);
        let mut joint = 0.0;
        match task {
            Task::Push => goal.z = obj.z,
            Task::ButtonPressTopdown => goal = obj + Vec3::new(0.0, 0.0, 0.1),
            Task::DrawerOpen => goal = obj + Vec3::new(0.0, -0.36, 0.09),
            Task::DrawerClose => {
                goal = obj + Vec3::new(0.0, -0.16, 0.09);
                joint = -0.15;
            }
            Task::DoorOpen => goal = obj + Vec3::new(-0.3, -0.45, 0.0),
            Task::WindowOpen => goal = obj + Vec3::new(0.2, 0.0, 0.0),
            Task::PlateSlide => obj.z = 0.015,
            _ => {}
        }
        let point: [f32; 3] = object_point(task, obj, joint).into();
        let hand = task.ranges().hand_start;
        ManipulationState {
            hand,
            closed: 0.0,
            obj: obj.into(),
            joint,
            prev_hand: hand,
            prev_opening: 1.0,
            prev_point: point,
            prev_joint: joint,
            goal: goal.into(),
            point_init: point,
            held: 0,
            time: 0,
        }
    }

    fn step(
        &self,
        _key: Key,
        s: &ManipulationState,
        action: [f32; 4],
        p: &ManipulationParams,
    ) -> StepOut<ManipulationState> {
        let task = task_of(p);
        let next = world::step(task, s, action_vec(action));
        let (reward, success) = reward::score(task, &next, action_vec(action));
        StepOut {
            state: next,
            reward,
            terminated: false,
            truncated: next.time >= p.max_steps,
            success,
        }
    }

    /// sqrt, exp, log, sin/cos and atan2 differ by a few ulps between adapters and libm.
    fn tolerance(&self) -> f32 {
        1e-4
    }

    fn train_defaults(&self) -> TrainConfig {
        // Dense Meta-World rewards of up to 10 per step: scaled, with a shorter horizon.
        TrainConfig {
            envs: 64,
            steps: 64,
            updates: 150,
            lr: 3e-3,
            gamma: 0.95,
            reward_scale: 0.1,
            ent_coef: 0.0,
            ..TrainConfig::default()
        }
    }
    fn observe(&self, s: &ManipulationState, p: &ManipulationParams, obs: &mut [f32]) {
        let task = task_of(p);
        let point = object_point(task, Vec3::from(s.obj), s.joint);
        obs[0..3].copy_from_slice(&s.hand);
        obs[3] = opening(s.closed, s.held != 0);
        obs[4..7].copy_from_slice(&point.to_array());
        obs[7..11].copy_from_slice(&world::object_quat(task, s.joint).to_array());
        obs[18..21].copy_from_slice(&s.prev_hand);
        obs[21] = s.prev_opening;
        obs[22..25].copy_from_slice(&s.prev_point);
        obs[25..29].copy_from_slice(&world::object_quat(task, s.prev_joint).to_array());
        if p.goal_observable != 0 {
            obs[36..39].copy_from_slice(&s.goal);
        }
        if self.task.is_none() {
            obs[39 + task as usize] = 1.0;
        }
    }
}
