import type { Queryable } from "../db.js";
import { grants, one, qualifiedOf } from "./preserve-sql.js";
import { lit } from "./sql-literal.js";

export interface CrossTableDefinitions {
  /** `alter table … drop constraint …` for every foreign key touching a rewritten table. */
  dropForeignKeys: string[];
  addForeignKeys: string[];
  dropViews: string[];
  createViews: string[];
  /** Materialized views among the re-created ones (qualified): fresh, not refreshed again. */
  materialized: string[];
}

/**
 * Foreign keys in both directions touching any of `oids` or `inPlace`, and views depending on
 * any of `oids` (swapped tables). Tables rewritten in place keep their views (their materialized
 * views are refreshed with every other one at the end) but not their foreign keys: TRUNCATE
 * refuses a referenced table. A partitioned table's key is dropped once, on the root (its
 * partitions' clones go with it).
 */
export async function captureCrossTable(
  db: Queryable,
  oids: number[],
  inPlace: number[] = [],
): Promise<CrossTableDefinitions> {
  const fks = await one<{ tbl: string; name: string; def: string; comment: string | null }>(
    db,
    `select ${qualifiedOf("")} as tbl, quote_ident(k.conname) as name, pg_get_constraintdef(k.oid) as def,
            obj_description(k.oid, 'pg_constraint') as comment
       from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
      where k.contype = 'f' and k.conparentid = 0 and (k.conrelid = any($1::oid[]) or k.confrelid = any($1::oid[]))
      order by 1, 2`,
    [[...oids, ...inPlace]],
  );
  const views = await one<{
    name: string;
    kind: string;
    def: string;
    owner: string;
    oid: number;
    comment: string | null;
  }>(
    db,
    `with recursive deps(oid) as (
       select distinct r.ev_class from pg_depend d join pg_rewrite r on r.oid = d.objid
        where d.refobjid = any($1::oid[]) and r.ev_class <> d.refobjid
       union
       select distinct r.ev_class from deps join pg_depend d on d.refobjid = deps.oid
         join pg_rewrite r on r.oid = d.objid where r.ev_class <> d.refobjid)
     select ${qualifiedOf("")} as name, c.relkind::text as kind, pg_get_viewdef(c.oid) as def,
            quote_ident(pg_get_userbyid(c.relowner)) as owner, c.oid::int as oid, obj_description(c.oid, 'pg_class') as comment
       from deps join pg_class c on c.oid = deps.oid join pg_namespace n on n.oid = c.relnamespace
      order by c.oid`,
    [oids],
  );
  const createViews: string[] = [];
  for (const v of views) {
    createViews.push(
      `create ${v.kind === "m" ? "materialized view" : "view"} ${v.name} as ${v.def}`,
    );
    createViews.push(
      `alter ${v.kind === "m" ? "materialized view" : "view"} ${v.name} owner to ${v.owner}`,
    );
    createViews.push(...(await grants(db, v.oid, v.name)));
    if (v.comment !== null)
      createViews.push(
        `comment on ${v.kind === "m" ? "materialized view" : "view"} ${v.name} is ${lit(v.comment)}`,
      );
  }
  return {
    dropForeignKeys: fks.map((f) => `alter table ${f.tbl} drop constraint ${f.name}`),
    addForeignKeys: fks.flatMap((f) => [
      `alter table ${f.tbl} add constraint ${f.name} ${f.def}`,
      ...(f.comment !== null
        ? [`comment on constraint ${f.name} on ${f.tbl} is ${lit(f.comment)}`]
        : []),
    ]),
    dropViews: [...views]
      .reverse()
      .map(
        (v) => `drop ${v.kind === "m" ? "materialized view" : "view"} if exists ${v.name} cascade`,
      ),
    createViews,
    materialized: views.filter((v) => v.kind === "m").map((v) => v.name),
  };
}
