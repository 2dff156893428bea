//! Storage, one module per table. Functions take any executor (the pool or a transaction) and
//! speak SQL that SQLite and PostgreSQL both run; times are Unix milliseconds.

pub mod accounts;
pub mod challenges;
pub mod devices;
pub mod oauth_codes;
pub mod oauth_requests;
pub mod rate_limits;
pub mod sms_sends;
pub mod social_identities;
pub mod statements;
pub mod suite_tokens;
pub mod tokens;
pub mod vault;
