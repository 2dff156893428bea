//! Tauri commands, one module per area.

pub mod app;
