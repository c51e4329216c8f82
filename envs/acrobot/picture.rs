//! Acrobot-v1 for `wgym render`: the two links hanging from the pivot (angles 0 point
//! straight down, as in Gymnasium) and the height the tip must pass.

use plotters::prelude::*;

use crate::picture::{text, titled, world, Area, Picture, View};

use super::{AcrobotParams, AcrobotState};

struct AcrobotPicture;

pub fn for_env(id: &str) -> Option<Box<dyn Picture>> {
    (id == "Acrobot-v1").then(|| Box::new(AcrobotPicture) as Box<dyn Picture>)
}

impl Picture for AcrobotPicture {
    fn draw(&self, area: &Area<'_>, view: &View) -> Result<(), String> {
        let body = titled(area, view)?;
        let p: AcrobotParams = view.params();
        let s: AcrobotState = view.state();
        let (l1, l2) = (p.link_length_1 as f64, p.link_length_2 as f64);
        let reach = (l1 + l2) * 1.1;
        let w = world(&body, -reach..reach, -reach..reach);
        // The goal: the tip above this height (one link length above the pivot).
        w.draw(&PathElement::new(
            vec![(-reach, l1), (reach, l1)],
            RGBColor(44, 160, 44).stroke_width(2),
        ))
        .map_err(text)?;
        let (t1, t2) = (s.theta1 as f64, s.theta2 as f64);
        let elbow = (l1 * t1.sin(), -l1 * t1.cos());
        let tip = (
            elbow.0 + l2 * (t1 + t2).sin(),
            elbow.1 - l2 * (t1 + t2).cos(),
        );
        let link = RGBColor(31, 119, 180).stroke_width(10);
        w.draw(&PathElement::new(vec![(0.0, 0.0), elbow], link))
            .map_err(text)?;
        w.draw(&PathElement::new(vec![elbow, tip], link))
            .map_err(text)?;
        for joint in [(0.0, 0.0), elbow] {
            w.draw(&Circle::new(joint, 6, RGBColor(255, 127, 14).filled()))
                .map_err(text)?;
        }
        Ok(())
    }
}
