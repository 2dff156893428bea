/** The sign-in providers' names as people know them ("google" → "Google"). */
const NAMES: Record<string, string> = { google: "Google", facebook: "Facebook", apple: "Apple" };

export function providerName(id: string): string {
  return NAMES[id] ?? id;
}
