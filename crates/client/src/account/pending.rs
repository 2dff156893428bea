//! What a step leaves for the next one: the SMS code being waited for, or the browser's one-time
//! code that the service wants more for. Serializable, so that the CLI keeps it between runs.

use keyhaven_protocol::accounts::SmsChallenge;
use serde::{Deserialize, Serialize};

use crate::browser_sign_in::BrowserCode;

/// The step in progress.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pending {
    /// An SMS code was sent and is waited for.
    Code(PendingCode),
    /// The browser came back; the service asked for more before it signs in.
    Browser(PendingBrowser),
}

/// An SMS code on its way.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingCode {
    pub service_url: String,
    /// Who is signing in, as the program says it ("ada@example.com", "your Google sign-in").
    pub who: String,
    pub challenge: SmsChallenge,
    pub purpose: CodePurpose,
    /// Publish the suite session once signed in (`keyhaven account login --share-with-apps`).
    #[serde(default)]
    pub share_with_apps: bool,
}

/// What the code confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodePurpose {
    /// A new account (a sign-up's challenge id lets the same screen correct the number).
    SignUp,
    SignIn,
    PhoneChange,
    /// An account password for an account that had none.
    AddPassword,
}

/// A browser sign-in's code that the service keeps while it waits for more from the person.
#[derive(Debug, Serialize, Deserialize)]
pub struct PendingBrowser {
    pub service_url: String,
    pub provider: String,
    pub code: BrowserCode,
    #[serde(default)]
    pub share_with_apps: bool,
}
