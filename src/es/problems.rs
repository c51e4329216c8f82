//! Benchmark functions for the strategies, on the GPU (`shaders/problems.wgsl`) and their
//! twins: the textbook sphere, Rosenbrock and Rastrigin functions, minimised at 0. The
//! fitness of a member is -f(x).

use bytemuck::{Pod, Zeroable};

use super::search::Es;
use crate::error::{Error, Result};
use crate::plan::{self, Dispatch};
use crate::shader::{Composed, Part};

const PROBLEMS_WGSL: &str = include_str!("../../shaders/problems.wgsl");

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Problem {
    /// sum x_i^2.
    Sphere,
    /// sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2, minimised at x = 1.
    Rosenbrock,
    /// 10 n + sum x_i^2 - 10 cos(2 pi x_i), many local minima, minimised at 0.
    Rastrigin,
}

impl Problem {
    pub const ALL: [Problem; 3] = [Problem::Sphere, Problem::Rosenbrock, Problem::Rastrigin];

    pub fn name(self) -> &'static str {
        match self {
            Problem::Sphere => "sphere",
            Problem::Rosenbrock => "rosenbrock",
            Problem::Rastrigin => "rastrigin",
        }
    }

    fn code(self) -> u32 {
        self as u32
    }

    /// The function's value, in the kernel's order of additions (lane l of 64 sums
    /// d = l, l + 64, ...; then the lanes halve in a tree).
    pub fn value(self, x: &[f32]) -> f32 {
        let term = |d: usize| -> f32 {
            let v = x[d];
            match self {
                Problem::Sphere => v * v,
                Problem::Rosenbrock => match x.get(d + 1) {
                    Some(&next) => 100.0 * (next - v * v) * (next - v * v) + (1.0 - v) * (1.0 - v),
                    None => 0.0,
                },
                Problem::Rastrigin => 10.0 + v * v - 10.0 * (6.283_185_5 * v).cos(),
            }
        };
        crate::learn::nn::column_sum((0..x.len()).map(term), false)
    }
}

impl std::str::FromStr for Problem {
    type Err = Error;
    fn from_str(s: &str) -> Result<Problem> {
        Problem::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "problem",
                    format!("{s:?}: choose sphere, rosenbrock or rastrigin"),
                )
            })
    }
}

/// Twin of WGSL `ProblemConfig`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct ProblemConfig {
    dim: u32,
    population: u32,
    _pad: [u32; 2],
}

/// A problem's kernel bound to a search's population and fitness buffers.
pub struct ProblemEvaluator {
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    config: ProblemConfig,
}

impl ProblemEvaluator {
    pub fn new(es: &Es, problem: Problem) -> Result<ProblemEvaluator> {
        let gpu = es.gpu();
        let module = Composed::new(&[Part::new("shaders/problems.wgsl", PROBLEMS_WGSL)])?;
        let layout = plan::storage_layout(gpu, "wgym ES problem", 2);
        let pipeline =
            module.pipeline_with(gpu, "evaluate", 64, &[("PROBLEM", problem.code())], &layout)?;
        let bind_group = plan::bind_storage(
            gpu,
            "wgym ES problem",
            &layout,
            es.configs(),
            std::mem::size_of::<ProblemConfig>(),
            &[es.population_buffer(), es.fitness_buffer()],
        );
        Ok(ProblemEvaluator {
            pipeline,
            bind_group,
            config: ProblemConfig {
                dim: es.dim(),
                population: es.config().population,
                _pad: [0; 2],
            },
        })
    }

    /// The dispatch that writes every member's fitness.
    pub fn dispatches(&self) -> Vec<Dispatch<'_>> {
        let members = self.config.population;
        vec![Dispatch {
            pipeline: &self.pipeline,
            bind_group: &self.bind_group,
            groups: [members.min(65535), members.div_ceil(65535), 1],
            config: bytemuck::bytes_of(&self.config).to_vec(),
        }]
    }
}
