//! One OS keyring item (Secret Service on Linux), read, written and removed with "missing" as an
//! answer rather than an error, and keyring failures as [`ClientError::Keyring`].

use crate::ClientError;

type Result<T> = std::result::Result<T, ClientError>;

/// The keyring item with these `service` and `username` attributes.
pub(crate) struct KeyringItem(keyring::Entry);

impl KeyringItem {
    pub(crate) fn new(service: &str, user: &str) -> Result<Self> {
        keyring::Entry::new(service, user)
            .map(Self)
            .map_err(keyring_error)
    }

    /// The item's secret, or `None` when there is no such item.
    pub(crate) fn read(&self) -> Result<Option<String>> {
        match self.0.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    /// Stores `secret`, replacing the item's previous one.
    pub(crate) fn write(&self, secret: &str) -> Result<()> {
        self.0.set_password(secret).map_err(keyring_error)
    }

    /// Removes the item; one that is not there is already removed.
    pub(crate) fn remove(&self) -> Result<()> {
        match self.0.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        }
    }
}

fn keyring_error(err: keyring::Error) -> ClientError {
    ClientError::Keyring(err.to_string())
}
