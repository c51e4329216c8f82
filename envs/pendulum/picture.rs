//! Pendulum-v1 for `wgym render`: the rod at its angle (0 points up, as in Gymnasium) and
//! the last torque as an arc around the pivot, its sweep proportional to the torque.

use plotters::prelude::*;

use crate::picture::{text, titled, world, Area, Picture, View};

use super::{PendulumParams, PendulumState};

struct PendulumPicture;

pub fn for_env(id: &str) -> Option<Box<dyn Picture>> {
    (id == "Pendulum-v1").then(|| Box::new(PendulumPicture) as Box<dyn Picture>)
}

impl Picture for PendulumPicture {
    fn draw(&self, area: &Area<'_>, view: &View) -> Result<(), String> {
        let body = titled(area, view)?;
        let p: PendulumParams = view.params();
        let s: PendulumState = view.state();
        let l = p.l as f64;
        let w = world(&body, -1.3 * l..1.3 * l, -1.3 * l..1.3 * l);
        let theta = s.theta as f64;
        let tip = (l * theta.sin(), l * theta.cos());
        w.draw(&PathElement::new(
            vec![(0.0, 0.0), tip],
            RGBColor(204, 77, 77).stroke_width(14),
        ))
        .map_err(text)?;
        // Positive torque turns counter-clockwise (theta grows towards -x).
        let sweep = (s.last_u / p.max_torque) as f64 * std::f64::consts::PI;
        let arc: Vec<(f64, f64)> = (0..=40)
            .map(|i| {
                let a = std::f64::consts::FRAC_PI_2 + sweep * i as f64 / 40.0;
                (0.35 * l * a.cos(), 0.35 * l * a.sin())
            })
            .collect();
        w.draw(&PathElement::new(
            arc,
            RGBColor(31, 119, 180).stroke_width(4),
        ))
        .map_err(text)?;
        w.draw(&Circle::new((0.0, 0.0), 5, BLACK.filled()))
            .map_err(text)
    }
}
