import type { CommandError } from "./bindings";

/** "42 s", "3 min", "1 h 5 min": a wait a person can plan with. */
export function waitText(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

type Words = string | ((error: CommandError) => string);

const wait = (error: CommandError, what: string) =>
  error.retry_after_seconds ? `${what} in ${waitText(error.retry_after_seconds)}.` : `${what} in a little while.`;

/** Said when a sign-in step asks for the newer Web-Portal Statement first. */
export const STATEMENT_NEEDED = "A new version of the Web-Portal Statement needs your acceptance before you sign in.";

/** A message from Rust as a sentence: capital first letter, full stop at the end. */
const sentence = (e: CommandError) => {
  const text = e.message.charAt(0).toUpperCase() + e.message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
};

/** Words for the error codes the UI can meet; the Rust message is the fallback. */
const MESSAGES: Record<string, Words> = {
  import_wrong_password: (e) => `${sentence(e)} Check it and try again; nothing was imported.`,
  import_wrong_format: (e) => `${sentence(e)} Choose the format the file is in; nothing was imported.`,
  import_file_changed: (e) => `${sentence(e)} Nothing was imported.`,
  import_file_too_large: sentence,
  import_encrypted_bitwarden: sentence,
  import_password_needed: sentence,
  import_wrong_key_file: sentence,
  file_unreadable: sentence,
  weak_export_password: (e) =>
    `This password is too easy to guess for a file that anyone could copy. ${e.message.replace(/^.*guess: /, "")}`,
  invalid_totp_secret: (e) => `${sentence(e)} Paste the otpauth:// address or the secret key the website shows.`,
  qr_code_not_found: "No QR code was found in that image. Choose a sharper picture of the whole code.",
  qr_code_not_a_secret: sentence,
  qr_image_unreadable: sentence,
  leak_check_off: "Checking for leaked passwords is off. Turn it on first.",
  leak_check_unreachable: sentence,
  leak_check_bad_answer: sentence,
  leak_check_endpoint: sentence,
  wrong_master_password: "That master password is not right. Check Caps Lock and try again.",
  weak_master_password: (e) => `This master password is too easy to guess. ${e.message.replace(/^.*guess: /, "")}`,
  vault_exists: "A vault already exists for you on this computer.",
  vault_corrupt: "The vault file is damaged and cannot be opened. It has not been changed.",
  vault_locked: "The vault is locked.",
  vault_differs:
    "This computer already has another vault than your account's. Nothing was changed; sign out or use another account.",
  vault_linked_elsewhere: "This computer's vault syncs with another Keyhaven Account.",
  offline: "Keyhaven Account cannot be reached. Check your connection; nothing is lost, and you can try again.",
  invalid_credentials: "That email and account password do not match an account. Check both and try again.",
  account_not_active: "This account was never confirmed with its SMS code. Create it again to get a new code.",
  too_many_sign_in_attempts: (e) => `Too many sign-in attempts. ${wait(e, "You can try again")}`,
  email_taken: "An account with this email already exists. Sign in instead.",
  invalid_email: "That does not look like an email address.",
  invalid_phone: "Enter the mobile number in international form, starting with + and the country code (e.g. +44 7700 900123).",
  weak_password: (e) => e.message,
  statement_not_accepted: "Please read the Web-Portal Statement and tick the box to accept it.",
  statement_acceptance_required: STATEMENT_NEEDED,
  sms_code_invalid: (e) =>
    e.tries_left === 1
      ? "That code is not right. You have 1 try left before the code stops working."
      : `That code is not right. You have ${e.tries_left ?? "a few"} tries left.`,
  sms_code_expired: "This code has expired. Send a new one.",
  sms_code_burned: "This code was entered wrongly too many times and no longer works. Send a new one.",
  sms_resend_too_soon: (e) => `A code was sent a moment ago. ${wait(e, "You can ask for a new one")}`,
  sms_hourly_limit: (e) => `That is as many codes as we can send in an hour. ${wait(e, "You can ask again")}`,
  sms_delivery_failed: "The SMS could not be sent just now. Wait a moment and send a new code.",
  challenge_not_found: "This sign-in has ended. Start again.",
  sign_in_required: "This computer is no longer signed in to Keyhaven Account. Sign in again.",
  unsynced_changes: (e) => `${e.message.replace(/;.*$/, ".")} Sync first (or keep the local copy), so that nothing is lost.`,
  invalid_grant: "This sign-in did not complete in time or was already used. Start it again.",
  link_required: "An account with this email already exists. Enter its account password once to add this way of signing in.",
  sign_up_required: "No Keyhaven Account uses this sign-in yet. Accept the Web-Portal Statement and give a mobile number to create one.",
  no_linked_account: "No Keyhaven Account uses this sign-in, and the provider did not confirm an email to create one with.",
  browser_sign_in_cancelled: "You cancelled the sign-in in your browser. Nothing was signed in.",
  browser_sign_in_failed: (e) => `The sign-in provider could not sign you in (${e.message.replace(/^.*: /, "")}). Try again, or sign in with your email.`,
  browser_sign_in_state_mismatch:
    "Your browser came back with a sign-in Keyhaven did not start, so it was ignored. Nothing was signed in; start again.",
  browser_sign_in_timed_out: "Keyhaven waited 5 minutes and your browser did not come back. Nothing was signed in; start again.",
  browser_sign_in_listener: "Keyhaven cannot receive the browser's answer on this computer. Sign in with your email instead.",
  suite_session_invalid: "The other Keyhaven app's sign-in on this computer has ended. Sign in another way.",
  shared_account_unconfirmed:
    "Another user of this computer uses this account. Confirm that you want to share every password with them, or use a separate account.",
  keyring_unavailable: "The system keyring (where Keyhaven keeps your sign-in) is not available. Unlock it or start it, then try again.",
  master_password_changed: (e) =>
    `Your master password was changed on another device (${e.message.replace(/^the master password was changed on /, "").replace(/: enter the new one$/, "")}). Enter the new one.`,
  key_material_tampered:
    "Your master password is right, but the vault key Keyhaven Account sent does not open with it: it was changed on the service. Nothing was written on this computer.",
  vault_state_mismatch: (e) => e.message,
  vault_rolled_back: (e) => e.message,
  vault_state_missing: (e) => e.message,
  key_material_mismatch: (e) => e.message,
  vault_state_required: "This vault is protected by a newer Keyhaven. Update Keyhaven on this device to sync it.",
};

/** A sentence for a person, from a command's `{ code, message }` (and its numbers). */
export function describeError(error: CommandError): string {
  const words = MESSAGES[error.code];
  if (typeof words === "function") return words(error);
  return words ?? error.message;
}
