//! `Es`: an evolution strategy on the GPU. `ask` writes the population into a buffer that
//! an evaluator reads; the evaluator writes one fitness per member; `tell` updates the
//! search. Generations are recorded into plans and submitted without reading anything back.

use super::config::{EsConfig, Strategy};
use super::state::{EsState, GenerationStats, SCALARS, S_NORM_SQ};
use crate::buffer::GpuBuffer;
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::learn::nn::ReduceConfig;
use crate::plan::{self, ConfigSlots, Dispatch};
use crate::rng;
use crate::shader::{Composed, Part, RNG_WGSL};

const ES_WGSL: &str = include_str!("../../shaders/es.wgsl");
const REDUCE_WGSL: &str = include_str!("../../shaders/reduce.wgsl");
const WG: u32 = 64;
/// Noise rows per invocation of `ask` (twin of WGSL `ASK_ROWS`).
const ASK_ROWS: u32 = 16;
/// Generations recorded into one submission by [`Es::run`].
pub const GENERATIONS_PER_SUBMIT: u32 = 32;
/// Dispatches of one generation at most: ask, an evaluator's, rank, tell, the CMA-ES
/// reduction and update, finish.
const DISPATCHES_PER_GENERATION: usize = 8;

struct Buffers {
    population: GpuBuffer<f32>,
    fitness: GpuBuffer<f32>,
    mean: GpuBuffer<f32>,
    sigma: GpuBuffer<f32>,
    moments: GpuBuffer<f32>,
    weights: GpuBuffer<f32>,
    rank_weights: GpuBuffer<f32>,
    scalars: GpuBuffer<f32>,
    best: GpuBuffer<f32>,
}

struct Pipelines {
    ask: wgpu::ComputePipeline,
    rank: wgpu::ComputePipeline,
    tell: wgpu::ComputePipeline,
    cma_update: wgpu::ComputePipeline,
    finish: wgpu::ComputePipeline,
    column_sums: wgpu::ComputePipeline,
}

pub struct Es {
    gpu: Gpu,
    config: EsConfig,
    dim: u32,
    generation: u32,
    buffers: Buffers,
    configs: ConfigSlots,
    pipelines: Pipelines,
    bind_group: wgpu::BindGroup,
    reduce_group: wgpu::BindGroup,
}

/// The composed `shaders/es.wgsl` module.
pub fn module() -> Result<Composed> {
    Composed::new(&[
        Part::new("<generated prelude>", rng::wgsl_prelude()),
        Part::new(RNG_WGSL.0, RNG_WGSL.1),
        Part::new("shaders/es.wgsl", ES_WGSL),
    ])
}

