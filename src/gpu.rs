//! The GPU context: adapter selection, device limits, error scopes turned into `Result`s,
//! and the compute-pipeline cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

/// Environment variable selecting an adapter: a backend (`vulkan`, `metal`, `dx12`, `gl`),
/// `cpu` (a software adapter such as lavapipe), or a case-insensitive part of the adapter name.
pub const ADAPTER_ENV: &str = "WGYM_ADAPTER";

/// A device and queue plus what wgym needs to know about them. Cheap to clone.
#[derive(Clone)]
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    pipelines: Arc<Mutex<HashMap<PipelineKey, wgpu::ComputePipeline>>>,
    /// The first error outside any error scope, or why the device was lost: on devices wgym
    /// opened itself, these are recorded (rather than wgpu's default panic) and every later
    /// call returns them.
    broken: Arc<Mutex<Option<String>>>,
    /// Bytes copied back to the host through wgym's readbacks, for traffic accounting.
    read_back: Arc<std::sync::atomic::AtomicU64>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct PipelineKey {
    pub source_hash: u64,
    pub entry: &'static str,
    pub workgroup_size: u32,
    pub overrides: Vec<(&'static str, u32)>,
}

impl Gpu {
    /// Open the adapter chosen by `WGYM_ADAPTER`, or the high-performance default.
    pub fn new() -> Result<Gpu> {
        let selector = std::env::var(ADAPTER_ENV).ok().filter(|s| !s.is_empty());
        pollster::block_on(Self::open(selector.as_deref()))
    }

    /// Open an adapter by selector (see [`ADAPTER_ENV`]); `None` picks high performance.
    pub async fn open(selector: Option<&str>) -> Result<Gpu> {
        // Vulkan, Metal and DX12 first; OpenGL only where none of those has an adapter
        // (probing GL needs a display and is noisy without one).
        let first = match selector {
            Some(_) => wgpu::Backends::all(),
            None => wgpu::Backends::PRIMARY,
        };
        let mut instance = instance_for(first);
        let mut adapters = instance.enumerate_adapters(first).await;
        if adapters.is_empty() {
            instance = instance_for(wgpu::Backends::all());
            adapters = instance.enumerate_adapters(wgpu::Backends::all()).await;
        }
        if adapters.is_empty() {
            return Err(Error::NoAdapter(String::new()));
        }
        let adapter = match selector {
            Some(wanted) => {
                let want = wanted.to_lowercase();
                adapters
                    .iter()
                    .find(|a| matches_selector(&a.get_info(), &want))
                    .cloned()
                    .ok_or_else(|| Error::AdapterNotFound {
                        wanted: wanted.to_string(),
                        available: describe_all(&adapters),
                    })?
            }
            None => {
                let options = wgpu::RequestAdapterOptions {
                    power_preference: wgpu::PowerPreference::HighPerformance,
                    ..Default::default()
                };
                match instance.request_adapter(&options).await {
                    Ok(a) => a,
                    Err(e) => return Err(Error::NoAdapter(format!(" ({e})"))),
                }
            }
        };
        let info = adapter.get_info();
        let descriptor = wgpu::DeviceDescriptor {
            label: Some("wgym"),
            // Ask for everything the adapter offers: large batches need large buffers.
            required_limits: adapter.limits(),
            ..Default::default()
        };
        let (device, queue) =
            adapter
                .request_device(&descriptor)
                .await
                .map_err(|e| Error::Device {
                    adapter: info.name.clone(),
                    reason: e.to_string(),
                })?;
        let gpu = Self::from_device(device, queue);
        let broken = gpu.broken.clone();
        gpu.device.set_device_lost_callback(move |reason, message| {
            let why = format!("the device was lost ({reason:?}: {message})");
            broken.lock().unwrap().get_or_insert(why);
        });
        let broken = gpu.broken.clone();
        gpu.device.on_uncaptured_error(Arc::new(move |e| {
            broken.lock().unwrap().get_or_insert(e.to_string());
        }));
        Ok(gpu)
    }

    /// Use a device and queue owned by an embedding program. Its device-lost and
    /// uncaptured-error handlers stay the program's; errors inside wgym's calls still come
    /// back as `Err`s.
    pub fn from_device(device: wgpu::Device, queue: wgpu::Queue) -> Gpu {
        let info = device.adapter_info();
        Gpu {
            device,
            queue,
            info,
            pipelines: Arc::default(),
            broken: Arc::default(),
            read_back: Arc::default(),
        }
    }

    pub fn adapter_name(&self) -> &str {
        &self.info.name
    }

    pub fn backend(&self) -> String {
        self.info.backend.to_string()
    }

    /// `"name (backend, device type)"`, for logs and benchmark records.
    pub fn describe(&self) -> String {
        describe(&self.info)
    }

    /// Bytes wgym has read back from this device so far (all clones of this `Gpu`).
    pub fn bytes_read_back(&self) -> u64 {
        self.read_back.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn count_read_back(&self, bytes: u64) {
        self.read_back
            .fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the adapter runs on the CPU (lavapipe, WARP, llvmpipe GL).
    pub fn is_cpu(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    pub fn limits(&self) -> wgpu::Limits {
        self.device.limits()
    }

    /// Run `f` inside a validation + out-of-memory error scope and turn errors into `Err`.
    pub fn scoped<T>(&self, during: &str, f: impl FnOnce() -> T) -> Result<T> {
        if let Some(why) = self.broken.lock().unwrap().clone() {
            return Err(Error::Gpu {
                during: during.to_string(),
                message: format!("{why}; open a new Gpu"),
            });
        }
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let value = f();
        let errors = [
            pollster::block_on(validation.pop()),
            pollster::block_on(oom.pop()),
        ];
        match errors.into_iter().flatten().next() {
            Some(e) => Err(Error::Gpu {
                during: during.to_string(),
                message: e.to_string(),
            }),
            None => Ok(value),
        }
    }

    /// Block until all submitted work is done.
    pub fn wait(&self) -> Result<()> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| Error::Gpu {
                during: "waiting for the device".into(),
                message: e.to_string(),
            })
    }

    pub(crate) fn cached_pipeline(
        &self,
        key: PipelineKey,
        build: impl FnOnce() -> Result<wgpu::ComputePipeline>,
    ) -> Result<wgpu::ComputePipeline> {
        if let Some(p) = self.pipelines.lock().unwrap().get(&key) {
            return Ok(p.clone());
        }
        let pipeline = build()?;
        self.pipelines.lock().unwrap().insert(key, pipeline.clone());
        Ok(pipeline)
    }
}

fn instance_for(backends: wgpu::Backends) -> wgpu::Instance {
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle();
    descriptor.backends = backends;
    wgpu::Instance::new(descriptor)
}

fn matches_selector(info: &wgpu::AdapterInfo, want: &str) -> bool {
    let backend = info.backend.to_string().to_lowercase();
    match want {
        "cpu" => info.device_type == wgpu::DeviceType::Cpu,
        "gl" | "gles" | "opengl" => info.backend == wgpu::Backend::Gl,
        _ => backend == want || info.name.to_lowercase().contains(want),
    }
}

fn describe(info: &wgpu::AdapterInfo) -> String {
    format!("{} ({}, {:?})", info.name, info.backend, info.device_type)
}

fn describe_all(adapters: &[wgpu::Adapter]) -> String {
    let names: Vec<String> = adapters.iter().map(|a| describe(&a.get_info())).collect();
    names.join("; ")
}
