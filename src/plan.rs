//! A plan: compute dispatches recorded into one command buffer and submitted together,
//! each reading its own slot of a uniform config buffer through a dynamic offset. The host
//! writes the configs and submits; nothing is read back.

use crate::error::Result;
use crate::gpu::Gpu;

/// Bytes between config slots: the largest `min_uniform_buffer_offset_alignment` WebGPU
/// allows, so one layout fits every device.
pub const CONFIG_SLOT: usize = 256;

/// One dispatch of a plan.
#[derive(Clone)]
pub struct Dispatch<'a> {
    pub pipeline: &'a wgpu::ComputePipeline,
    pub bind_group: &'a wgpu::BindGroup,
    pub groups: [u32; 3],
    /// The bytes of this dispatch's config (at most [`CONFIG_SLOT`]).
    pub config: Vec<u8>,
}

/// A uniform buffer of config slots that the plan's bind groups bind at binding 0.
pub struct ConfigSlots {
    pub buffer: wgpu::Buffer,
    slots: usize,
}

impl ConfigSlots {
    pub fn new(gpu: &Gpu, what: &str, slots: usize) -> Result<ConfigSlots> {
        let buffer = gpu.scoped(&format!("allocating {what}"), || {
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(what),
                size: (slots.max(1) * CONFIG_SLOT) as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })?;
        Ok(ConfigSlots { buffer, slots })
    }

    pub fn slots(&self) -> usize {
        self.slots
    }

    /// The binding of one slot of `size` bytes (the offset comes with each dispatch).
    pub fn binding(&self, size: usize) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: 0,
            size: wgpu::BufferSize::new(size as u64),
        })
    }

    /// Write the configs and submit `plan` in one command buffer, after what `before`
    /// records (buffer clears, copies).
    pub fn submit(
        &self,
        gpu: &Gpu,
        what: &str,
        plan: &[Dispatch],
        before: impl FnOnce(&mut wgpu::CommandEncoder),
    ) -> Result<()> {
        assert!(
            plan.len() <= self.slots,
            "a plan of {} dispatches for {} config slots",
            plan.len(),
            self.slots
        );
        let mut bytes = vec![0u8; plan.len() * CONFIG_SLOT];
        for (k, d) in plan.iter().enumerate() {
            bytes[k * CONFIG_SLOT..k * CONFIG_SLOT + d.config.len()].copy_from_slice(&d.config);
        }
        gpu.scoped(what, || {
            if !bytes.is_empty() {
                gpu.queue.write_buffer(&self.buffer, 0, &bytes);
            }
            let mut encoder = gpu.device.create_command_encoder(&Default::default());
            before(&mut encoder);
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                for (k, d) in plan.iter().enumerate() {
                    pass.set_pipeline(d.pipeline);
                    pass.set_bind_group(0, d.bind_group, &[(k * CONFIG_SLOT) as u32]);
                    pass.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
                }
            }
            gpu.queue.submit([encoder.finish()]);
        })
    }
}

/// Bind group layout: a config uniform with a dynamic offset at binding 0, then `n`
/// read-write storage buffers.
pub fn storage_layout(gpu: &Gpu, label: &str, n: u32) -> wgpu::BindGroupLayout {
    storage_layout_at(gpu, label, &(1..=n).collect::<Vec<_>>())
}

/// Bind group layout: a config uniform with a dynamic offset at binding 0, then
/// read-write storage buffers at `bindings`.
pub fn storage_layout_at(gpu: &Gpu, label: &str, bindings: &[u32]) -> wgpu::BindGroupLayout {
    let mut entries = vec![crate::driver::layout_entry(
        0,
        wgpu::BufferBindingType::Uniform,
        true,
    )];
    for &k in bindings {
        let rw = wgpu::BufferBindingType::Storage { read_only: false };
        entries.push(crate::driver::layout_entry(k, rw, false));
    }
    gpu.device
        .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(label),
            entries: &entries,
        })
}

/// A bind group of `layout` (see [`storage_layout`]): `slots` at binding 0 with configs of
/// `config_size` bytes, then `buffers` in order.
pub fn bind_storage(
    gpu: &Gpu,
    label: &str,
    layout: &wgpu::BindGroupLayout,
    slots: &ConfigSlots,
    config_size: usize,
    buffers: &[&wgpu::Buffer],
) -> wgpu::BindGroup {
    let numbered: Vec<(u32, &wgpu::Buffer)> = (1..).zip(buffers.iter().copied()).collect();
    bind_storage_at(gpu, label, layout, slots, config_size, &numbered)
}

/// A bind group of `layout` (see [`storage_layout_at`]): `slots` at binding 0 with
/// configs of `config_size` bytes, then each buffer at its binding.
pub fn bind_storage_at(
    gpu: &Gpu,
    label: &str,
    layout: &wgpu::BindGroupLayout,
    slots: &ConfigSlots,
    config_size: usize,
    buffers: &[(u32, &wgpu::Buffer)],
) -> wgpu::BindGroup {
    let mut entries = vec![wgpu::BindGroupEntry {
        binding: 0,
        resource: slots.binding(config_size),
    }];
    for &(binding, b) in buffers {
        entries.push(wgpu::BindGroupEntry {
            binding,
            resource: b.as_entire_binding(),
        });
    }
    gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(label),
        layout,
        entries: &entries,
    })
}
