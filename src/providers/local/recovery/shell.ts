/** A word for /bin/sh: single-quoted, so nothing inside it is expanded. */
export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A value inside a postgresql.conf line: single-quoted, quotes doubled, no line breaks. */
export function confValue(s: string): string {
  if (/[\0\r\n]/.test(s)) throw new Error(`a configuration value may not hold line breaks`);
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}
