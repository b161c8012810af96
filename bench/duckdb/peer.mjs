// DuckDB, the peer a user would reach for instead of Sentinel, driven the way such a user would:
// read_json over the CloudTrail files (Records kept as JSON, then filtered by JSON path) and
// read_csv over the flow logs. Prints the answer rows to stdout (like the other tools) and the
// row count to stderr. Usage:
//   node peer.mjs --threads N ct-filter  GLOB EVENT_NAME   # records whose eventName is EVENT_NAME
//   node peer.mjs --threads N ct-groupby GLOB              # count of records per eventName
//   node peer.mjs --threads N ct-ip      GLOB IP           # records whose sourceIPAddress is IP
//   node peer.mjs --threads N flow-bytes GLOB              # sum of bytes per srcaddr
import { DuckDBInstance } from '@duckdb/node-api';

let args = process.argv.slice(2);
let threads = 1;
if (args[0] === '--threads') {
  threads = Number(args[1]);
  args = args.slice(2);
}
const [mode, path, arg] = args;
const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;
const records = `(SELECT unnest(Records) AS r FROM read_json(${lit(path)}, columns = {Records: 'JSON[]'}, ` +
  `maximum_object_size = 1073741824))`;
const queries = {
  'ct-filter': () => `SELECT r FROM ${records} WHERE r->>'$.eventName' = ${lit(arg)}`,
  'ct-groupby': () => `SELECT r->>'$.eventName' AS eventName, count(*) AS n FROM ${records} GROUP BY 1 ORDER BY 2 DESC, 1`,
  'ct-ip': () => `SELECT r FROM ${records} WHERE r->>'$.sourceIPAddress' = ${lit(arg)}`,
  // Flow logs: space-separated with a header line (the v2 default format names its columns).
  'flow-bytes': () => `SELECT srcaddr, sum(TRY_CAST(bytes AS BIGINT)) AS bytes FROM read_csv(${lit(path)}, ` +
    `delim = ' ', header = true, all_varchar = true) GROUP BY 1 ORDER BY 2 DESC, 1`,
};
if (!queries[mode] || !path) {
  console.error('usage: node peer.mjs [--threads N] ct-filter|ct-groupby|ct-ip|flow-bytes GLOB [ARG]');
  process.exit(2);
}
const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const conn = await instance.connect();
const reader = await conn.runAndReadAll(queries[mode]());
const rows = reader.getRows();
const chunk = [];
for (const row of rows) {
  chunk.push(row.map((v) => (v === null ? '' : String(v))).join('\t'));
  if (chunk.length === 4096) {
    process.stdout.write(chunk.join('\n') + '\n');
    chunk.length = 0;
  }
}
if (chunk.length) process.stdout.write(chunk.join('\n') + '\n');
console.error(`${rows.length} rows`);
