import { randomBytes } from "node:crypto";
import { inputError } from "../errors.js";

/**
 * A plain-SQL archive is psql input, and psql input can hold meta-commands (`\! cmd` runs a
 * shell, `\copy … to program` too, `\o |cmd`, `\g |cmd`…). An archive is data, never code, so
 * every line is checked before psql gets it and the first meta-command refuses the archive.
 *
 * The lexer follows psql's own (psqlscan.l) far enough to know where a backslash is a
 * meta-command: outside quotes, dollar quotes, comments and COPY … FROM stdin data. Where the
 * meaning of a line depends on state the lexer cannot see (standard_conforming_strings set by the
 * server, a multi-byte client encoding whose characters may end in a backslash byte) the archive
 * is refused rather than guessed. As a second wall the stream starts with psql's own
 * `\restrict <random key>`, so a meta-command the lexer missed is refused by psql as well.
 */
export class PlainSqlGuard {
  private lineNo = 0;
  private inCopy = false;
  /** Inside a quoted construct that spans lines: `'`/`E'`/`"`/dollar tag/block comment. */
  private mode: { kind: "sql" } | Quoted = { kind: "sql" };
  /**
   * The start of the statement so far without comments nor the contents of strings and quoted
   * names: what decides COPY (capped, so an endless statement costs no memory).
   */
  private code = "";
  private codeCut = false;
  /** The statement's lines name client_encoding (or NAMES) / a multi-byte-unsafe encoding. */
  private namesEncoding = false;
  private namesUnsafe = false;
  private depth = 0;
  private atomic = false;
  /** Statements ended so far. */
  private statements = 0;
  readonly key = randomBytes(24).toString("hex");

  constructor(private readonly where: string) {}

  /** What psql reads first: restricted mode, left only with a key the archive cannot know. */
  prelude(): string {
    return `\\restrict ${this.key}\n`;
  }

  /** One line without its "\n" (latin1: bytes kept as they are). Returns what psql gets. */
  line(raw: string): string {
    this.lineNo++;
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (this.inCopy) {
      if (text === "\\.") this.inCopy = false;
      return raw;
    }
    if (/^\s*\\/.test(text)) {
      // pg_dump 15.14+ brackets its output with its own \restrict/\unrestrict: ours already holds.
      if (this.mode.kind === "sql" && /^\\(un)?restrict\s+[A-Za-z0-9]+\s*$/.test(text)) return "";
      this.refuse(text.indexOf("\\") + 1, "a psql meta-command");
    }
    if (this.ownerCandidate(text)) {
      const before = this.statements;
      this.lex(text);
      const one = this.statements === before + 1 && this.code.trim() === "";
      return one && this.mode.kind === "sql" ? "" : raw;
    }
    this.lex(text);
    return raw;
  }

  /**
   * A whole line that is one `ALTER … OWNER TO role;` statement, as pg_dump writes them: psql
   * loads the archive as drill's working role, which may not give its objects away (and the
   * source's roles do not exist here), so the statement is left out, like `pg_restore
   * --no-owner` does. Lexed all the same: dropped only when it is that one statement.
   */
  private ownerCandidate(text: string): boolean {
    const atStart = this.mode.kind === "sql" && this.code.trim() === "" && this.depth === 0;
    return atStart && !this.atomic && OWNER_TO.test(text);
  }

  /** Inside COPY … FROM stdin data: lines are passed on as they are until `\.`. */
  get copying(): boolean {
    return this.inCopy;
  }

  /** A data line (not the end line) passed on without being decoded. */
  copyLine(): void {
    this.lineNo++;
  }

  /** The next line is longer than the guard holds in memory. */
  lineTooLong(limit: number): never {
    this.lineNo++;
    this.refuse(1, `a line longer than ${limit / 1024 / 1024} MiB`);
  }

  /** At the end of the stream: an archive cut inside COPY data is incomplete. */
  end(): void {
    if (this.inCopy) this.refuse(1, "the archive ends inside COPY data (no \\. line)");
  }

  private refuse(col: number, what: string): never {
    throw inputError(
      "ARCHIVE_META_COMMAND",
      `${this.where}:${this.lineNo}:${col}: ${what} in a plain SQL archive: refused, nothing of it was run (an archive is data: only SQL and COPY data are loaded)`,
      "restore a dump made by pg_dump, or remove the psql commands (lines starting with a backslash) from the file",
    );
  }

