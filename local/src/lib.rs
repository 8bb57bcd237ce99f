//! The local runner: `cargo run --release -p local` serves every system of
//! `template.yaml` at `http://127.0.0.1:3000/<system>/...`, on embedded
//! durable storage, with no Docker and no AWS account. See `docs/local-runner.md`.

mod activity;
pub mod auth;
#[cfg(feature = "aws")]
pub mod aws;
pub mod backend;
mod calls;
mod consumers;
mod contract;
mod control;
mod control_api;
pub mod faults;
mod gateway;
mod provision;
mod relays;
pub mod runner;
pub mod template;
mod web;
mod wiring;
