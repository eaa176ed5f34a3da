import type { ConnectionInfo } from "../../src/types.js";
import { withSession } from "../../src/db.js";

/**
 * A production whose code tries to reach a shell (see superuser-code.test.ts): every vector calls
 * `drill_evil`, which reports the call to a witness database over dblink (as any role may with a
 * password) and then tries `COPY … TO PROGRAM 'touch <markers>/<vector>-<port>'`.
 */
export interface Attempt {
  vector: string;
  who: string;
  superuser: boolean;
  port: number;
}

export interface Witness {
  /** libpq connection string of the witness database. */
  url: string;
  /** The folder markers are touched in (writable by the server's OS user). */
  markers: string;
}

/** The hostile objects; `drill_evil` is disarmed while the rows go in, armed afterwards. */
function hostileSql(armed: boolean, w: Witness): string {
  const body = armed
    ? `begin
         begin
           perform public.dblink_exec(${lit(w.url)}, pg_catalog.format(
             'insert into attempts (vector, who, superuser, port) values (%L, %L, %L, %s)',
             vector, current_user,
             (select rolsuper from pg_catalog.pg_roles where rolname = current_user),
             pg_catalog.inet_server_port()));
         exception when others then null;
         end;
         begin
           execute pg_catalog.format('copy (select 1) to program %L',
             'cat >/dev/null; touch ${w.markers}/' || vector || '-' || pg_catalog.inet_server_port());
         exception when others then null;
         end;
         return true;
       end`
    : "begin return true; end";
  const fn = `create or replace function public.drill_evil(vector text) returns boolean
    language plpgsql volatile as $f$ ${body} $f$;`;
  if (armed) return fn;
  const calls = (name: string, vector: string, extra = "") =>
    `create function public.${name}(v text) returns text language plpgsql immutable ${extra}
       as $f$ begin perform public.drill_evil('${vector}'); return v; end $f$;`;
  return `
    create extension if not exists dblink;
    ${fn}
    ${calls("drill_index", "index")}
    ${calls("drill_definer", "definer", "security definer")}
    ${calls("drill_generated", "generated")}
    create function public.drill_trigger() returns trigger language plpgsql as
      $f$ begin perform public.drill_evil('trigger'); return coalesce(new, old); end $f$;
    create function public.drill_event() returns event_trigger language plpgsql as
      $f$ begin perform public.drill_evil('event'); end $f$;
    create table hostile_swap (
      id int primary key,
      note text not null check (public.drill_evil('check')),
      extra text default (case when public.drill_evil('default') then 'd' end)
    );
    create index on hostile_swap ((public.drill_index(note)));
    create index on hostile_swap ((public.drill_definer(note)));
    create trigger hostile_trigger before insert or update or delete on hostile_swap
      for each row execute function public.drill_trigger();
    insert into hostile_swap (id, note) select g, 'note ' || g from generate_series(1, 3) g;
    create table hostile_generated (
      id int primary key,
      note text,
      g text generated always as (public.drill_generated(note)) stored
    );
    insert into hostile_generated (id, note) values (1, 'a'), (2, 'b');
    create materialized view hostile_mv as
      select id, public.drill_evil('matview') as x from hostile_swap;`;
}

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Make `database` hostile as its superuser; the positive control runs the attack as that superuser. */
export async function makeHostile(superuser: ConnectionInfo, w: Witness): Promise<void> {
  await withSession(superuser, (db) => db.query(hostileSql(false, w)));
  await withSession(superuser, (db) => db.query(hostileSql(true, w)));
  // Last: from here on every DDL statement in production fires it (as production's business).
  await withSession(superuser, (db) =>
    db.query(
      "create event trigger drill_event on ddl_command_end execute function public.drill_event()",
    ),
  );
  await withSession(superuser, (db) => db.query("select public.drill_evil('control')"));
}

export const SCRUBBER_TABLES = `
  hostile_swap:
    id: keep
    note: { fake: lorem.sentence }
    extra: keep
  hostile_generated:
    id: keep
    note: { fake: lorem.word }
`;
export const CHECKS = `
  - verify:
      checks:
        - rowCount: { table: hostile_swap, min: 3 }
        - constraints: {}
        - amcheck: {}
        - sql: { name: the view reads, query: "select count(*) from hostile_mv", expect: 3 }
`;
