#include "store/schema.h"

#include "store/ct_index.h"
#include "store/sqlite.h"

namespace sentinel::store {

namespace {

constexpr const char* kTables = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE strings(id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);
CREATE TABLE files(
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 BLOB NOT NULL,
  log_type TEXT NOT NULL,
  events INTEGER NOT NULL,
  rejects INTEGER NOT NULL,
  ingested_at INTEGER NOT NULL);
CREATE INDEX files_sha256 ON files(sha256);
CREATE INDEX files_path ON files(path);
CREATE TABLE raw_blocks(
  id INTEGER PRIMARY KEY,
  file_id INTEGER NOT NULL,
  log_type TEXT NOT NULL,
  count INTEGER NOT NULL,
  raw_size INTEGER NOT NULL,
  data BLOB NOT NULL);
CREATE INDEX raw_blocks_file ON raw_blocks(file_id);
CREATE TABLE ct_events(
  id INTEGER PRIMARY KEY,
  uid BLOB NOT NULL,
  account INTEGER,
  time INTEGER,
  region INTEGER,
  source INTEGER,
  name INTEGER,
  source_ip INTEGER,
  user_agent INTEGER,
  error_code INTEGER,
  error_message INTEGER,
  identity_type INTEGER,
  principal INTEGER,
  principal_id INTEGER,
  user_name INTEGER,
  access_key TEXT,
  issuer INTEGER,
  identity_account INTEGER,
  event_type INTEGER,
  event_category INTEGER,
  version INTEGER,
  read_only INTEGER,
  management INTEGER,
  mfa INTEGER,
  insight INTEGER,
  raw INTEGER NOT NULL,
  file_id INTEGER NOT NULL);
CREATE TABLE dns_events(
  id INTEGER PRIMARY KEY,
  uid BLOB NOT NULL UNIQUE,
  time INTEGER,
  account INTEGER,
  region INTEGER,
  vpc_id INTEGER,
  query_name INTEGER,
  query_type INTEGER,
  rcode INTEGER,
  srcaddr INTEGER,
  srcport INTEGER,
  transport INTEGER,
  instance_id INTEGER,
  firewall_action INTEGER,
  raw INTEGER NOT NULL,
  file_id INTEGER NOT NULL);
CREATE INDEX dns_events_time ON dns_events(time);
CREATE INDEX dns_events_src ON dns_events(srcaddr, time);
CREATE INDEX dns_events_name ON dns_events(query_name, time);
CREATE TABLE gd_findings(
  id INTEGER PRIMARY KEY,
  uid BLOB NOT NULL UNIQUE,
  finding_id TEXT,
  account INTEGER,
  region INTEGER,
  type INTEGER,
  severity REAL,
  title TEXT,
  resource_type INTEGER,
  created_at INTEGER,
  updated_at INTEGER,
  count INTEGER,
  archived INTEGER,
  raw INTEGER NOT NULL,
  file_id INTEGER NOT NULL);
CREATE INDEX gd_findings_id ON gd_findings(finding_id);
CREATE INDEX gd_findings_time ON gd_findings(updated_at);
CREATE TABLE flow_blocks(
  id INTEGER PRIMARY KEY,
  file_id INTEGER NOT NULL,
  format INTEGER NOT NULL,
  account INTEGER,
  region INTEGER,
  count INTEGER NOT NULL,
  first_start INTEGER NOT NULL,
  last_end INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  rejects INTEGER NOT NULL,
  bloom BLOB NOT NULL,
  raw_size INTEGER NOT NULL,
  data BLOB NOT NULL);
CREATE INDEX flow_blocks_time ON flow_blocks(first_start, last_end);
CREATE INDEX flow_blocks_file ON flow_blocks(file_id);
CREATE TABLE sentinel_findings(
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  severity REAL NOT NULL,
  title TEXT,
  description TEXT,
  account TEXT,
  region TEXT,
  rule_id TEXT,
  resource_role TEXT,
  first_seen INTEGER,
  last_seen INTEGER,
  created_at INTEGER,
  updated_at INTEGER,
  count INTEGER NOT NULL,
  archived INTEGER NOT NULL,
  evidence TEXT,
  json TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX sentinel_findings_time ON sentinel_findings(last_seen);
CREATE TABLE engine_state(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  rules TEXT NOT NULL,
  raw_size INTEGER NOT NULL,
  data BLOB NOT NULL,
  updated_at INTEGER NOT NULL);
)sql";

// The resource index (resource_index.h): one row per CloudTrail raw block, with the rowid range
// and time range of its ct_events rows and its filter. Version 2.
constexpr const char* kCtBlocks = R"sql(
CREATE TABLE ct_blocks(
  block INTEGER PRIMARY KEY,
  first_id INTEGER,
  last_id INTEGER,
  min_time INTEGER,
  max_time INTEGER,
  grams BLOB NOT NULL);
)sql";

// Schema 3: CloudTrail rows have no B-tree index of their own. Uniqueness goes through a
// narrow integer key (ct_uid, ct_uid_more) and search columns through per-segment postings
// (ct_segs, ct_post): see ct_index.h.
constexpr const char* kCtIndex = R"sql(
CREATE TABLE ct_uid(key INTEGER PRIMARY KEY, id INTEGER NOT NULL);
CREATE TABLE ct_uid_more(
  uid BLOB NOT NULL,
  account INTEGER NOT NULL,
  id INTEGER NOT NULL,
  PRIMARY KEY (uid, account)) WITHOUT ROWID;
CREATE TABLE ct_segs(
  seg INTEGER PRIMARY KEY,
  first_id INTEGER NOT NULL,
  last_id INTEGER NOT NULL,
  min_time INTEGER,
  max_time INTEGER,
  rows INTEGER NOT NULL);
CREATE TABLE ct_post(
  seg INTEGER NOT NULL,
  term INTEGER NOT NULL,
  rows BLOB NOT NULL,
  PRIMARY KEY (seg, term)) WITHOUT ROWID;
)sql";

