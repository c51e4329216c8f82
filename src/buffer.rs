//! Typed GPU storage buffers over `bytemuck::Pod`, with uploads and readback.

use std::marker::PhantomData;

use bytemuck::Pod;

use crate::error::{Error, Result};
use crate::gpu::Gpu;

/// A storage buffer holding `len` values of `T`.
pub struct GpuBuffer<T: Pod> {
    pub buffer: wgpu::Buffer,
    len: usize,
    _marker: PhantomData<T>,
}

impl<T: Pod> GpuBuffer<T> {
    /// A zeroed buffer of `len` values; `what` names it in limit errors.
    pub fn zeroed(gpu: &Gpu, what: &str, len: usize) -> Result<Self> {
        let bytes = (len.max(1) * std::mem::size_of::<T>()) as u64;
        check_size(gpu, what, bytes)?;
        let buffer = gpu.scoped(&format!("allocating {what}"), || {
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(what),
                size: bytes.next_multiple_of(4),
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })?;
        Ok(GpuBuffer {
            buffer,
            len,
            _marker: PhantomData,
        })
    }

    /// A buffer initialised with `data`.
    pub fn from_slice(gpu: &Gpu, what: &str, data: &[T]) -> Result<Self> {
        let buffer = Self::zeroed(gpu, what, data.len())?;
        buffer.write(gpu, data)?;
        Ok(buffer)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Overwrite the whole buffer.
    pub fn write(&self, gpu: &Gpu, data: &[T]) -> Result<()> {
        if data.len() != self.len {
            return Err(Error::invalid(
                "upload",
                format!("{} values given for a buffer of {}", data.len(), self.len),
            ));
        }
        if data.is_empty() {
            return Ok(());
        }
        gpu.scoped("uploading a buffer", || {
            gpu.queue
                .write_buffer(&self.buffer, 0, bytemuck::cast_slice(data))
        })
    }

    /// Copy the buffer back to the host (waits for all submitted work).
    pub fn read(&self, gpu: &Gpu) -> Result<Vec<T>> {
        let bytes = (self.len * std::mem::size_of::<T>()) as u64;
        if bytes == 0 {
            return Ok(Vec::new());
        }
        gpu.count_read_back(bytes);
        let staging = gpu.scoped("reading a buffer back", || {
            let staging = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("readback"),
                size: bytes.next_multiple_of(4),
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let mut encoder = gpu.device.create_command_encoder(&Default::default());
            encoder.copy_buffer_to_buffer(&self.buffer, 0, &staging, 0, bytes.next_multiple_of(4));
            gpu.queue.submit([encoder.finish()]);
            staging
        })?;
        let slice = staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        gpu.scoped("reading a buffer back", || {
            slice.map_async(wgpu::MapMode::Read, move |r| {
                let _ = tx.send(r);
            })
        })?;
        gpu.wait()?;
        rx.recv()
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
            .map_err(|message| Error::Gpu {
                during: "reading a buffer back".into(),
                message,
            })?;
        let data = slice.get_mapped_range().map_err(|e| Error::Gpu {
            during: "reading a buffer back".into(),
            message: e.to_string(),
        })?;
        let values = bytemuck::pod_collect_to_vec(&data[..bytes as usize]);
        drop(data);
        staging.unmap();
        Ok(values)
    }
}

/// Check a buffer size against the device's binding and buffer limits.
pub fn check_size(gpu: &Gpu, what: &str, bytes: u64) -> Result<()> {
    let limits = gpu.limits();
    let checks = [
        (
            "max_storage_buffer_binding_size",
            limits.max_storage_buffer_binding_size,
        ),
        ("max_buffer_size", limits.max_buffer_size),
    ];
    for (limit, allowed) in checks {
        if bytes > allowed {
            return Err(Error::OverLimit {
                what: what.to_string(),
                needed: bytes,
                limit,
                allowed,
                unit: "bytes",
                remedy: "use fewer agents, envs or steps per rollout (or a smaller population)",
                adapter: gpu.adapter_name().to_string(),
            });
        }
    }
    Ok(())
}