  private lex(s: string): void {
    // By line, so a name is seen whole; a mention in a comment counts too (refusing is safe).
    if (/client_encoding|\bnames\b/i.test(s)) this.namesEncoding = true;
    if (MULTIBYTE_UNSAFE.test(s)) this.namesUnsafe = true;
    let i = 0;
    while (i < s.length) {
      if (this.mode.kind !== "sql") {
        i = this.inQuoted(s, i, this.mode);
        continue;
      }
      const c = s[i]!;
      const prev = i > 0 ? s[i - 1]! : " ";
      if (c === "\\") this.refuse(i + 1, "a psql meta-command");
      if (c === "-" && s[i + 1] === "-") break;
      if (c === "/" && s[i + 1] === "*") {
        this.mode = { kind: "comment", depth: 1 };
        this.add(" ");
        i += 2;
        continue;
      }
      if (c === "'") {
        // E'…' (backslash escapes), not the end of an identifier such as `name'…'`.
        const e = /[eE]/.test(prev) && !isIdent(s[i - 2] ?? " ");
        this.mode = { kind: e ? "escape" : "string" };
        this.add(c);
        i++;
        continue;
      }
      if (c === '"') {
        this.mode = { kind: "ident" };
        this.add(c);
        i++;
        continue;
      }
      if (c === "$" && !isIdent(prev)) {
        DOLLAR_TAG.lastIndex = i;
        const m = DOLLAR_TAG.exec(s);
        if (m) {
          this.mode = { kind: "dollar", tag: m[0] };
          this.add(m[0]);
          i += m[0].length;
          continue;
        }
      }
      if (c === "(") this.depth++;
      if (c === ")") this.depth = Math.max(0, this.depth - 1);
      if (c === ";" && this.depth === 0) {
        this.endStatement(s, i);
        i++;
        continue;
      }
      this.add(c);
      i++;
    }
    this.add("\n");
  }

  private add(text: string): void {
    if (this.code.length < CODE_CAP) this.code += text;
    else this.codeCut = true;
  }

  /** Scan inside a quoted construct from i; returns where scanning goes on. */
  private inQuoted(s: string, i: number, q: Quoted): number {
    if (q.kind === "comment") {
      while (i < s.length) {
        if (s.startsWith("/*", i)) {
          q.depth++;
          i += 2;
        } else if (s.startsWith("*/", i)) {
          i += 2;
          if (--q.depth === 0) {
            this.mode = { kind: "sql" };
            return i;
          }
        } else i++;
      }
      return i;
    }
    if (q.kind === "dollar") {
      const at = s.indexOf(q.tag, i);
      if (at < 0) return s.length;
      this.add(q.tag);
      this.mode = { kind: "sql" };
      return at + q.tag.length;
    }
    const quote = q.kind === "ident" ? '"' : "'";
    for (; i < s.length; i++) {
      const c = s[i]!;
      if (c === "\\" && q.kind === "escape") {
        i++;
        continue;
      }
      if (c === "\\" && q.kind === "string") {
        // `\'` ends the string when standard_conforming_strings is on and escapes the quote when
        // it is off, which the archive itself may switch: refuse what reads two ways.
        let run = 0;
        while (s[i + run] === "\\") run++;
        if (run % 2 === 1 && s[i + run] === "'")
          this.refuse(
            i + 1,
            "a backslash before a quote (its meaning depends on standard_conforming_strings)",
          );
        i += run - 1;
        continue;
      }
      if (c === quote) {
        if (s[i + 1] === quote) {
          i++;
          continue;
        }
        this.add(quote);
        this.mode = { kind: "sql" };
        return i + 1;
      }
    }
    return i;
  }

  private endStatement(s: string, i: number): void {
    const { code, codeCut, namesEncoding, namesUnsafe } = this;
    this.statements++;
    this.code = "";
    this.codeCut = this.namesEncoding = this.namesUnsafe = false;
    if (namesEncoding && namesUnsafe) {
      this.refuse(i + 1, "a client encoding whose characters can end in a backslash byte");
    }
    if (codeCut && /^\s*copy\b/i.test(code))
      this.refuse(i + 1, "a COPY statement too long to check");
    // psql sends nothing at a ";" inside a SQL function's BEGIN ATOMIC … END body.
    if (/\bbegin\s+atomic\b/i.test(code)) this.atomic = true;
    else if (/^\s*end\s*$/i.test(code)) this.atomic = false;
    if (COPY_FROM_STDIN.test(code)) {
      if (this.atomic) this.refuse(i + 1, "COPY … FROM stdin inside a BEGIN ATOMIC body");
      // psql reads the data from the next line on; anything after the ";" is ambiguous.
      const rest = s.slice(i + 1);
      if (rest.trim() !== "")
        this.refuse(
          i + 2 + rest.length - rest.trimStart().length,
          "text after a COPY … FROM stdin statement",
        );
      this.inCopy = true;
    }
  }
}

type Quoted =
  | { kind: "string" | "escape" | "ident" }
  | { kind: "dollar"; tag: string }
  | { kind: "comment"; depth: number };

/** psql reads data after `COPY <table> [(<columns>)] FROM stdin`, not after `COPY (<query>) …`. */
const COPY_FROM_STDIN = /^\s*copy\s+(only\s+)?[^\s(]+\s*(\([^()]*\))?\s*from\s+stdin\b/i;

/** pg_dump's ownership statements: `ALTER TABLE public.t OWNER TO postgres;`. */
const OWNER_TO = /^ALTER [A-Z ]+ .+ OWNER TO ("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*);$/;

const DOLLAR_TAG = /\$([A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\$/y;
const CODE_CAP = 64 * 1024;

const isIdent = (c: string) => /[A-Za-z0-9_$\x80-\xff]/.test(c);

/** Client encodings in which a multi-byte character may end with the byte of a backslash. */
const MULTIBYTE_UNSAFE =
  /\b(sjis|shift_jis\w*|mskanji|win932|big5|win950|gbk|win936|gb18030|uhc|win949|johab)\b/i;
