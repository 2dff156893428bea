//! Tauri commands, one module per area.

pub mod app;
pub mod generator;
pub mod vault;
