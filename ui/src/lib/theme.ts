/** What the person picked: follow the system, or force light or dark. */
export type ThemeChoice = "system" | "light" | "dark";

const DARK_QUERY = "(prefers-color-scheme: dark)";

/**
 * Sets `data-theme` on the root element to "light" or "dark" (theme.css keys its palette on it),
 * following the system while the choice is "system". Returns a function that stops following.
 */
export function applyTheme(choice: ThemeChoice, root: HTMLElement = document.documentElement): () => void {
  const media = window.matchMedia(DARK_QUERY);
  const apply = () => {
    root.dataset.theme = choice === "system" ? (media.matches ? "dark" : "light") : choice;
  };
  apply();
  if (choice !== "system") return () => {};
  media.addEventListener("change", apply);
  return () => media.removeEventListener("change", apply);
}

let stopFollowing: () => void = () => {};

/** Switches the whole window to `choice` (the Settings screen and startup use this). */
export function setTheme(choice: ThemeChoice): void {
  stopFollowing();
  stopFollowing = applyTheme(choice);
}
