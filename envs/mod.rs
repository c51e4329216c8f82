//! Every environment family, one folder each, and the registry of env ids.

pub mod acrobot;
pub mod bandit;
pub mod cartpole;
pub mod four_rooms;
pub mod lpg_grid;
pub mod manipulation;
pub mod meta_maze;
pub mod minatar;
pub mod mountain_car;
pub mod pendulum;
pub mod point_robot;

use std::sync::{Arc, Mutex};

use crate::env::Env;
use crate::error::{Error, Result};
use manipulation::{Manipulation, Task};

/// A registered env id and how to build it with its defaults.
#[derive(Clone, Copy)]
pub struct Registered {
    pub id: &'static str,
    pub make: fn() -> Arc<dyn Env>,
}

/// Envs registered at run time by [`register`] (a test's or an embedding program's).
static EXTRA: Mutex<Vec<Registered>> = Mutex::new(Vec::new());

/// Register one more env id for this process: [`registry`] and [`make`] list it after the
/// built-in ones. A registered id replaces nothing: an id already taken is an error.
pub fn register(entry: Registered) -> Result<()> {
    if registry().iter().any(|r| r.id == entry.id) {
        return Err(Error::invalid(
            "env registration",
            format!("the id {} is already registered", entry.id),
        ));
    }
    EXTRA.lock().unwrap_or_else(|e| e.into_inner()).push(entry);
    Ok(())
}

/// All registered envs, in display order.
pub fn registry() -> Vec<Registered> {
    let extra = EXTRA.lock().unwrap_or_else(|e| e.into_inner());
    builtin().into_iter().chain(extra.iter().copied()).collect()
}

fn builtin() -> Vec<Registered> {
    vec![
        Registered {
            id: "BernoulliBandit-misc",
            make: || Arc::new(bandit::Bandit::<2>::bernoulli()),
        },
        Registered {
            id: "GaussianBandit-misc",
            make: || Arc::new(bandit::Bandit::<2>::gaussian()),
        },
        Registered {
            id: "BernoulliBandit-5arm",
            make: || Arc::new(bandit::Bandit::<5>::bernoulli()),
        },
        Registered {
            id: "BernoulliBandit-10arm",
            make: || Arc::new(bandit::Bandit::<10>::bernoulli()),
        },
        Registered {
            id: "FourRooms-misc",
            make: || Arc::new(four_rooms::FourRooms),
        },
        Registered {
            id: "LpgGrid-dense",
            make: || Arc::new(lpg_grid::LpgGrid::new("dense").expect("an LPG preset")),
        },
        Registered {
            id: "LpgGrid-sparse",
            make: || Arc::new(lpg_grid::LpgGrid::new("sparse").expect("an LPG preset")),
        },
        Registered {
            id: "LpgGrid-long",
            make: || Arc::new(lpg_grid::LpgGrid::new("long").expect("an LPG preset")),
        },
        Registered {
            id: "LpgGrid-longer",
            make: || Arc::new(lpg_grid::LpgGrid::new("longer").expect("an LPG preset")),
        },
        Registered {
            id: "LpgGrid-long_dense",
            make: || Arc::new(lpg_grid::LpgGrid::new("long_dense").expect("an LPG preset")),
        },
        Registered {
            id: "LpgGrid-rand_dense",
            make: || Arc::new(lpg_grid::LpgGrid::new("rand_dense").expect("an LPG preset")),
        },
        Registered {
            id: "LpgGrid-rand_long",
            make: || Arc::new(lpg_grid::LpgGrid::new("rand_long").expect("an LPG preset")),
        },
        Registered {
            id: "LpgGrid-rand_small",
            make: || Arc::new(lpg_grid::LpgGrid::new("rand_small").expect("an LPG preset")),
        },
        Registered {
            id: "LpgGrid-rand_sparse",
            make: || Arc::new(lpg_grid::LpgGrid::new("rand_sparse").expect("an LPG preset")),
        },
        Registered {
            id: "LpgGrid-rand_very_dense",
            make: || Arc::new(lpg_grid::LpgGrid::new("rand_very_dense").expect("an LPG preset")),
        },
        Registered {
            id: "LpgGrid-all",
            make: || Arc::new(lpg_grid::LpgGrid::new("all").expect("an LPG preset")),
        },
        Registered {
            id: "LpgGrid-rand_all",
            make: || Arc::new(lpg_grid::LpgGrid::new("rand_all").expect("an LPG preset")),
        },
        Registered {
            id: "CartPole-v1",
            make: || Arc::new(cartpole::CartPole),
        },
        Registered {
            id: "Acrobot-v1",
            make: || Arc::new(acrobot::Acrobot),
        },
        Registered {
            id: "MountainCar-v0",
            make: || Arc::new(mountain_car::MountainCar),
        },
        Registered {
            id: "MountainCarContinuous-v0",
            make: || Arc::new(mountain_car::MountainCarContinuous),
        },
        Registered {
            id: "Pendulum-v1",
            make: || Arc::new(pendulum::Pendulum),
        },
        Registered {
            id: "MetaMaze-misc",
            make: || Arc::new(meta_maze::MetaMaze),
        },
        Registered {
            id: "PointRobot-misc",
            make: || Arc::new(point_robot::PointRobot),
        },
        Registered {
            id: "Asterix-MinAtar",
            make: || Arc::new(minatar::asterix::Asterix),
        },
        Registered {
            id: "Breakout-MinAtar",
            make: || Arc::new(minatar::breakout::Breakout),
        },
        Registered {
            id: "Freeway-MinAtar",
            make: || Arc::new(minatar::freeway::Freeway),
        },
        Registered {
            id: "SpaceInvaders-MinAtar",
            make: || Arc::new(minatar::space_invaders::SpaceInvaders),
        },
        Registered {
            id: "Manipulation-reach",
            make: || Arc::new(Manipulation::single(Task::Reach)),
        },
        Registered {
            id: "Manipulation-reach-wall",
            make: || Arc::new(Manipulation::single(Task::ReachWall)),
        },
        Registered {
            id: "Manipulation-push",
            make: || Arc::new(Manipulation::single(Task::Push)),
        },
        Registered {
            id: "Manipulation-pick-place",
            make: || Arc::new(Manipulation::single(Task::PickPlace)),
        },
        Registered {
            id: "Manipulation-button-press-topdown",
            make: || Arc::new(Manipulation::single(Task::ButtonPressTopdown)),
        },
        Registered {
            id: "Manipulation-drawer-open",
            make: || Arc::new(Manipulation::single(Task::DrawerOpen)),
        },
        Registered {
            id: "Manipulation-drawer-close",
            make: || Arc::new(Manipulation::single(Task::DrawerClose)),
        },
        Registered {
            id: "Manipulation-door-open",
            make: || Arc::new(Manipulation::single(Task::DoorOpen)),
        },
        Registered {
            id: "Manipulation-window-open",
            make: || Arc::new(Manipulation::single(Task::WindowOpen)),
        },
        Registered {
            id: "Manipulation-plate-slide",
            make: || Arc::new(Manipulation::single(Task::PlateSlide)),
        },
        Registered {
            id: "Manipulation-mt10",
            make: || Arc::new(Manipulation::multi_task()),
        },
    ]
}

/// Build a registered env by id.
pub fn make(id: &str) -> Result<Arc<dyn Env>> {
    let registry = registry();
    match registry.iter().find(|r| r.id == id) {
        Some(r) => Ok((r.make)()),
        None => Err(Error::UnknownEnv {
            id: id.to_string(),
            known: registry.iter().map(|r| r.id).collect::<Vec<_>>().join(", "),
        }),
    }
}
