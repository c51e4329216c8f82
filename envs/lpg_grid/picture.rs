//! The LPG grids for `wgym render`: walls, the agent, and each present object in its type's
//! colour, beside a legend of the types' rewards.

use plotters::prelude::*;

use crate::picture::{cells, disc, text, titled, Area, Picture, View, AGENT, FLOOR, WALL};

use super::{LpgParams, LpgState, MAX_TYPES, NO_CELL};

/// One colour per object type (matplotlib's tab10, without the agent's red).
const TYPE_COLOURS: [RGBColor; MAX_TYPES] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(227, 119, 194),
];

struct LpgPicture;

pub fn for_env(id: &str) -> Option<Box<dyn Picture>> {
    id.strip_prefix("LpgGrid-")
        .filter(|name| super::PRESETS.iter().any(|p| p.name == *name))
        .map(|_| Box::new(LpgPicture) as Box<dyn Picture>)
}

impl Picture for LpgPicture {
    fn size(&self) -> (u32, u32) {
        (600, 420)
    }

    fn draw(&self, area: &Area<'_>, view: &View) -> Result<(), String> {
        let body = titled(area, view)?;
        let p: LpgParams = view.params();
        let s: LpgState = view.state();
        let n = p.n;
        let (w, _) = body.dim_in_pixel();
        let (board, legend) = body.split_horizontally(w * 2 / 3);
        let grid = cells(&board, n, n, &|r, c| {
            if p.is_wall(r * n + c) {
                WALL
            } else {
                FLOOR
            }
        })?;
        for slot in 0..p.n_objs as usize {
            let cell = s.obj_pos[slot];
            if s.exists >> slot & 1 != 0 && cell != NO_CELL {
                let colour = TYPE_COLOURS[p.obj_type[slot] as usize % MAX_TYPES];
                disc(&board, grid, cell / n, cell % n, colour)?;
            }
        }
        disc(&board, grid, s.pos / n, s.pos % n, AGENT)?;
        let mut types: Vec<u32> = p.obj_type[..p.n_objs as usize].to_vec();
        types.sort_unstable();
        types.dedup();
        for (i, &t) in types.iter().enumerate() {
            let y = 8 + i as i32 * 24;
            let colour = TYPE_COLOURS[t as usize % MAX_TYPES];
            legend
                .draw(&Circle::new((14, y + 7), 7, colour.filled()))
                .map_err(text)?;
            legend
                .draw(&Text::new(
                    format!("reward {:+.1}", p.reward[t as usize]),
                    (28, y),
                    ("sans-serif", 14).into_font().color(&BLACK),
                ))
                .map_err(text)?;
        }
        Ok(())
    }
}
