//! Tauri commands, one module per area.

pub mod account;
pub mod app;
pub mod clipboard;
pub mod codes;
pub mod generator;
pub mod health;
pub mod items;
pub mod reminders;
pub mod reveal;
pub mod settings;
pub mod transfer;
pub mod vault;
