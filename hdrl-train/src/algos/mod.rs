//! The learners, one readable file each (config, network, loop): the strategic DQN, the
//! tactical PPO, the operational LSTM; their shared plumbing, training on a scenario, and
//! export to hdrl-infer weight files.

pub mod bc;
pub mod common;
pub mod dqn;
pub mod export;
pub mod lstm;
pub mod ppo;
pub mod train;
