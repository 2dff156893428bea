//! Delivering SMS security codes. Two providers behind one trait: the outbox (a file and a log
//! line, the default) and a Twilio-Verify-compatible HTTP API.

mod outbox;
mod twilio;

pub use outbox::Outbox;
pub use twilio::TwilioVerify;

use crate::config::{Config, SmsProviderKind};

/// A provider could not take the message.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("writing the SMS outbox failed: {0}")]
    Outbox(#[from] std::io::Error),
    #[error("the SMS carrier failed: {0}")]
    Carrier(String),
}

/// Sends one security code to one phone number.
#[async_trait::async_trait]
pub trait SmsProvider: Send + Sync {
    /// Delivers `code` to `phone` (E.164).
    async fn send(&self, phone: &str, code: &str) -> Result<(), SmsError>;
}

/// The provider the configuration names.
pub fn from_config(config: &Config) -> Result<Box<dyn SmsProvider>, SmsError> {
    match (config.sms.provider, &config.sms.twilio) {
        (SmsProviderKind::Twilio, Some(twilio)) => Ok(Box::new(TwilioVerify::new(twilio.clone())?)),
        _ => Ok(Box::new(Outbox::new(config.outbox_path()))),
    }
}

/// A phone number as logs and clients may show it: `+…23`.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(2)..].iter().collect();
    format!("+…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_phones_keep_only_the_last_two_digits() {
        assert_eq!(mask_phone("+447700900123"), "+…23");
        assert_eq!(mask_phone("+1"), "+…1");
    }
}
