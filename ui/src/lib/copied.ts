/** What the person reads after a copy: what was copied and when the clipboard is cleared. */
export function copiedNotice(what: string, clearsAfterSeconds: number): string {
  return `${what} copied.${clearsAfterSeconds ? ` The clipboard is cleared in ${clearsAfterSeconds} s.` : ""}`;
}
