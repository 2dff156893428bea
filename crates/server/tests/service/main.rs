//! The Keyhaven Account service end to end over HTTP, on SQLite and on PostgreSQL: every rule of
//! accounts, SMS codes, sessions, devices and vault sync, by name.

mod common;

mod abuse;
mod accounts;
mod api;
mod devices;
mod dumps;
mod sessions;
mod sign_in_methods;
mod sms;
mod social;
mod suite;
mod vault;