impl Es {
    /// A search over `mean.len()` parameters starting at `mean`.
    pub fn new(gpu: &Gpu, config: EsConfig, mean: &[f32]) -> Result<Es> {
        let dim = u32::try_from(mean.len())
            .map_err(|_| Error::invalid("ES dim", "too many parameters"))?;
        config.check(dim)?;
        let max_groups = gpu.limits().max_compute_workgroups_per_dimension;
        if config.rows() > max_groups {
            return Err(Error::OverLimit {
                what: format!("a population of {}", config.population),
                needed: config.rows() as u64,
                limit: "max_compute_workgroups_per_dimension",
                allowed: max_groups as u64,
                unit: "noise rows",
                remedy: "use a smaller population",
                adapter: gpu.adapter_name().to_string(),
            });
        }
        if dim.div_ceil(WG) > max_groups {
            return Err(Error::OverLimit {
                what: format!("{dim} parameters"),
                needed: dim.div_ceil(WG) as u64,
                limit: "max_compute_workgroups_per_dimension",
                allowed: max_groups as u64,
                unit: "workgroups of 64 parameters",
                remedy: "use fewer parameters (dim, or a smaller policy network)",
                adapter: gpu.adapter_name().to_string(),
            });
        }
        let state = EsState::initial(&config, mean);
        let (p, d) = (config.population as usize, dim as usize);
        let buffers = Buffers {
            population: GpuBuffer::zeroed(gpu, "the ES population", p * d)?,
            fitness: GpuBuffer::zeroed(gpu, "the ES fitness", p)?,
            mean: GpuBuffer::from_slice(gpu, "the ES mean", &state.mean)?,
            sigma: GpuBuffer::from_slice(gpu, "the ES scales", &state.sigma)?,
            moments: GpuBuffer::from_slice(gpu, "the ES moments", &state.moments)?,
            weights: GpuBuffer::zeroed(gpu, "the ES weights", p)?,
            rank_weights: GpuBuffer::from_slice(
                gpu,
                "the ES rank weights",
                &config.rank_weights(),
            )?,
            scalars: GpuBuffer::from_slice(gpu, "the ES scalars", &state.scalars)?,
            best: GpuBuffer::from_slice(gpu, "the ES best member", &state.best)?,
        };
        let slots = GENERATIONS_PER_SUBMIT as usize * DISPATCHES_PER_GENERATION;
        let configs = ConfigSlots::new(gpu, "the ES configs", slots)?;
        let es_module = module()?;
        let reduce_module = Composed::new(&[Part::new("shaders/reduce.wgsl", REDUCE_WGSL)])?;
        let layout = plan::storage_layout(gpu, "wgym ES", 9);
        let reduce_layout = plan::storage_layout(gpu, "wgym ES reduction", 2);
        let strategy = [("STRATEGY", config.strategy.code())];
        let es_pipeline = |entry| es_module.pipeline_with(gpu, entry, WG, &strategy, &layout);
        let pipelines = Pipelines {
            ask: es_pipeline("ask")?,
            rank: es_pipeline("rank")?,
            tell: es_pipeline("tell")?,
            cma_update: es_pipeline("cma_update")?,
            finish: es_pipeline("finish")?,
            column_sums: reduce_module.pipeline(gpu, "column_sums", WG, &reduce_layout)?,
        };
        let b = &buffers;
        let bind_group = plan::bind_storage(
            gpu,
            "wgym ES",
            &layout,
            &configs,
            std::mem::size_of::<super::config::EsUniform>(),
            &[
                &b.population.buffer,
                &b.fitness.buffer,
                &b.mean.buffer,
                &b.sigma.buffer,
                &b.moments.buffer,
                &b.weights.buffer,
                &b.rank_weights.buffer,
                &b.scalars.buffer,
                &b.best.buffer,
            ],
        );
        let reduce_group = plan::bind_storage(
            gpu,
            "wgym ES reduction",
            &reduce_layout,
            &configs,
            std::mem::size_of::<ReduceConfig>(),
            &[&b.moments.buffer, &b.scalars.buffer],
        );
        Ok(Es {
            gpu: gpu.clone(),
            config,
            dim,
            generation: 0,
            buffers,
            configs,
            pipelines,
            bind_group,
            reduce_group,
        })
    }

