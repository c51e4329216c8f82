//! CartPole-v1 for `wgym render`: the track with its limits, the cart, and the pole at its
//! angle (as Gymnasium draws it: the pole's full length is twice `length`).

use plotters::prelude::*;

use crate::picture::{text, titled, world, Area, Picture, View};

use super::{CartPoleParams, CartPoleState};

struct CartPolePicture;

pub fn for_env(id: &str) -> Option<Box<dyn Picture>> {
    (id == "CartPole-v1").then(|| Box::new(CartPolePicture) as Box<dyn Picture>)
}

impl Picture for CartPolePicture {
    fn draw(&self, area: &Area<'_>, view: &View) -> Result<(), String> {
        let body = titled(area, view)?;
        let p: CartPoleParams = view.params();
        let s: CartPoleState = view.state();
        let limit = p.x_threshold as f64;
        let w = world(&body, -limit * 1.25..limit * 1.25, -0.5..1.7);
        let (x, theta) = (s.x as f64, s.theta as f64);
        let grey = RGBColor(120, 120, 120);
        w.draw(&PathElement::new(
            vec![(-limit, 0.0), (limit, 0.0)],
            grey.stroke_width(2),
        ))
        .map_err(text)?;
        for edge in [-limit, limit] {
            w.draw(&PathElement::new(
                vec![(edge, -0.1), (edge, 0.1)],
                grey.stroke_width(2),
            ))
            .map_err(text)?;
        }
        let (half_w, h) = (0.25, 0.3);
        w.draw(&Rectangle::new(
            [(x - half_w, 0.0), (x + half_w, h)],
            RGBColor(31, 119, 180).filled(),
        ))
        .map_err(text)?;
        let pole = 2.0 * p.length as f64;
        let tip = (x + pole * theta.sin(), h + pole * theta.cos());
        w.draw(&PathElement::new(
            vec![(x, h), tip],
            RGBColor(202, 152, 101).stroke_width(8),
        ))
        .map_err(text)?;
        w.draw(&Circle::new((x, h), 4, BLACK.filled()))
            .map_err(text)
    }
}
