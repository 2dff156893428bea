import type { ItemContent, ItemDraft, ItemKind } from "./bindings";

/** What each kind of item is called on screen. */
export const KIND_LABELS: Record<ItemKind, string> = {
  login: "Login",
  secure_note: "Secure note",
  card: "Card",
  identity: "Identity",
  other: "Other",
};

/** Filter labels for each kind. */
export const KIND_PLURALS: Record<ItemKind, string> = {
  login: "Logins",
  secure_note: "Secure notes",
  card: "Cards",
  identity: "Identities",
  other: "Other items",
};

/** The kinds a person can create in this build. */
export const CREATABLE_KINDS = ["login", "secure_note", "card", "identity"] as const;
export type CreatableKind = (typeof CREATABLE_KINDS)[number];

/** An empty draft of the given kind, every field present. */
export function emptyDraft(kind: CreatableKind): ItemDraft {
  const content: Record<CreatableKind, ItemContent> = {
    login: { type: "login", username: "", password: "", urls: [], notes: "", totp_secret: null, custom_fields: [] },
    secure_note: { type: "secure_note", notes: "" },
    card: {
      type: "card",
      cardholder_name: "",
      number: "",
      expiry_month: null,
      expiry_year: null,
      security_code: "",
      brand: "",
      notes: "",
    },
    identity: {
      type: "identity",
      first_name: "",
      last_name: "",
      email: "",
      phone: "",
      company: "",
      address: "",
      city: "",
      postal_code: "",
      country: "",
      notes: "",
    },
  };
  return { title: "", content: content[kind], favourite: false, folder: null, tags: [] };
}
