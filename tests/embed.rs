//! Embedding: a program that owns its wgpu device hands it to wgym, writes actions with its
//! own kernel, and reads observations from wgym's buffer (the README's example).

use wgym::{Gpu, VecEnv, VecEnvConfig};

const ACTIONS_KERNEL: &str = "
@group(0) @binding(0) var<storage, read_write> actions: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x < arrayLength(&actions) { actions[id.x] = 1u; } // always move right
}";

#[test]
fn an_embedding_program_drives_envs_with_its_own_device_and_kernels() {
    let instance = wgpu::Instance::default();
    let adapter =
        pollster::block_on(instance.request_adapter(&Default::default())).expect("an adapter");
    let (device, queue) =
        pollster::block_on(adapter.request_device(&Default::default())).expect("a device");

    let gpu = Gpu::from_device(device.clone(), queue.clone());
    let env = wgym::make("FourRooms-misc").unwrap();
    let mut envs = VecEnv::new(&gpu, env, VecEnvConfig::new(128, 7)).unwrap();

    // The program's own kernel writes the actions straight into wgym's action buffer.
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: None,
        source: wgpu::ShaderSource::Wgsl(ACTIONS_KERNEL.into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: None,
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[wgpu::BindGroupEntry {
            binding: 0,
            resource: envs.action_buffer().unwrap().as_entire_binding(),
        }],
    });
    let before = envs.obs().unwrap();
    let mut encoder = device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(2, 1, 1);
    }
    queue.submit([encoder.finish()]);
    envs.step().unwrap();

    assert_eq!(envs.actions().unwrap(), vec![1; 128]);
    let after = envs.obs().unwrap();
    // Start (4, 1); moving right reaches (4, 2) unless the 1/3 slip sends it elsewhere.
    let moved_right = (0..128)
        .filter(|&i| before[i * 4 + 1] == 1.0 && after[i * 4 + 1] == 2.0 && after[i * 4] == 4.0)
        .count();
    assert!(
        (60..110).contains(&moved_right),
        "{moved_right} of 128 moved right"
    );
}

fn default_limits_gpu() -> Gpu {
    let instance = wgpu::Instance::default();
    let adapter =
        pollster::block_on(instance.request_adapter(&Default::default())).expect("an adapter");
    let (device, queue) =
        pollster::block_on(adapter.request_device(&Default::default())).expect("a device");
    assert_eq!(device.limits().max_storage_buffers_per_shader_stage, 8);
    Gpu::from_device(device, queue)
}

fn small_config() -> wgym::learn::TrainConfig {
    let mut c = wgym::learn::TrainConfig::for_env("FourRooms-misc");
    c.envs = 16;
    c.steps = 16;
    c.updates = 2;
    c.network.hidden = vec![16];
    c
}

/// A program's device with WebGPU's default limits (8 storage buffers per stage) runs a
/// plain PPO learner with a categorical policy, and one with a meta-gradient: each kernel
/// binds only the buffers it uses (a Gaussian policy's loss kernel binds 9). Their updates give the same weights as on wgym's own device.
#[test]
fn learners_run_on_a_default_limits_device() {
    let mut meta = small_config();
    meta.meta_gradient = Some(wgym::learn::MetaGradient {
        learn: wgym::learn::meta_gradient::HYPERS.to_vec(),
        ..Default::default()
    });
    for config in [small_config(), meta] {
        runs_as_on_wgyms_device("FourRooms-misc", config);
    }
}

fn runs_as_on_wgyms_device(env: &str, config: wgym::learn::TrainConfig) {
    let env = wgym::make(env).unwrap();
    let mut limited =
        wgym::learn::Trainer::new(&default_limits_gpu(), env.clone(), 2, config.clone())
            .expect("the learner fits the default limits");
    let mut own = wgym::learn::Trainer::new(&Gpu::new().unwrap(), env, 2, config).unwrap();
    for _ in 0..2 {
        limited.update().unwrap();
        own.update().unwrap();
    }
    let stats = limited.stats().unwrap();
    assert!(stats.iter().all(|s| s.entropy.is_finite()), "{stats:?}");
    assert_eq!(limited.weights().unwrap(), own.weights().unwrap());
}

/// A device that allows fewer storage buffers than a learner kernel binds: a clear error
/// naming the kernel and the limit.
#[test]
fn a_learner_on_a_device_below_its_limits_names_the_limit_it_needs() {
    let instance = wgpu::Instance::default();
    let adapter =
        pollster::block_on(instance.request_adapter(&Default::default())).expect("an adapter");
    let descriptor = wgpu::DeviceDescriptor {
        required_limits: wgpu::Limits {
            max_storage_buffers_per_shader_stage: 4,
            ..Default::default()
        },
        ..Default::default()
    };
    let (device, queue) =
        pollster::block_on(adapter.request_device(&descriptor)).expect("a device");
    let gpu = Gpu::from_device(device, queue);
    let env = wgym::make("FourRooms-misc").unwrap();
    let err = wgym::learn::Trainer::new(&gpu, env, 1, small_config())
        .err()
        .expect("the learner needs more than 4 storage buffers")
        .to_string();
    assert!(
        err.contains("max_storage_buffers_per_shader_stage") && err.contains("kernel"),
        "{err}"
    );
}