    pub fn config(&self) -> &EsConfig {
        &self.config
    }
    pub fn dim(&self) -> u32 {
        self.dim
    }
    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }
    /// Generations told so far.
    pub fn generation(&self) -> u32 {
        self.generation
    }
    /// [member][dim] f32, written by `ask`.
    pub fn population_buffer(&self) -> &wgpu::Buffer {
        &self.buffers.population.buffer
    }
    /// [member] f32, for the evaluator to write (higher is fitter).
    pub fn fitness_buffer(&self) -> &wgpu::Buffer {
        &self.buffers.fitness.buffer
    }
    /// The config slots every dispatch of an [`Es`] plan binds at binding 0.
    pub fn configs(&self) -> &ConfigSlots {
        &self.configs
    }

    fn dispatch<'a, C: bytemuck::Pod>(
        &'a self,
        pipeline: &'a wgpu::ComputePipeline,
        groups: [u32; 3],
        config: &C,
    ) -> Dispatch<'a> {
        Dispatch {
            pipeline,
            bind_group: &self.bind_group,
            groups,
            config: bytemuck::bytes_of(config).to_vec(),
        }
    }

    /// The dispatch that writes the population of generation `generation`.
    pub fn ask_dispatches(&self, generation: u32) -> Vec<Dispatch<'_>> {
        let u = self.config.uniform_at(self.dim, generation);
        let pairs = self.dim.div_ceil(2);
        vec![self.dispatch(
            &self.pipelines.ask,
            [pairs.div_ceil(WG), u.rows.div_ceil(ASK_ROWS), 1],
            &u,
        )]
    }

    /// The dispatches that rank generation `generation`'s fitness and update the search.
    pub fn tell_dispatches(&self, generation: u32) -> Vec<Dispatch<'_>> {
        let u = self.config.uniform_at(self.dim, generation);
        let p = &self.pipelines;
        let pairs = self.dim.div_ceil(2);
        let mut plan = vec![
            self.dispatch(&p.rank, [self.config.population.div_ceil(WG), 1, 1], &u),
            self.dispatch(&p.tell, [pairs.div_ceil(WG), 1, 1], &u),
        ];
        if self.config.strategy == Strategy::CmaEs {
            // |p_sigma|^2: the first moments row, summed by reduce.wgsl.
            let norm = ReduceConfig::new(self.dim, 0, 0, 1, S_NORM_SQ as u32, 0).squared();
            plan.push(Dispatch {
                pipeline: &p.column_sums,
                bind_group: &self.reduce_group,
                groups: [1, 1, 1],
                config: bytemuck::bytes_of(&norm).to_vec(),
            });
            plan.push(self.dispatch(&p.cma_update, [self.dim.div_ceil(WG), 1, 1], &u));
        }
        plan.push(self.dispatch(&p.finish, [1, 1, 1], &u));
        plan
    }

    /// Submit a plan built from this search's dispatches (and evaluators bound to
    /// [`Es::configs`]).
    pub fn submit(&self, what: &str, plan: &[Dispatch]) -> Result<()> {
        self.configs.submit(&self.gpu, what, plan, |_| {})
    }

    /// Write the next population.
    pub fn ask(&mut self) -> Result<()> {
        self.submit("an ES ask", &self.ask_dispatches(self.generation))
    }

    /// Update the search from the fitness buffer.
    pub fn tell(&mut self) -> Result<()> {
        self.submit("an ES tell", &self.tell_dispatches(self.generation))?;
        self.generation += 1;
        Ok(())
    }

    /// `generations` generations of ask, `evaluate` and tell, [`GENERATIONS_PER_SUBMIT`]
    /// per submission; nothing is read back.
    pub fn run(&mut self, generations: u32, evaluate: &[Dispatch]) -> Result<()> {
        let mut done = 0;
        while done < generations {
            let batch = (generations - done).min(GENERATIONS_PER_SUBMIT);
            let mut plan = Vec::new();
            for g in self.generation..self.generation + batch {
                plan.extend(self.ask_dispatches(g));
                plan.extend(evaluate.iter().cloned());
                plan.extend(self.tell_dispatches(g));
            }
            self.submit("ES generations", &plan)?;
            self.generation += batch;
            done += batch;
        }
        Ok(())
    }

    /// The last told generation's fitness summary (reads back 32 bytes).
    pub fn stats(&self) -> Result<GenerationStats> {
        Ok(GenerationStats::from_scalars(
            &self.buffers.scalars.read(&self.gpu)?,
        ))
    }

    pub fn mean(&self) -> Result<Vec<f32>> {
        self.buffers.mean.read(&self.gpu)
    }

    /// The fitness last written by an evaluator.
    pub fn fitness(&self) -> Result<Vec<f32>> {
        self.buffers.fitness.read(&self.gpu)
    }

    /// The population last asked for.
    pub fn population(&self) -> Result<Vec<f32>> {
        self.buffers.population.read(&self.gpu)
    }

    /// Write a fitness per member (for evaluators on the host).
    pub fn set_fitness(&self, fitness: &[f32]) -> Result<()> {
        self.buffers.fitness.write(&self.gpu, fitness)
    }

    pub fn state(&self) -> Result<EsState> {
        let b = &self.buffers;
        Ok(EsState {
            mean: b.mean.read(&self.gpu)?,
            sigma: b.sigma.read(&self.gpu)?,
            moments: b.moments.read(&self.gpu)?,
            scalars: b.scalars.read(&self.gpu)?,
            best: b.best.read(&self.gpu)?,
        })
    }

    /// Continue from `state` after `generation` generations (a checkpoint of a search
    /// with the same config and dim).
    pub fn restore(&mut self, state: &EsState, generation: u32) -> Result<()> {
        let b = &self.buffers;
        let n = self.dim as usize;
        let sizes_ok = state.mean.len() == n
            && state.sigma.len() == n
            && state.best.len() == n
            && state.moments.len() == self.config.strategy.moments() * n
            && state.scalars.len() == SCALARS;
        if !sizes_ok {
            return Err(Error::invalid(
                "ES state",
                format!(
                    "it does not fit a {} search over {n} parameters",
                    self.config.strategy.name()
                ),
            ));
        }
        b.mean.write(&self.gpu, &state.mean)?;
        b.sigma.write(&self.gpu, &state.sigma)?;
        if !state.moments.is_empty() {
            b.moments.write(&self.gpu, &state.moments)?;
        }
        b.scalars.write(&self.gpu, &state.scalars)?;
        b.best.write(&self.gpu, &state.best)?;
        self.generation = generation;
        Ok(())
    }
}
