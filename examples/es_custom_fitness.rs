//! An evolution strategy on a fitness function of your own, written as a WGSL kernel: the
//! kernel reads the population wgym's ES asks for ([member][dim] f32) and writes each
//! member's fitness (higher is fitter); the ES is told, all on the GPU.
//!
//! `cargo run --example es_custom_fitness`

use wgym::es::{Es, EsConfig, Strategy};
use wgym::Gpu;

const DIM: u32 = 32;

/// Fitness: minus the squared distance to the point (0, 1/32, 2/32, ...).
const FITNESS: &str = "
const DIM: u32 = 32u;
@group(0) @binding(0) var<storage, read> population: array<f32>;
@group(0) @binding(1) var<storage, read_write> fitness: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let member = id.x;
    if member >= arrayLength(&fitness) { return; }
    var sum = 0.0;
    for (var i = 0u; i < DIM; i++) {
        let d = population[member * DIM + i] - f32(i) / f32(DIM);
        sum += d * d;
    }
    fitness[member] = -sum;
}";

fn main() -> wgym::Result<()> {
    let gpu = Gpu::new()?;
    let config = EsConfig {
        population: 64,
        ..EsConfig::for_strategy(Strategy::Snes)
    };
    let mut es = Es::new(&gpu, config, &vec![2.0; DIM as usize])?;

    let device = &gpu.device;
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("fitness"),
        source: wgpu::ShaderSource::Wgsl(FITNESS.into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("fitness"),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("fitness"),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry {
                binding: 0,
                resource: es.population_buffer().as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 1,
                resource: es.fitness_buffer().as_entire_binding(),
            },
        ],
    });

    let distance = |mean: &[f32]| -> f32 {
        let d2: f32 = (0..DIM as usize)
            .map(|i| (mean[i] - i as f32 / DIM as f32).powi(2))
            .sum();
        d2.sqrt()
    };
    println!(
        "start: distance to the optimum {:.3}",
        distance(&es.mean()?)
    );
    for generation in 1..=200 {
        es.ask()?;
        let mut encoder = device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(es.config().population.div_ceil(64), 1, 1);
        }
        gpu.queue.submit([encoder.finish()]);
        es.tell()?;
        if generation % 50 == 0 {
            let stats = es.stats()?;
            println!(
                "generation {generation}: best fitness {:.4}, distance of the mean {:.3}",
                stats.best,
                distance(&es.mean()?)
            );
        }
    }
    Ok(())
}
