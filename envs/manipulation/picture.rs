//! One frame of a manipulation episode for `wgym render`: a top-down view (x right, y away
//! from the robot) beside a side view (y right, z up), with the TCP's trail, the goal and
//! its success radius, and the step's reward and success.

use glam::Vec3;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::world::{door_handle, object_point, opening, DOOR_HINGE, TCP_OFFSET};
use super::{ManipulationState, Task};

const HAND: RGBColor = RGBColor(214, 39, 40);
const TRAIL: RGBColor = RGBColor(240, 170, 170);
const GOAL: RGBColor = RGBColor(44, 160, 44);
const OBJECT: RGBColor = RGBColor(31, 119, 180);
const BODY: RGBColor = RGBColor(140, 100, 60);
const WALL: RGBColor = RGBColor(120, 120, 120);

/// What a frame shows besides the state.
pub struct FrameInfo<'a> {
    pub step: u32,
    pub reward: f32,
    pub success: bool,
    /// Earlier TCP positions of the episode.
    pub trail: &'a [Vec3],
}

/// The radius around the goal within which the task counts as solved (Meta-World's
/// thresholds), for the picture.
fn success_radius(task: Task) -> f32 {
    match task {
        Task::PickPlace | Task::PlateSlide => 0.07,
        Task::DrawerOpen => 0.03,
        Task::DrawerClose => 0.065,
        Task::DoorOpen => 0.08,
        Task::ButtonPressTopdown => 0.024,
        _ => 0.05,
    }
}

/// Draw the frame into `area` (any size; the two views split it).
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    task: Task,
    s: &ManipulationState,
    info: &FrameInfo,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let background = if info.success {
        RGBColor(232, 248, 232)
    } else {
        WHITE
    };
    area.fill(&background).map_err(e)?;
    let mark = if info.success { "  success" } else { "" };
    let title = format!(
        "{}  step {}  reward {:.2}{mark}",
        task.name(),
        info.step,
        info.reward
    );
    let (top_bar, views) = area.split_vertically(28);
    top_bar
        .draw(&Text::new(
            title,
            (8, 6),
            ("sans-serif", 18).into_font().color(&BLACK),
        ))
        .map_err(e)?;
    let (left, right) = views.split_horizontally(views.dim_in_pixel().0 / 2);
    view(&left, task, s, info, true).map_err(e)?;
    view(&right, task, s, info, false).map_err(e)?;
    Ok(())
}

