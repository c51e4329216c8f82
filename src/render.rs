//! Episodes as pictures: one env stepped on the CPU twin by a policy, its frames drawn by
//! the env's own picture code, written as an animated GIF or a PNG strip of a few frames.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::files::write_atomically;
use crate::rng::{self, Key};

/// One recorded step: the state after it (before any auto-reset), its reward and success.
pub struct Frame {
    pub step: u32,
    pub state: Vec<u8>,
    pub reward: f32,
    pub success: bool,
}

/// A policy for [`record`]: an observation to the words of an action.
pub type Policy = dyn FnMut(&[f32]) -> Vec<u32>;

/// One episode of `env` under `params` (drawn into a concrete task first where the env
/// samples tasks), from the reset state to its end or `max_steps` steps. `policy` maps
/// an observation to the words of an action.
pub fn record(
    env: &dyn Env,
    params: &[u8],
    seed: u32,
    max_steps: u32,
    policy: &mut Policy,
) -> (Vec<u8>, Vec<Frame>) {
    let root: Key = rng::key(seed);
    let params = if env.samples_params() {
        env.sample_params_bytes(rng::fold(root, 0), params)
    } else {
        params.to_vec()
    };
    let mut state = env.reset_bytes(rng::fold(root, 1), &params);
    let mut frames = vec![Frame {
        step: 0,
        state: state.clone(),
        reward: 0.0,
        success: false,
    }];
    let mut obs = vec![0.0f32; env.spec().obs_dim as usize];
    for t in 0..max_steps {
        obs.iter_mut().for_each(|x| *x = 0.0);
        env.observe_bytes(&state, &params, &mut obs);
        let action = policy(&obs);
        let out = env.step_bytes(rng::fold(rng::fold(root, 2), t), &state, &action, &params);
        state = out.state;
        frames.push(Frame {
            step: t + 1,
            state: state.clone(),
            reward: out.reward,
            success: out.success,
        });
        if out.terminated || out.truncated {
            break;
        }
    }
    (params, frames)
}

/// Draws frame `k` of the episode into an area.
pub type DrawFrame<'a> =
    dyn Fn(&DrawingArea<BitMapBackend<'_>, Shift>, usize) -> std::result::Result<(), String> + 'a;

/// Write `count` frames: a GIF of every `every`-th frame (`.gif`, `delay_ms` apart), or a
/// PNG strip of `strip` frames spread over the episode (`.png`).
pub fn write(
    path: &Path,
    count: usize,
    size: (u32, u32),
    every: usize,
    strip: usize,
    delay_ms: u32,
    draw: &DrawFrame,
) -> Result<()> {
    crate::plot::register_font();
    let fail = |e: String| Error::invalid(format!("render {}", path.display()), e);
    let render = |k: usize, size: (u32, u32)| -> Result<image::RgbImage> {
        let mut pixels = vec![0u8; (size.0 * size.1 * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
            draw(&root, k).map_err(fail)?;
            root.present().map_err(|e| fail(e.to_string()))?;
        }
        image::RgbImage::from_raw(size.0, size.1, pixels).ok_or_else(|| fail("pixels".into()))
    };
    let mut bytes = Vec::new();
    match path.extension().and_then(|e| e.to_str()) {
        Some("gif") => {
            let mut encoder = image::codecs::gif::GifEncoder::new(&mut bytes);
            encoder
                .set_repeat(image::codecs::gif::Repeat::Infinite)
                .map_err(|e| fail(e.to_string()))?;
            let mut ks: Vec<usize> = (0..count).step_by(every.max(1)).collect();
            if ks.last() != Some(&(count - 1)) {
                ks.push(count - 1);
            }
            for k in ks {
                let rgba = image::DynamicImage::ImageRgb8(render(k, size)?).to_rgba8();
                let delay = image::Delay::from_numer_denom_ms(delay_ms, 1);
                encoder
                    .encode_frame(image::Frame::from_parts(rgba, 0, 0, delay))
                    .map_err(|e| fail(e.to_string()))?;
            }
        }
        Some("png") => {
            // Rows of up to four frames.
            let n = strip.clamp(1, count);
            let (cols, rows) = (n.min(4) as u32, n.div_ceil(4) as u32);
            let mut sheet = image::RgbImage::from_pixel(
                size.0 * cols,
                size.1 * rows,
                image::Rgb([255, 255, 255]),
            );
            for i in 0..n {
                let k = if n == 1 {
                    count - 1
                } else {
                    i * (count - 1) / (n - 1)
                };
                let (x, y) = (i as u32 % 4 * size.0, i as u32 / 4 * size.1);
                image::imageops::replace(&mut sheet, &render(k, size)?, x as i64, y as i64);
            }
            image::DynamicImage::ImageRgb8(sheet)
                .write_to(
                    &mut std::io::Cursor::new(&mut bytes),
                    image::ImageFormat::Png,
                )
                .map_err(|e| fail(e.to_string()))?;
        }
        _ => {
            return Err(Error::invalid(
                "--out",
                format!(
                    "{}: write a .gif (animation) or a .png (strip)",
                    path.display()
                ),
            ))
        }
    }
    write_atomically(path, &bytes)
}
