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

/// How a recording becomes a file.
pub struct Layout {
    /// Pixels per frame.
    pub size: (u32, u32),
    /// A GIF shows every this many-th frame.
    pub every: usize,
    pub delay_ms: u32,
    /// A PNG strip shows this many frames.
    pub strip: usize,
    /// The first successful frame, if any: a strip spreads its frames up to it (where the
    /// episode happens), then shows the last.
    pub first_success: Option<usize>,
}

/// The frames of `count` a strip of `n` shows: spread evenly from the first to the last,
/// or, after an early success, from the first to the success and then the last (a task
/// that stays solved looks the same after it).
pub fn strip_frames(count: usize, n: usize, first_success: Option<usize>) -> Vec<usize> {
    let n = n.clamp(1, count.max(1));
    let last = count.saturating_sub(1);
    if n == 1 {
        return vec![last];
    }
    let spread =
        |end: usize, n: usize| -> Vec<usize> { (0..n).map(|i| i * end / (n - 1).max(1)).collect() };
    match first_success {
        Some(s) if n >= 3 && s + 1 < last => {
            let mut ks = spread(s, n - 1);
            ks.push(last);
            ks
        }
        _ => spread(last, n),
    }
}

/// Write `count` frames: a GIF of every `layout.every`-th frame (`.gif`), or a PNG strip
/// of [`strip_frames`] (`.png`); `progress(done, total)` after each frame drawn.
pub fn write(
    path: &Path,
    count: usize,
    layout: &Layout,
    draw: &DrawFrame,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<()> {
    let size = layout.size;
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
            let mut ks: Vec<usize> = (0..count).step_by(layout.every.max(1)).collect();
            if ks.last() != Some(&(count - 1)) {
                ks.push(count - 1);
            }
            for (i, &k) in ks.iter().enumerate() {
                let rgba = image::DynamicImage::ImageRgb8(render(k, size)?).to_rgba8();
                let delay = image::Delay::from_numer_denom_ms(layout.delay_ms, 1);
                encoder
                    .encode_frame(image::Frame::from_parts(rgba, 0, 0, delay))
                    .map_err(|e| fail(e.to_string()))?;
                progress(i + 1, ks.len());
            }
        }
        Some("png") => {
            // Rows of up to four frames.
            let ks = strip_frames(count, layout.strip, layout.first_success);
            let n = ks.len();
            let (cols, rows) = (n.min(4) as u32, n.div_ceil(4) as u32);
            let mut sheet = image::RgbImage::from_pixel(
                size.0 * cols,
                size.1 * rows,
                image::Rgb([255, 255, 255]),
            );
            for (i, &k) in ks.iter().enumerate() {
                let (x, y) = (i as u32 % 4 * size.0, i as u32 / 4 * size.1);
                image::imageops::replace(&mut sheet, &render(k, size)?, x as i64, y as i64);
                progress(i + 1, n);
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

#[cfg(test)]
mod tests {
    use super::strip_frames;

    #[test]
    fn a_strip_spreads_its_frames_over_the_episode() {
        assert_eq!(strip_frames(9, 3, None), [0, 4, 8]);
        assert_eq!(strip_frames(1, 8, None), [0]);
        assert_eq!(strip_frames(5, 1, Some(2)), [4]);
    }

    #[test]
    fn after_an_early_success_a_strip_shows_the_way_to_it_and_the_end() {
        // Success at frame 60 of 501: seven frames up to it, then the last.
        let ks = strip_frames(501, 8, Some(60));
        assert_eq!(ks.len(), 8);
        assert_eq!((ks[0], ks[6], ks[7]), (0, 60, 500));
        assert!(ks.windows(2).all(|w| w[0] < w[1]), "{ks:?}");
        // A success at the end changes nothing.
        assert_eq!(strip_frames(9, 3, Some(8)), [0, 4, 8]);
    }
}