/// The top-down (x, y) or side (y, z) view.
fn view<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    task: Task,
    s: &ManipulationState,
    info: &FrameInfo,
    top: bool,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (x_range, y_range, caption) = if top {
        (-0.55f32..0.55f32, 0.3f32..1.05f32, "top (x, y)")
    } else {
        (0.3f32..1.05f32, -0.02f32..0.5f32, "side (y, z)")
    };
    let chart = ChartBuilder::on(area)
        .margin(6)
        .caption(caption, ("sans-serif", 14))
        .build_cartesian_2d(x_range, y_range)?;
    // Project a world point onto this view's plane.
    let p = |v: Vec3| if top { (v.x, v.y) } else { (v.y, v.z) };
    let rect = |a: Vec3, b: Vec3, style: ShapeStyle| Rectangle::new([p(a), p(b)], style);
    let plot = chart.plotting_area();
    // Workspace and table.
    plot.draw(&rect(
        Vec3::new(-0.5, 0.4, 0.05) - TCP_OFFSET,
        Vec3::new(0.5, 1.0, 0.5) - TCP_OFFSET,
        RGBColor(200, 200, 200).stroke_width(1),
    ))?;
    if !top {
        plot.draw(&PathElement::new(
            vec![(0.3, 0.0), (1.05, 0.0)],
            BLACK.stroke_width(2),
        ))?;
    }
    let obj = Vec3::from(s.obj);
    let point = object_point(task, obj, s.joint);
    let goal = Vec3::from(s.goal);
    let px = |r: f32| {
        let (w, _) = plot.dim_in_pixel();
        (r / if top { 1.1 } else { 0.75 } * w as f32).max(2.0) as i32
    };
    // The goal and its success radius.
    plot.draw(&Circle::new(
        p(goal),
        px(success_radius(task)),
        GOAL.stroke_width(2),
    ))?;
    plot.draw(&Cross::new(p(goal), 5, GOAL.stroke_width(2)))?;
    // The task's body.
    match task {
        Task::Reach | Task::ReachWall | Task::Push | Task::PickPlace => {
            if task == Task::ReachWall {
                plot.draw(&rect(
                    Vec3::new(-0.02, 0.74, 0.0),
                    Vec3::new(0.22, 0.76, 0.12),
                    WALL.filled(),
                ))?;
            }
            let style = if task == Task::Reach || task == Task::ReachWall {
                OBJECT.mix(0.3).filled()
            } else {
                OBJECT.filled()
            };
            if top {
                plot.draw(&Circle::new(p(obj), px(0.02), style))?;
            } else {
                let h = Vec3::new(0.0, 0.02, 0.02);
                plot.draw(&rect(obj - h, obj + h, style))?;
            }
        }
        Task::PlateSlide => {
            let h = Vec3::new(0.05, 0.05, 0.015);
            plot.draw(&rect(obj - h, obj + h, OBJECT.filled()))?;
        }
        Task::ButtonPressTopdown => {
            let h = Vec3::new(0.05, 0.05, 0.0);
            plot.draw(&rect(
                obj - h,
                obj + h + Vec3::new(0.0, 0.0, 0.1),
                BODY.mix(0.5).filled(),
            ))?;
            let r = Vec3::new(0.02, 0.02, 0.0);
            let bottom = obj + Vec3::new(0.0, 0.0, 0.1);
            plot.draw(&rect(bottom - r, point + r, OBJECT.filled()))?;
        }
        Task::DrawerOpen | Task::DrawerClose => {
            // The case, and the drawer at its slide position with the handle in front.
            let case = obj + Vec3::new(0.0, 0.0, 0.0);
            plot.draw(&rect(
                case + Vec3::new(-0.11, -0.16, 0.0),
                case + Vec3::new(0.11, 0.06, 0.17),
                BODY.mix(0.3).filled(),
            ))?;
            let front = obj + Vec3::new(0.0, -0.16 + s.joint, 0.03);
            plot.draw(&rect(
                front + Vec3::new(-0.1, 0.0, 0.0),
                front + Vec3::new(0.1, 0.2, 0.11),
                BODY.filled(),
            ))?;
            plot.draw(&Circle::new(p(point), 4, OBJECT.filled()))?;
        }
        Task::DoorOpen => {
            let hinge = obj + DOOR_HINGE;
            let handle = door_handle(obj, s.joint);
            if top {
                plot.draw(&PathElement::new(
                    vec![p(hinge), p(handle)],
                    BODY.stroke_width(5),
                ))?;
            } else {
                let h = Vec3::new(0.0, 0.0, 0.15);
                plot.draw(&rect(hinge - h, handle + h, BODY.mix(0.6).filled()))?;
            }
            plot.draw(&Circle::new(p(point), 4, OBJECT.filled()))?;
        }
        Task::WindowOpen => {
            let frame = obj + Vec3::new(0.0, 0.0, 0.0);
            plot.draw(&rect(
                frame + Vec3::new(-0.15, -0.01, 0.0),
                frame + Vec3::new(0.35, 0.01, 0.3),
                BODY.mix(0.3).filled(),
            ))?;
            let sash = obj + Vec3::new(s.joint, 0.0, 0.0);
            plot.draw(&rect(
                sash + Vec3::new(-0.1, -0.03, 0.0),
                sash + Vec3::new(0.1, 0.0, 0.28),
                BODY.filled(),
            ))?;
            plot.draw(&Circle::new(p(point), 4, OBJECT.filled()))?;
        }
    }
    // The TCP's trail, the hand and the fingers (the opening apart along y).
    let tcp = Vec3::from(s.hand) - TCP_OFFSET;
    if info.trail.len() > 1 {
        plot.draw(&PathElement::new(
            info.trail.iter().map(|&v| p(v)).collect::<Vec<_>>(),
            TRAIL.stroke_width(2),
        ))?;
    }
    let half = 0.05 * opening(s.closed, s.held != 0);
    for side in [-1.0f32, 1.0] {
        let finger = tcp + Vec3::new(0.0, side * half, 0.0);
        let f = Vec3::new(0.006, 0.006, 0.0);
        plot.draw(&rect(finger - f, finger + f + TCP_OFFSET, HAND.filled()))?;
    }
    plot.draw(&Circle::new(p(tcp), 3, HAND.filled()))?;
    Ok(())
}

/// The single-task Manipulation-* envs for `wgym render`, with their scripted policy.
struct ManipulationPicture(Task);

/// The picture of a single-task `Manipulation-<task>` id.
pub fn for_env(id: &str) -> Option<Box<dyn crate::picture::Picture>> {
    let name = id.strip_prefix("Manipulation-")?;
    let task = super::TASKS.into_iter().find(|t| t.name() == name)?;
    Some(Box::new(ManipulationPicture(task)))
}

impl crate::picture::Picture for ManipulationPicture {
    fn size(&self) -> (u32, u32) {
        (640, 340)
    }

    fn delay_ms(&self) -> u32 {
        40
    }

    fn scripted(&self) -> Option<Box<crate::render::Policy>> {
        let task = self.0;
        Some(Box::new(move |obs: &[f32]| {
            super::scripted::action(task, obs)
                .iter()
                .map(|v| v.to_bits())
                .collect()
        }))
    }

    fn draw(
        &self,
        area: &crate::picture::Area<'_>,
        view: &crate::picture::View,
    ) -> Result<(), String> {
        let trail: Vec<Vec3> = view.frames[..=view.k]
            .iter()
            .map(|f| {
                let s: ManipulationState = bytemuck::pod_read_unaligned(&f.state);
                Vec3::from(s.hand) - TCP_OFFSET
            })
            .collect();
        let f = view.frame();
        let info = FrameInfo {
            step: f.step,
            reward: f.reward,
            success: f.success,
            trail: &trail,
        };
        draw(area, self.0, &view.state(), &info)
    }
}
