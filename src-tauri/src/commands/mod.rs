//! Tauri commands, one module per area.

pub mod app;
pub mod generator;
pub mod items;
pub mod vault;
