//! Env pictures for `wgym render`: what an env implements to have its episodes drawn, the
//! lookup from env id to picture, and the drawing pieces the pictures share (a title bar,
//! a grid of cells, world coordinates). Each env's picture lives in its folder as
//! `picture.rs`; adding one touches that folder and one line of [`PICTURES`].

use std::ops::Range;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::envs;
use crate::render::{Frame, Policy};

/// The area a picture draws one frame into.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Frame `k` of a recorded episode, as a picture sees it.
pub struct View<'a> {
    pub env_id: &'a str,
    /// The episode's params (a concrete task where the env samples tasks).
    pub params: &'a [u8],
    pub frames: &'a [Frame],
    pub k: usize,
    /// The observation of frame `k`.
    pub obs: &'a [f32],
    /// The reward summed up to frame `k`.
    pub episode_return: f32,
}

impl View<'_> {
    pub fn frame(&self) -> &Frame {
        &self.frames[self.k]
    }

    /// Frame `k`'s state as the env's state struct.
    pub fn state<S: bytemuck::Pod>(&self) -> S {
        bytemuck::pod_read_unaligned(&self.frame().state)
    }

    /// The params as the env's params struct.
    pub fn params<P: bytemuck::Pod>(&self) -> P {
        bytemuck::pod_read_unaligned(self.params)
    }
}

/// How one env draws its frames.
pub trait Picture {
    /// Pixels per frame.
    fn size(&self) -> (u32, u32) {
        (480, 400)
    }
    /// GIF delay between drawn frames.
    fn delay_ms(&self) -> u32 {
        60
    }
    /// The env's scripted policy, where it has one.
    fn scripted(&self) -> Option<Box<Policy>> {
        None
    }
    fn draw(&self, area: &Area<'_>, view: &View) -> Result<(), String>;
}

/// Each drawable family: its picture for an env id it draws, None for other ids.
type ForEnv = fn(&str) -> Option<Box<dyn Picture>>;

const PICTURES: [ForEnv; 10] = [
    envs::manipulation::picture::for_env,
    envs::minatar::picture::for_env,
    envs::four_rooms::picture::for_env,
    envs::meta_maze::picture::for_env,
    envs::lpg_grid::picture::for_env,
    envs::cartpole::picture::for_env,
    envs::acrobot::picture::for_env,
    envs::mountain_car::picture::for_env,
    envs::pendulum::picture::for_env,
    envs::point_robot::picture::for_env,
];

/// The picture of env `id`, if render can draw it.
pub fn for_env(id: &str) -> Option<Box<dyn Picture>> {
    PICTURES.iter().find_map(|f| f(id))
}

/// The registered env ids render can draw, in registry order.
pub fn drawable_ids() -> Vec<&'static str> {
    envs::registry()
        .into_iter()
        .map(|r| r.id)
        .filter(|id| for_env(id).is_some())
        .collect()
}

/// Errors of plotters as text.
pub fn text<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> String {
    e.to_string()
}

/// Clear the frame, write "env  step  reward  return" across its top, and return the area
/// below.
pub fn titled<'a>(area: &Area<'a>, view: &View) -> Result<Area<'a>, String> {
    area.fill(&WHITE).map_err(text)?;
    let f = view.frame();
    let title = format!(
        "{}  step {}  reward {:.2}  return {:.2}",
        view.env_id, f.step, f.reward, view.episode_return
    );
    let (top_bar, body) = area.split_vertically(28);
    top_bar
        .draw(&Text::new(
            title,
            (8, 6),
            ("sans-serif", 16).into_font().color(&BLACK),
        ))
        .map_err(text)?;
    Ok(body)
}

/// Grid colours shared by the grid worlds.
pub const WALL: RGBColor = RGBColor(70, 70, 70);
pub const FLOOR: RGBColor = RGBColor(235, 235, 235);
pub const AGENT: RGBColor = RGBColor(214, 39, 40);
pub const GOAL: RGBColor = RGBColor(44, 160, 44);

/// A `rows` x `cols` grid of square cells filling `area` (top-left first), each in
/// `colour(row, col)`; returns the cell size and the grid's top-left pixel, for marks on top.
pub fn cells(
    area: &Area<'_>,
    rows: u32,
    cols: u32,
    colour: &dyn Fn(u32, u32) -> RGBColor,
) -> Result<(i32, (i32, i32)), String> {
    let (w, h) = area.dim_in_pixel();
    let cell = ((w.saturating_sub(16) / cols.max(1)).min(h.saturating_sub(16) / rows.max(1))).max(1)
        as i32;
    let origin = (8, 8);
    for r in 0..rows {
        for c in 0..cols {
            let corner = (origin.0 + c as i32 * cell, origin.1 + r as i32 * cell);
            area.draw(&Rectangle::new(
                [corner, (corner.0 + cell - 1, corner.1 + cell - 1)],
                colour(r, c).filled(),
            ))
            .map_err(text)?;
        }
    }
    Ok((cell, origin))
}

/// A disc in cell (`row`, `col`) of a grid drawn by [`cells`].
pub fn disc(
    area: &Area<'_>,
    (cell, origin): (i32, (i32, i32)),
    row: u32,
    col: u32,
    colour: RGBColor,
) -> Result<(), String> {
    let centre = (
        origin.0 + col as i32 * cell + cell / 2,
        origin.1 + row as i32 * cell + cell / 2,
    );
    area.draw(&Circle::new(centre, (cell * 2 / 5).max(1), colour.filled()))
        .map_err(text)
}

/// An area in world coordinates, y up, showing at least the box `x` by `y` (centred, at
/// one scale on both axes so circles stay round).
pub fn world<'a>(
    area: &Area<'a>,
    x: Range<f64>,
    y: Range<f64>,
) -> DrawingArea<BitMapBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>> {
    let (w, h) = area.dim_in_pixel();
    let pixels_per_unit = (w as f64 / (x.end - x.start)).min(h as f64 / (y.end - y.start));
    let (half_w, half_h) = (
        w as f64 / pixels_per_unit / 2.0,
        h as f64 / pixels_per_unit / 2.0,
    );
    let (cx, cy) = ((x.start + x.end) / 2.0, (y.start + y.end) / 2.0);
    area.clone()
        .apply_coord_spec(Cartesian2d::<RangedCoordf64, RangedCoordf64>::new(
            cx - half_w..cx + half_w,
            // Pixel rows grow downwards: the range runs from top to bottom.
            cy + half_h..cy - half_h,
            area.get_pixel_range(),
        ))
}
