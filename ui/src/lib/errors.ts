import type { CommandError } from "./bindings";

/** Words for the error codes the UI can meet; the Rust message is the fallback. */
const MESSAGES: Record<string, string> = {
  wrong_master_password: "That master password is not right. Check Caps Lock and try again.",
  weak_master_password: "This master password is too easy to guess.",
  vault_exists: "A vault already exists for you on this computer.",
  vault_corrupt: "The vault file is damaged and cannot be opened. It has not been changed.",
  vault_locked: "The vault is locked.",
};

/** A sentence for a person, from a command's `{ code, message }`. */
export function describeError(error: CommandError): string {
  const words = MESSAGES[error.code];
  if (error.code === "weak_master_password") return `${words} ${error.message.replace(/^.*guess: /, "")}`;
  return words ?? error.message;
}
