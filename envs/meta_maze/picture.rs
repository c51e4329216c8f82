//! MetaMaze-misc for `wgym render`: the maze's walls, the hidden goal's cell and the agent.

use crate::picture::{cells, disc, titled, Area, Picture, View, AGENT, FLOOR, GOAL, WALL};

use super::{is_wall, MetaMazeState, SIDE};

struct MetaMazePicture;

pub fn for_env(id: &str) -> Option<Box<dyn Picture>> {
    (id == "MetaMaze-misc").then(|| Box::new(MetaMazePicture) as Box<dyn Picture>)
}

impl Picture for MetaMazePicture {
    fn draw(&self, area: &Area<'_>, view: &View) -> Result<(), String> {
        let body = titled(area, view)?;
        let s: MetaMazeState = view.state();
        let grid = cells(&body, SIDE, SIDE, &|r, c| {
            if is_wall(r, c) {
                WALL
            } else if (r, c) == (s.goal_row, s.goal_col) {
                GOAL
            } else {
                FLOOR
            }
        })?;
        disc(&body, grid, s.row, s.col, AGENT)
    }
}
