//! Fixtures that the tests and benchmarks of every Keyhaven crate share (`publish = false`).
//!
//! It is not product code: nothing here ships. Start with [`service::service`] (the real
//! service in-process), [`vault_rows`] and [`lying_service::Proxy`].

use std::path::Path;

pub mod lying_service;
pub mod service;

use keyhaven_protocol::bytes::Bytes;
use keyhaven_protocol::vault::{CreateVault, KdfParams, KeyMaterial};

/// A vault as a client of the legacy protocol creates it on the service: key material without a
/// key check, no sealed state (the service reads none of it, so these bytes do).
pub fn legacy_create_vault() -> CreateVault {
    CreateVault {
        key_material: KeyMaterial {
            vault_id: uuid::Uuid::new_v4(),
            wrapped_vault_key: Bytes(vec![7; 60]),
            salt: Bytes(vec![9; 16]),
            kdf: KdfParams {
                memory_kib: 65_536,
                iterations: 3,
                parallelism: 4,
            },
            key_check: None,
        },
        state: None,
        no_other_fields: Default::default(),
    }
}

/// Every row of every table of a vault file, as text: "the vault is byte for byte as it was"
/// means this did not change (read through SQLite, so a write-ahead log counts too).
pub fn vault_rows(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).expect("the vault file opens");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect())
        .expect("the vault file lists its tables");
    let mut out = Vec::new();
    for table in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
            .expect("the table reads");
        let columns = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..columns)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .expect("the rows read");
        for row in rows {
            out.push(format!(
                "{table}: {}",
                row.expect("a row reads").join(" | ")
            ));
        }
    }
    out
}