// Rows of a migrated store form segments of this many rowids.
constexpr int64_t kMigrationSegmentRows = 65536;

// Dictionary-coded columns hold strings.id; the views join them back to text (joins, not
// subqueries, so that a filter on one finds the id through strings' unique index). The
// cloudtrail view reads ct_events through the table-valued module ct_rows (ct_vtab.cc), which
// gives the source IP and principal text itself so that `WHERE sourceIPAddress = ?` and
// `WHERE userIdentity_arn = ?` reach the postings. Columns the table does not keep are read from
// the raw record (sentinel_raw).
constexpr const char* kCtView = R"sql(
CREATE VIEW cloudtrail AS SELECT
  c.event_id AS eventID,
  s_version.value AS eventVersion,
  strftime('%Y-%m-%dT%H:%M:%SZ', c.time / 1000, 'unixepoch') AS eventTime,
  c.time AS eventTimeMs,
  s_source.value AS eventSource,
  s_name.value AS eventName,
  s_region.value AS awsRegion,
  c.source_ip_value AS sourceIPAddress,
  s_user_agent.value AS userAgent,
  s_error_code.value AS errorCode,
  s_error_message.value AS errorMessage,
  s_event_type.value AS eventType,
  s_event_category.value AS eventCategory,
  CASE c.read_only WHEN 1 THEN 'true' WHEN 0 THEN 'false' END AS readOnly,
  CASE c.management WHEN 1 THEN 'true' WHEN 0 THEN 'false' END AS managementEvent,
  s_account.value AS recipientAccountId,
  s_identity_type.value AS userIdentity_type,
  s_principal_id.value AS userIdentity_principalId,
  c.principal_value AS userIdentity_arn,
  s_identity_account.value AS userIdentity_accountId,
  c.access_key AS userIdentity_accessKeyId,
  s_user_name.value AS userIdentity_userName,
  s_issuer.value AS userIdentity_sessionIssuer_arn,
  CASE c.mfa WHEN 1 THEN 'true' WHEN 0 THEN 'false' END AS userIdentity_mfaAuthenticated,
  json_extract(sentinel_raw(c.raw), '$.userIdentity.invokedBy') AS userIdentity_invokedBy,
  json_extract(sentinel_raw(c.raw), '$.requestID') AS requestID,
  json_extract(sentinel_raw(c.raw), '$.sharedEventID') AS sharedEventID,
  json_extract(sentinel_raw(c.raw), '$.vpcEndpointId') AS vpcEndpointId,
  json_extract(sentinel_raw(c.raw), '$.requestParameters') AS requestParameters,
  json_extract(sentinel_raw(c.raw), '$.responseElements') AS responseElements,
  json_extract(sentinel_raw(c.raw), '$.additionalEventData') AS additionalEventData,
  json_extract(sentinel_raw(c.raw), '$.resources') AS resources,
  json_extract(sentinel_raw(c.raw), '$.tlsDetails') AS tlsDetails,
  c.insight AS insight,
  json(sentinel_raw(c.raw)) AS record,
  (SELECT path FROM files WHERE id = c.file_id) AS source_file,
  c.id AS store_rowid
