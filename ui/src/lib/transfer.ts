import type { ColumnMap, ExportFormat, Format } from "./bindings";

/** What each import format is called, and which files it is. */
export const IMPORT_LABELS: Record<Format, string> = {
  bitwarden_json: "Bitwarden (.json)",
  bitwarden_csv: "Bitwarden (.csv)",
  one_password_1pux: "1Password (.1pux)",
  kdbx: "KeePass / KeePassXC database (.kdbx)",
  keepass_xml: "KeePass / KeePassXC (.xml)",
  keepass_xc_csv: "KeePassXC (.csv)",
  chrome_csv: "Chrome, Edge or Brave (.csv)",
  firefox_csv: "Firefox (.csv)",
  safari_csv: "Safari (.csv)",
  generic_csv: "Another CSV file (choose its columns)",
  keyhaven_encrypted: "Keyhaven encrypted export",
};

/** What each export format is called, and what the person should know of it. */
export const EXPORT_CHOICES: { format: ExportFormat; label: string; hint: string }[] = [
  {
    format: "keyhaven",
    label: "Keyhaven encrypted export",
    hint: "A backup any Keyhaven imports, sealed with a password you choose here.",
  },
  {
    format: "kdbx",
    label: "KeePass database (KDBX 4)",
    hint: "An offline copy KeePassXC opens, sealed with a password you choose here.",
  },
  {
    format: "bitwarden_json",
    label: "Bitwarden JSON (not encrypted)",
    hint: "For moving to another password manager. Anyone who gets the file can read every password.",
  },
  {
    format: "bitwarden_csv",
    label: "Bitwarden CSV (not encrypted)",
    hint: "Logins and notes only, readable by any spreadsheet: anyone who gets the file can read every password.",
  },
];

/** The columns a generic CSV can map, with the words the mapping shows. */
export const MAPPABLE: { key: keyof ColumnMap; label: string }[] = [
  { key: "title", label: "Title" },
  { key: "url", label: "Website" },
  { key: "username", label: "Username" },
  { key: "password", label: "Password" },
  { key: "notes", label: "Notes" },
  { key: "totp", label: "TOTP secret" },
  { key: "folder", label: "Folder" },
];

const KIND_NAMES: Record<string, string> = {
  login: "logins",
  secure_note: "secure notes",
  card: "cards",
  identity: "identities",
};

/** "12 logins, 3 cards" from the preview's counts by kind. */
export function kindCounts(byKind: Partial<Record<string, number>>): string {
  return Object.entries(byKind)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([kind, n]) => `${n} ${KIND_NAMES[kind] ?? kind}`)
    .join(", ");
}
