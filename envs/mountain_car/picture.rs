//! MountainCar-v0 and MountainCarContinuous-v0 for `wgym render`: the hill
//! y = 0.45 sin(3x) + 0.55 (Gymnasium's `_height`), the car on it, and the flag at the goal.

use plotters::prelude::*;

use crate::picture::{text, titled, world, Area, Picture, View};

use super::{MountainCarParams, MountainCarState};

struct MountainCarPicture;

pub fn for_env(id: &str) -> Option<Box<dyn Picture>> {
    matches!(id, "MountainCar-v0" | "MountainCarContinuous-v0")
        .then(|| Box::new(MountainCarPicture) as Box<dyn Picture>)
}

fn height(x: f64) -> f64 {
    0.45 * (3.0 * x).sin() + 0.55
}

impl Picture for MountainCarPicture {
    fn draw(&self, area: &Area<'_>, view: &View) -> Result<(), String> {
        let body = titled(area, view)?;
        let p: MountainCarParams = view.params();
        let s: MountainCarState = view.state();
        let (lo, hi) = (p.min_position as f64, p.max_position as f64);
        let w = world(&body, lo - 0.05..hi + 0.05, 0.0..1.2);
        let hill: Vec<(f64, f64)> = (0..=200)
            .map(|i| {
                let x = lo + (hi - lo) * i as f64 / 200.0;
                (x, height(x))
            })
            .collect();
        w.draw(&PathElement::new(hill, BLACK.stroke_width(2)))
            .map_err(text)?;
        let goal = p.goal_position as f64;
        let base = height(goal);
        w.draw(&PathElement::new(
            vec![(goal, base), (goal, base + 0.2)],
            BLACK.stroke_width(2),
        ))
        .map_err(text)?;
        w.draw(&Polygon::new(
            vec![
                (goal, base + 0.2),
                (goal, base + 0.14),
                (goal + 0.1, base + 0.17),
            ],
            RGBColor(255, 200, 0).filled(),
        ))
        .map_err(text)?;
        let x = s.position as f64;
        w.draw(&Circle::new(
            (x, height(x)),
            10,
            RGBColor(214, 39, 40).filled(),
        ))
        .map_err(text)
    }
}