FROM ct_rows c
LEFT JOIN strings s_version ON s_version.id = c.version
LEFT JOIN strings s_source ON s_source.id = c.source
LEFT JOIN strings s_name ON s_name.id = c.name
LEFT JOIN strings s_region ON s_region.id = c.region
LEFT JOIN strings s_user_agent ON s_user_agent.id = c.user_agent
LEFT JOIN strings s_error_code ON s_error_code.id = c.error_code
LEFT JOIN strings s_error_message ON s_error_message.id = c.error_message
LEFT JOIN strings s_event_type ON s_event_type.id = c.event_type
LEFT JOIN strings s_event_category ON s_event_category.id = c.event_category
LEFT JOIN strings s_account ON s_account.id = c.account
LEFT JOIN strings s_identity_type ON s_identity_type.id = c.identity_type
LEFT JOIN strings s_principal_id ON s_principal_id.id = c.principal_id
LEFT JOIN strings s_identity_account ON s_identity_account.id = c.identity_account
LEFT JOIN strings s_user_name ON s_user_name.id = c.user_name
LEFT JOIN strings s_issuer ON s_issuer.id = c.issuer;
)sql";

constexpr const char* kViews = R"sql(
CREATE VIEW dns AS SELECT
  sentinel_hex(c.uid) AS event_id,
  json_extract(sentinel_raw(c.raw), '$.version') AS version,
  strftime('%Y-%m-%dT%H:%M:%SZ', c.time / 1000, 'unixepoch') AS query_timestamp,
  c.time AS query_time_ms,
  s_account.value AS account_id,
  s_region.value AS region,
  s_vpc_id.value AS vpc_id,
  s_query_name.value AS query_name,
  s_query_type.value AS query_type,
  json_extract(sentinel_raw(c.raw), '$.query_class') AS query_class,
  s_rcode.value AS rcode,
  json_extract(sentinel_raw(c.raw), '$.answers') AS answers,
  s_srcaddr.value AS srcaddr,
  c.srcport AS srcport,
  s_transport.value AS transport,
  s_instance_id.value AS srcids_instance,
  s_firewall_action.value AS firewall_rule_action,
  json_extract(sentinel_raw(c.raw), '$.firewall_rule_group_id') AS firewall_rule_group_id,
  json_extract(sentinel_raw(c.raw), '$.firewall_domain_list_id') AS firewall_domain_list_id,
  json(sentinel_raw(c.raw)) AS record,
  (SELECT path FROM files WHERE id = c.file_id) AS source_file
FROM dns_events c
LEFT JOIN strings s_account ON s_account.id = c.account
LEFT JOIN strings s_region ON s_region.id = c.region
LEFT JOIN strings s_vpc_id ON s_vpc_id.id = c.vpc_id
LEFT JOIN strings s_query_name ON s_query_name.id = c.query_name
LEFT JOIN strings s_query_type ON s_query_type.id = c.query_type
LEFT JOIN strings s_rcode ON s_rcode.id = c.rcode
LEFT JOIN strings s_srcaddr ON s_srcaddr.id = c.srcaddr
LEFT JOIN strings s_transport ON s_transport.id = c.transport
LEFT JOIN strings s_instance_id ON s_instance_id.id = c.instance_id
LEFT JOIN strings s_firewall_action ON s_firewall_action.id = c.firewall_action;
CREATE VIEW findings AS SELECT
  'sentinel' AS product,
  f.id AS id,
  f.type AS type,
  f.severity AS severity,
  CASE WHEN f.severity >= 9 THEN 'Critical' WHEN f.severity >= 7 THEN 'High' WHEN f.severity >= 4 THEN 'Medium' ELSE 'Low' END AS severityLabel,
  f.title AS title,
  f.description AS description,
  f.account AS accountId,
  f.region AS region,
  json_extract(f.json, '$.resource.resourceType') AS resourceType,
  f.resource_role AS resourceRole,
  f.count AS count,
  strftime('%Y-%m-%dT%H:%M:%SZ', f.first_seen / 1000, 'unixepoch') AS eventFirstSeen,
  strftime('%Y-%m-%dT%H:%M:%SZ', f.last_seen / 1000, 'unixepoch') AS eventLastSeen,
  strftime('%Y-%m-%dT%H:%M:%SZ', f.created_at / 1000, 'unixepoch') AS createdAt,
  strftime('%Y-%m-%dT%H:%M:%SZ', f.updated_at / 1000, 'unixepoch') AS updatedAt,
  f.first_seen AS eventFirstSeenMs,
  f.last_seen AS eventLastSeenMs,
  CASE f.archived WHEN 1 THEN 'true' ELSE 'false' END AS archived,
  f.rule_id AS ruleId,
  f.evidence AS evidence,
  f.json AS record
