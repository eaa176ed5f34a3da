/** `create table t (a …, b …);` statements → each table's column names, in order. */
export function columnsOf(sql: string): Record<string, string[]> {
  const tables: Record<string, string[]> = {};
  for (const [, table, body] of sql.matchAll(/create table (\w+) \(([^;]*)\);/g))
    tables[table!] = body!.split(",\n").map((line) => line.trim().split(/\s+/)[0]!);
  return tables;
}
