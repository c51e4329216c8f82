//! Embedding wgym in a program that owns its wgpu device: the program hands its device to
//! wgym, writes the envs' actions with its own compute kernel straight into wgym's action
//! buffer, steps the batch, and reads what it needs back.
//!
//! `cargo run --example embed`

use wgym::{Gpu, VecEnv, VecEnvConfig};

/// The program's own policy: every env moves right (FourRooms action 1).
const POLICY: &str = "
@group(0) @binding(0) var<storage, read_write> actions: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x < arrayLength(&actions) { actions[id.x] = 1u; }
}";

const ENVS: u32 = 1024;

fn main() -> wgym::Result<()> {
    // The program's device (any adapter; it asks for the adapter's own limits).
    let instance = wgpu::Instance::default();
    let adapter = pollster::block_on(instance.request_adapter(&Default::default()))
        .map_err(|e| wgym::Error::NoAdapter(format!(": {e}")))?;
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        required_limits: adapter.limits(),
        ..Default::default()
    }))
    .map_err(|e| wgym::Error::Device {
        adapter: adapter.get_info().name,
        reason: e.to_string(),
    })?;

    let gpu = Gpu::from_device(device.clone(), queue.clone());
    let mut envs = VecEnv::new(
        &gpu,
        wgym::make("FourRooms-misc")?,
        VecEnvConfig::new(ENVS, 0),
    )?;

    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("policy"),
        source: wgpu::ShaderSource::Wgsl(POLICY.into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("policy"),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("policy"),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[wgpu::BindGroupEntry {
            binding: 0,
            resource: envs.action_buffer()?.as_entire_binding(),
        }],
    });

    let mut rewarded = 0.0;
    for _ in 0..50 {
        let mut encoder = device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(ENVS.div_ceil(64), 1, 1);
        }
        queue.submit([encoder.finish()]);
        envs.step()?;
        rewarded += envs.rewards()?.iter().sum::<f32>();
    }
    let obs = envs.obs()?;
    println!(
        "{ENVS} FourRooms envs stepped 50 times by the program's own kernel on {}: \
         reward {rewarded} in all; env 0 observes {:?}",
        gpu.describe(),
        &obs[..4]
    );
    Ok(())
}
