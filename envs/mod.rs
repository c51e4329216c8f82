//! Every environment family, one folder each, and the registry of env ids.

pub mod bandit;
pub mod four_rooms;

use std::sync::Arc;

use crate::env::Env;
use crate::error::{Error, Result};

/// A registered env id and how to build it with its defaults.
pub struct Registered {
    pub id: &'static str,
    pub make: fn() -> Arc<dyn Env>,
}

/// All registered envs, in display order.
pub fn registry() -> Vec<Registered> {
    vec![
        Registered {
            id: "BernoulliBandit-misc",
            make: || Arc::new(bandit::Bandit::bernoulli()),
        },
        Registered {
            id: "GaussianBandit-misc",
            make: || Arc::new(bandit::Bandit::gaussian()),
        },
        Registered {
            id: "FourRooms-misc",
            make: || Arc::new(four_rooms::FourRooms),
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
