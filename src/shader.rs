//! WGSL composition: a generated `const` prelude, the shared library, an env file and a
//! driver, concatenated in that order. The composed module is validated with naga before the
//! device sees it, and errors are mapped back to the file and line they came from.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use crate::error::{Error, Result, ShaderError};
use crate::gpu::{Gpu, PipelineKey};

/// The shared WGSL library every module starts with (after the prelude).
pub const RNG_WGSL: (&str, &str) = ("shaders/rng.wgsl", include_str!("../shaders/rng.wgsl"));

/// One source file of a composed module.
#[derive(Clone, Debug)]
pub struct Part {
    pub file: String,
    pub text: String,
}

impl Part {
    pub fn new(file: impl Into<String>, text: impl Into<String>) -> Part {
        Part {
            file: file.into(),
            text: text.into(),
        }
    }
}

/// A validated module, ready for pipelines.
pub struct Composed {
    pub text: String,
    pub module: naga::Module,
    info: Option<naga::valid::ModuleInfo>,
    parts: Vec<(usize, String)>, // (first line in `text`, file)
    hash: u64,
}

/// `const NAME: u32 = VALUE;` lines for the prelude.
pub fn const_prelude(consts: &[(&str, u32)]) -> String {
    let mut text = String::new();
    for (name, value) in consts {
        text.push_str(&format!("const {name}: u32 = {value}u;\n"));
    }
    text
}

impl Composed {
    /// Concatenate `parts` and validate the result with naga.
    pub fn new(parts: &[Part]) -> Result<Composed> {
        let mut text = String::new();
        let mut starts = Vec::new();
        let mut line = 1;
        for part in parts {
            starts.push((line, part.file.clone()));
            text.push_str(&part.text);
            if !part.text.ends_with('\n') {
                text.push('\n');
            }
            line += part.text.lines().count();
        }
        let mut hasher = DefaultHasher::new();
        text.hash(&mut hasher);
        let mut composed = Composed {
            text,
            module: naga::Module::default(),
            info: None,
            parts: starts,
            hash: hasher.finish(),
        };
        composed.module = naga::front::wgsl::parse_str(&composed.text).map_err(|e| {
            let loc = e.location(&composed.text);
            let mut message = e.message().to_string();
            for (span, label) in e.labels() {
                let l = span.location(&composed.text);
                let (file, line) = composed.locate(l.line_number as usize);
                message.push_str(&format!("; {file}:{line}:{}: {label}", l.line_position));
            }
            composed.error(loc, message)
        })?;
        let mut validator =
            naga::valid::Validator::new(naga::valid::ValidationFlags::all(), Default::default());
        match validator.validate(&composed.module) {
            Ok(info) => composed.info = Some(info),
            Err(e) => {
                let loc = e.location(&composed.text);
                let mut message = e.as_inner().to_string();
                let mut source = std::error::Error::source(e.as_inner());
                while let Some(s) = source {
                    message.push_str(&format!(": {s}"));
                    source = s.source();
                }
                return Err(composed.error(loc, message));
            }
        }
        Ok(composed)
    }

    fn error(&self, loc: Option<naga::SourceLocation>, message: String) -> Error {
        let (file, line, column) = match loc {
            Some(l) => {
                let (file, line) = self.locate(l.line_number as usize);
                (file, line, l.line_position as usize)
            }
            None => ("<composed module>".to_string(), 0, 0),
        };
        Error::Shader(ShaderError {
            file,
            line,
            column,
            message,
        })
    }

    /// Map a line of the composed text to (file, line within that file).
    pub fn locate(&self, composed_line: usize) -> (String, usize) {
        let (start, file) = self
            .parts
            .iter()
            .rev()
            .find(|(start, _)| *start <= composed_line)
            .cloned()
            .unwrap_or((1, "<composed module>".into()));
        (file, composed_line - start + 1)
    }

    /// The bindings (of group 0) that entry point `entry` uses, ascending (none if it has
    /// no such entry point).
    pub fn bindings_used(&self, entry: &str) -> Vec<u32> {
        let (Some(info), Some(index)) = (
            &self.info,
            self.module
                .entry_points
                .iter()
                .position(|e| e.name == entry),
        ) else {
            return Vec::new();
        };
        let function = info.get_entry_point(index);
        let mut used: Vec<u32> = self
            .module
            .global_variables
            .iter()
            .filter(|&(handle, _)| !function[handle].is_empty())
            .filter_map(|(_, var)| var.binding.as_ref())
            .filter(|b| b.group == 0)
            .map(|b| b.binding)
            .collect();
        used.sort_unstable();
        used
    }

    /// Byte size and member offsets of a struct, as naga lays it out.
    pub fn struct_layout(&self, name: &str) -> Option<(u32, Vec<(String, u32)>)> {
        self.module
            .types
            .iter()
            .find_map(|(_, ty)| match &ty.inner {
                naga::TypeInner::Struct { members, span } if ty.name.as_deref() == Some(name) => {
                    let offsets = members
                        .iter()
                        .map(|m| (m.name.clone().unwrap_or_default(), m.offset))
                        .collect();
                    Some((*span, offsets))
                }
                _ => None,
            })
    }

    /// A compute pipeline for `entry` with the given workgroup size (the `WG` override),
    /// created once per (module, entry, size) and cached on the `Gpu`.
    pub fn pipeline(
        &self,
        gpu: &Gpu,
        entry: &'static str,
        workgroup_size: u32,
        layout: &wgpu::BindGroupLayout,
    ) -> Result<wgpu::ComputePipeline> {
        self.pipeline_with(gpu, entry, workgroup_size, &[], layout)
    }

    /// [`Composed::pipeline`] with values for more of the module's `override`s.
    pub fn pipeline_with(
        &self,
        gpu: &Gpu,
        entry: &'static str,
        workgroup_size: u32,
        overrides: &[(&'static str, u32)],
        layout: &wgpu::BindGroupLayout,
    ) -> Result<wgpu::ComputePipeline> {
        let key = PipelineKey {
            source_hash: self.hash,
            entry,
            workgroup_size,
            overrides: overrides.to_vec(),
        };
        gpu.cached_pipeline(key, || {
            gpu.scoped(&format!("creating the `{entry}` pipeline"), || {
                let module = gpu
                    .device
                    .create_shader_module(wgpu::ShaderModuleDescriptor {
                        label: Some(entry),
                        source: wgpu::ShaderSource::Wgsl(self.text.as_str().into()),
                    });
                let pipeline_layout =
                    gpu.device
                        .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                            label: Some(entry),
                            bind_group_layouts: &[Some(layout)],
                            immediate_size: 0,
                        });
                // Kernels with a fixed reduction width declare no `WG`.
                let has_wg = self
                    .module
                    .overrides
                    .iter()
                    .any(|(_, o)| o.name.as_deref() == Some("WG"));
                let mut constants: Vec<(&str, f64)> =
                    overrides.iter().map(|&(n, v)| (n, v as f64)).collect();
                if has_wg {
                    constants.push(("WG", workgroup_size as f64));
                }
                gpu.device
                    .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                        label: Some(entry),
                        layout: Some(&pipeline_layout),
                        module: &module,
                        entry_point: Some(entry),
                        compilation_options: wgpu::PipelineCompilationOptions {
                            constants: &constants,
                            zero_initialize_workgroup_memory: false,
                        },
                        cache: None,
                    })
            })
        })
    }
}
