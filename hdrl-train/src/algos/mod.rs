//! The three learners, one readable file each (config, network, loop), plus shared plumbing.

pub mod common;
pub mod dqn;
pub mod lstm;
pub mod ppo;
