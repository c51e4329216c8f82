//! PointRobot-misc for `wgym render`: the circle goals are drawn on, the goal with its
//! radius, and the point.

use plotters::prelude::*;

use crate::picture::{text, titled, world, Area, Picture, View, AGENT, GOAL};

use super::{PointRobotParams, PointRobotState};

struct PointRobotPicture;

pub fn for_env(id: &str) -> Option<Box<dyn Picture>> {
    (id == "PointRobot-misc").then(|| Box::new(PointRobotPicture) as Box<dyn Picture>)
}

/// A circle in world units as a closed path.
fn ring(centre: (f64, f64), radius: f64) -> Vec<(f64, f64)> {
    (0..=64)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / 64.0;
            (centre.0 + radius * a.cos(), centre.1 + radius * a.sin())
        })
        .collect()
}

impl Picture for PointRobotPicture {
    fn draw(&self, area: &Area<'_>, view: &View) -> Result<(), String> {
        let body = titled(area, view)?;
        let p: PointRobotParams = view.params();
        let s: PointRobotState = view.state();
        let extent = p.circle_radius as f64 + 2.0 * p.goal_radius as f64;
        let w = world(&body, -extent..extent, -extent..extent);
        w.draw(&PathElement::new(
            ring((0.0, 0.0), p.circle_radius as f64),
            RGBColor(180, 180, 180).stroke_width(1),
        ))
        .map_err(text)?;
        let goal = (s.goal_x as f64, s.goal_y as f64);
        w.draw(&Polygon::new(
            ring(goal, p.goal_radius as f64),
            GOAL.mix(0.3).filled(),
        ))
        .map_err(text)?;
        w.draw(&PathElement::new(
            ring(goal, p.goal_radius as f64),
            GOAL.stroke_width(2),
        ))
        .map_err(text)?;
        w.draw(&Circle::new(
            (s.pos_x as f64, s.pos_y as f64),
            7,
            AGENT.filled(),
        ))
        .map_err(text)
    }
}
