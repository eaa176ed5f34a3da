import type { Queryable } from "../db.js";

/** Catalog queries shared by what one table has (preserve.ts) and what spans tables (cross-table.ts). */
export const one = async <R>(db: Queryable, sql: string, values: unknown[]) =>
  (await db.query<R>(sql, values)).rows;

export const CMD: Record<string, string> = {
  "*": "all",
  r: "select",
  a: "insert",
  w: "update",
  d: "delete",
};
export const qualifiedOf = (alias: string) =>
  `quote_ident(${alias}n.nspname) || '.' || quote_ident(${alias}c.relname)`;

/** GRANT statements reproducing a relation's ACL (nothing when it has the default ACL). */
export async function grants(db: Queryable, oid: number, qualified: string): Promise<string[]> {
  const rows = await one<{ grantee: string; priv: string; grantable: boolean; explicit: boolean }>(
    db,
    `select case when x.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(x.grantee)) end as grantee,
            x.privilege_type as priv, x.is_grantable as grantable, true as explicit
       from pg_class c cross join lateral aclexplode(c.relacl) x where c.oid = $1`,
    [oid],
  );
  if (rows.length === 0) return [];
  // An explicit ACL replaces the default one, owner's rights included: start from nothing.
  const owner = (
    await one<{ o: string }>(
      db,
      `select quote_ident(pg_get_userbyid(relowner)) as o from pg_class where oid = $1`,
      [oid],
    )
  )[0]!.o;
  return [
    `revoke all on ${qualified} from ${owner}`,
    ...rows.map(
      (g) =>
        `grant ${g.priv} on ${qualified} to ${g.grantee}${g.grantable ? " with grant option" : ""}`,
    ),
  ];
}
