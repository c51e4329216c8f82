//! One frame of a MinAtar game for `wgym render`: the observation's 10x10 grid, each cell in
//! the colour of its first set channel (the games list the player and the ball before trails
//! and bricks), beside a legend of the channels, under the step, its reward and the return.

use plotters::coord::Shift;
use plotters::prelude::*;

/// One colour per channel (matplotlib's tab10); empty cells are light grey.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
];
pub const EMPTY: RGBColor = RGBColor(235, 235, 235);

/// The channel names of a MinAtar game, in observation order (None for other ids).
pub fn channel_names(env_id: &str) -> Option<&'static [&'static str]> {
    Some(match env_id {
        "Asterix-MinAtar" => &["player", "enemy", "trail", "gold"],
        "Breakout-MinAtar" => &["paddle", "ball", "trail", "brick"],
        "Freeway-MinAtar" => &[
            "chicken", "car", "speed 1", "speed 2", "speed 3", "speed 4", "speed 5",
        ],
        "SpaceInvaders-MinAtar" => &[
            "cannon",
            "alien",
            "alien moving left",
            "alien moving right",
            "friendly bullet",
            "enemy bullet",
        ],
        _ => return None,
    })
}

/// What a frame shows besides the grid.
pub struct FrameInfo<'a> {
    pub env_id: &'a str,
    pub step: u32,
    pub reward: f32,
    pub episode_return: f32,
}

/// Draw the observation `obs` (10x10x`names.len()`, flattened) into `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    names: &[&str],
    obs: &[f32],
    info: &FrameInfo,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    area.fill(&WHITE).map_err(e)?;
    let title = format!(
        "{}  step {}  reward {}  return {}",
        info.env_id, info.step, info.reward, info.episode_return
    );
    let (top_bar, body) = area.split_vertically(28);
    top_bar
        .draw(&Text::new(
            title,
            (8, 6),
            ("sans-serif", 16).into_font().color(&BLACK),
        ))
        .map_err(e)?;
    let (w, h) = body.dim_in_pixel();
    let cell = ((h.saturating_sub(16)) / 10).min(w * 2 / 3 / 10).max(1) as i32;
    let channels = names.len();
    let (x0, y0) = (8, 8);
    for y in 0..10 {
        for x in 0..10 {
            let base = (y * 10 + x) * channels;
            let colour = (0..channels)
                .find(|&c| obs[base + c] != 0.0)
                .map_or(EMPTY, |c| PALETTE[c]);
            let corner = (x0 + x as i32 * cell, y0 + y as i32 * cell);
            body.draw(&Rectangle::new(
                [corner, (corner.0 + cell - 1, corner.1 + cell - 1)],
                colour.filled(),
            ))
            .map_err(e)?;
        }
    }
    let legend_x = x0 + 10 * cell + 16;
    for (c, name) in names.iter().enumerate() {
        let y = y0 + c as i32 * 24;
        body.draw(&Rectangle::new(
            [(legend_x, y), (legend_x + 14, y + 14)],
            PALETTE[c].filled(),
        ))
        .map_err(e)?;
        body.draw(&Text::new(
            name.to_string(),
            (legend_x + 20, y),
            ("sans-serif", 14).into_font().color(&BLACK),
        ))
        .map_err(e)?;
    }
    Ok(())
}

/// A MinAtar game for `wgym render`: its observation grid.
struct MinAtarPicture(&'static [&'static str]);

/// The picture of a `*-MinAtar` id.
pub fn for_env(id: &str) -> Option<Box<dyn crate::picture::Picture>> {
    Some(Box::new(MinAtarPicture(channel_names(id)?)))
}

impl crate::picture::Picture for MinAtarPicture {
    fn size(&self) -> (u32, u32) {
        (560, 400)
    }

    fn delay_ms(&self) -> u32 {
        100
    }

    fn draw(
        &self,
        area: &crate::picture::Area<'_>,
        view: &crate::picture::View,
    ) -> Result<(), String> {
        let info = FrameInfo {
            env_id: view.env_id,
            step: view.frame().step,
            reward: view.frame().reward,
            episode_return: view.episode_return,
        };
        draw(area, self.0, view.obs, &info)
    }
}