FROM sentinel_findings f
UNION ALL SELECT
  'guardduty',
  c.finding_id,
  (SELECT value FROM strings WHERE id = c.type),
  c.severity,
  CASE WHEN c.severity >= 9 THEN 'Critical' WHEN c.severity >= 7 THEN 'High' WHEN c.severity >= 4 THEN 'Medium' ELSE 'Low' END,
  c.title,
  json_extract(sentinel_raw(c.raw), '$.description'),
  (SELECT value FROM strings WHERE id = c.account),
  (SELECT value FROM strings WHERE id = c.region),
  (SELECT value FROM strings WHERE id = c.resource_type),
  json_extract(sentinel_raw(c.raw), '$.service.resourceRole'),
  c.count,
  json_extract(sentinel_raw(c.raw), '$.service.eventFirstSeen'),
  json_extract(sentinel_raw(c.raw), '$.service.eventLastSeen'),
  strftime('%Y-%m-%dT%H:%M:%SZ', c.created_at / 1000, 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%SZ', c.updated_at / 1000, 'unixepoch'),
  NULL,
  NULL,
  CASE c.archived WHEN 1 THEN 'true' WHEN 0 THEN 'false' END,
  NULL,
  NULL,
  json(sentinel_raw(c.raw))
FROM gd_findings c;
CREATE VIEW flows AS SELECT * FROM flow_records;
)sql";

}  // namespace

bool apply_schema(sqlite3* db, std::string* error) {
  Stmt v(db, "PRAGMA user_version", error);
  if (!v.ok()) return false;
  int version = v.step() == SQLITE_ROW ? static_cast<int>(v.col_int(0)) : 0;
  v.reset();
  if (version == kSchemaVersion) return true;
  auto run = [&](const std::string& sql) {
    if (exec(db, sql, error)) return true;
    exec(db, "ROLLBACK", nullptr);
    return false;
  };
  if (version == 1) {
    // Version 1 had no resource index: blocks written from now on get their ct_blocks row, the
    // older ones (ids below ct_blocks_from) are read without it.
    std::string sql = "BEGIN IMMEDIATE;\n";
    sql += kCtBlocks;
    sql +=
        "INSERT OR REPLACE INTO meta VALUES ('ct_blocks_from', "
        "(SELECT coalesce(max(id), 0) + 1 FROM raw_blocks));\n"
        "INSERT OR REPLACE INTO meta VALUES ('schema', '2');\n"
        "PRAGMA user_version = 2;\nCOMMIT;";
    if (!run(sql)) return false;
    version = 2;
  }
  if (version == 2) {
    // Version 2 indexed ct_events with five B-trees: their content moves to ct_uid and the
    // postings (one pass over the rows), the indexes go, and the view reads through ct_rows.
    std::string sql = "BEGIN IMMEDIATE;\n";
    sql += kCtIndex;
    if (!run(sql)) return false;
    if (!ct_build_index(db, kMigrationSegmentRows, error)) {
      exec(db, "ROLLBACK", nullptr);
      return false;
    }
    sql =
        "DROP INDEX IF EXISTS ct_events_uid;\nDROP INDEX IF EXISTS ct_events_time;\n"
        "DROP INDEX IF EXISTS ct_events_ip;\nDROP INDEX IF EXISTS ct_events_principal;\n"
        "DROP INDEX IF EXISTS ct_events_key;\nDROP VIEW IF EXISTS cloudtrail;\n";
    sql += kCtView;
    sql +=
        "INSERT OR REPLACE INTO meta VALUES ('schema', '3');\n"
        "PRAGMA user_version = 3;\nCOMMIT;";
    return run(sql);
  }
  if (version != 0) {
    *error = "the store has schema version " + std::to_string(version) + ", this build knows " +
             std::to_string(kSchemaVersion) + " (use a newer sentinel)";
    return false;
  }
  Stmt t(db, "SELECT count(*) FROM sqlite_schema", error);
  if (!t.ok()) return false;
  if (t.step() == SQLITE_ROW && t.col_int(0) > 0) {
    *error = "the file is an SQLite database but not a Sentinel store";
    return false;
  }
  std::string sql = "BEGIN IMMEDIATE;\n";
  sql += kTables;
  sql += kCtView;
  sql += kViews;
  sql += kCtBlocks;
  sql += kCtIndex;
  sql +=
      "INSERT INTO meta VALUES ('schema', '3'), ('created_by', 'sentinel'), "
      "('ct_blocks_from', '0');\n";
  sql += "PRAGMA user_version = " + std::to_string(kSchemaVersion) + ";\nCOMMIT;";
  return run(sql);
}

}  // namespace sentinel::store
