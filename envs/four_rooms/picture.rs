//! FourRooms-misc for `wgym render`: the map's walls, the goal cell and the agent.

use crate::picture::{cells, disc, titled, Area, Picture, View, AGENT, FLOOR, GOAL, WALL};

use super::{FourRoomsState, MAP};

struct FourRoomsPicture;

pub fn for_env(id: &str) -> Option<Box<dyn Picture>> {
    (id == "FourRooms-misc").then(|| Box::new(FourRoomsPicture) as Box<dyn Picture>)
}

impl Picture for FourRoomsPicture {
    fn draw(&self, area: &Area<'_>, view: &View) -> Result<(), String> {
        let body = titled(area, view)?;
        let s: FourRoomsState = view.state();
        let side = MAP.len() as u32;
        let wall = |r: u32, c: u32| MAP[r as usize].as_bytes()[c as usize] == b'#';
        let grid = cells(&body, side, side, &|r, c| {
            if wall(r, c) {
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
