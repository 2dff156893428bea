//! Tauri commands, one module per area.

pub mod account;
pub mod app;
pub mod clipboard;
pub mod generator;
pub mod items;
pub mod reminders;
pub mod reveal;
pub mod settings;
pub mod transfer;
pub mod vault;
