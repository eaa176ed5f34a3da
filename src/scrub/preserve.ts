import type { Queryable } from "../db.js";
import { lit } from "./sql-literal.js";
import { CMD, grants, one, qualifiedOf } from "./preserve-sql.js";

export { captureCrossTable, type CrossTableDefinitions } from "./cross-table.js";

/**
 * Everything a table has besides its rows, captured as SQL before the rewrite and replayed on
 * the new table after the swap. Foreign keys (both directions) and dependent views are kept
 * apart: they span tables, so they are dropped before any swap and re-created after all.
 */
export interface TableDefinition {
  /** Statements to run on the new table once it carries the old name, in order. */
  restore: string[];
  /** Serial sequences owned by a column: detached before the old table is dropped. */
  detach: string[];
  unlogged: boolean;
}

export async function captureTable(
  db: Queryable,
  oid: number,
  qualified: string,
): Promise<TableDefinition> {
  const restore: string[] = [];
  const [rel] = await one<{
    persistence: string;
    rls: boolean;
    force: boolean;
    owner: string;
    options: string[] | null;
    replident: string;
    comment: string | null;
  }>(
    db,
    `select c.relpersistence::text as persistence, c.relrowsecurity as rls, c.relforcerowsecurity as force,
            quote_ident(pg_get_userbyid(c.relowner)) as owner, c.reloptions as options, c.relreplident::text as replident,
            obj_description(c.oid, 'pg_class') as comment
       from pg_class c where c.oid = $1`,
    [oid],
  );
  const cols = await one<{
    name: string;
    notnull: boolean;
    def: string | null;
    identity: string;
    seq: string | null;
    comment: string | null;
    acl: { grantee: string; priv: string; grantable: boolean }[] | null;
  }>(
    db,
    `select quote_ident(a.attname) as name, a.attnotnull as notnull, pg_get_expr(d.adbin, d.adrelid) as def,
            a.attidentity::text as identity,
            pg_get_serial_sequence($2, a.attname) as seq, col_description(a.attrelid, a.attnum) as comment,
            (select json_agg(json_build_object('grantee', case when x.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(x.grantee)) end,
                                               'priv', x.privilege_type, 'grantable', x.is_grantable))
               from aclexplode(a.attacl) x) as acl
       from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped order by a.attnum`,
    [oid, qualified],
  );
  const notNull = cols
    .filter((c) => c.notnull && c.identity === "")
    .map((c) => `alter column ${c.name} set not null`);
  if (notNull.length > 0) restore.push(`alter table ${qualified} ${notNull.join(", ")}`);
  const detach: string[] = [];
  for (const c of cols) {
    if (c.identity !== "" && c.seq) {
      const [s] = await one<{ opts: string }>(
        db,
        `select format('sequence name %s start with %s increment by %s minvalue %s maxvalue %s cache %s %s',
                       $1::text, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
                       case when s.seqcycle then 'cycle' else 'no cycle' end) as opts
           from pg_sequence s where s.seqrelid = $1::regclass`,
        [c.seq],
      );
      // The sequence name came from pg_get_serial_sequence: already quoted and qualified.
      const [state] = await one<{ last: string; called: boolean }>(
        db,
        `select last_value::text as last, is_called as called from ${c.seq}`,
        [],
      );
      restore.push(`alter table ${qualified} alter column ${c.name} set not null`);
      restore.push(
        `alter table ${qualified} alter column ${c.name} add generated ${c.identity === "a" ? "always" : "by default"} as identity (${s!.opts})`,
      );
      restore.push(`select setval(${lit(c.seq)}, ${state!.last}, ${state!.called})`);
    } else if (c.seq) {
      detach.push(`alter sequence ${c.seq} owned by none`);
      restore.push(`alter sequence ${c.seq} owned by ${qualified}.${c.name}`);
    }
    if (c.def !== null && c.identity === "")
      restore.push(`alter table ${qualified} alter column ${c.name} set default ${c.def}`);
    if (c.comment !== null)
      restore.push(`comment on column ${qualified}.${c.name} is ${lit(c.comment)}`);
  }

  const cons = await one<{ name: string; def: string; comment: string | null }>(
    db,
    `select quote_ident(conname) as name, pg_get_constraintdef(oid) as def, obj_description(oid, 'pg_constraint') as comment
       from pg_constraint where conrelid = $1 and contype in ('p', 'u', 'x', 'c')
      order by position(contype::text in 'puxc'), conname`,
    [oid],
  );
  for (const c of cons) {
    restore.push(`alter table ${qualified} add constraint ${c.name} ${c.def}`);
    if (c.comment !== null)
      restore.push(`comment on constraint ${c.name} on ${qualified} is ${lit(c.comment)}`);
  }
  const indexes = await one<{
    def: string;
    name: string;
    comment: string | null;
    clustered: boolean;
  }>(
    db,
    `select pg_get_indexdef(i.indexrelid) as def, ${qualifiedOf("")} as name, obj_description(i.indexrelid, 'pg_class') as comment,
            i.indisclustered as clustered
       from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
      where i.indrelid = $1 and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = $1)
      order by c.relname`,
    [oid],
  );
  for (const i of indexes) {
    restore.push(i.def);
    if (i.comment !== null) restore.push(`comment on index ${i.name} is ${lit(i.comment)}`);
  }
  for (const i of await one<{ name: string }>(
    db,
    `select quote_ident(c.relname) as name from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = $1 and i.indisclustered`,
    [oid],
  ))
    restore.push(`alter table ${qualified} cluster on ${i.name}`);

  const triggers = await one<{
    def: string;
    name: string;
    enabled: string;
    comment: string | null;
  }>(
    db,
    `select pg_get_triggerdef(oid) as def, quote_ident(tgname) as name, tgenabled::text as enabled, obj_description(oid, 'pg_trigger') as comment
       from pg_trigger where tgrelid = $1 and not tgisinternal order by tgname`,
    [oid],
  );
  for (const t of triggers) {
    restore.push(t.def);
    const mode = { D: "disable", R: "enable replica", A: "enable always" }[t.enabled];
    if (mode) restore.push(`alter table ${qualified} ${mode} trigger ${t.name}`);
    if (t.comment !== null)
      restore.push(`comment on trigger ${t.name} on ${qualified} is ${lit(t.comment)}`);
  }

  restore.push(`alter table ${qualified} owner to ${rel!.owner}`);
  restore.push(...(await grants(db, oid, qualified)));
  for (const c of cols)
    for (const g of c.acl ?? [])
      restore.push(
        `grant ${g.priv} (${c.name}) on ${qualified} to ${g.grantee}${g.grantable ? " with grant option" : ""}`,
      );
  if (rel!.rls) restore.push(`alter table ${qualified} enable row level security`);
  if (rel!.force) restore.push(`alter table ${qualified} force row level security`);
  const policies = await one<{
    name: string;
    permissive: boolean;
    cmd: string;
    roles: string;
    qual: string | null;
    check: string | null;
  }>(
    db,
    `select quote_ident(polname) as name, polpermissive as permissive, polcmd::text as cmd,
            (select string_agg(case when r = 0 then 'public' else quote_ident(pg_get_userbyid(r)) end, ', ') from unnest(polroles) r) as roles,
            pg_get_expr(polqual, polrelid) as qual, pg_get_expr(polwithcheck, polrelid) as check
       from pg_policy where polrelid = $1 order by polname`,
    [oid],
  );
  for (const p of policies)
    restore.push(
      `create policy ${p.name} on ${qualified} as ${p.permissive ? "permissive" : "restrictive"} for ${CMD[p.cmd] ?? "all"} to ${p.roles}${p.qual ? ` using (${p.qual})` : ""}${p.check ? ` with check (${p.check})` : ""}`,
    );
  if (rel!.options) restore.push(`alter table ${qualified} set (${rel!.options.join(", ")})`);
  if (rel!.replident === "f") restore.push(`alter table ${qualified} replica identity full`);
  if (rel!.replident === "n") restore.push(`alter table ${qualified} replica identity nothing`);
  for (const r of await one<{ name: string }>(
    db,
    `select quote_ident(c.relname) as name from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = $1 and i.indisreplident`,
    [oid],
  ))
    restore.push(`alter table ${qualified} replica identity using index ${r.name}`);
  if (rel!.comment !== null) restore.push(`comment on table ${qualified} is ${lit(rel!.comment)}`);
  // Tables with generated columns never come here: they are rewritten in place (in-place.ts).
  return { restore, detach, unlogged: rel!.persistence === "u" };
}
