#include "store/schema.h"

#include "store/sqlite.h"

namespace sentinel::store {

namespace {

// Dictionary-coded columns hold strings.id; the views turn them back into text.
#define S(col) "(SELECT value FROM strings WHERE id = " col ")"

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
  access_key INTEGER,
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
CREATE UNIQUE INDEX ct_events_uid ON ct_events(uid, account);
CREATE INDEX ct_events_time ON ct_events(time);
CREATE INDEX ct_events_ip ON ct_events(source_ip, time);
CREATE INDEX ct_events_principal ON ct_events(principal, time);
CREATE INDEX ct_events_key ON ct_events(access_key, time) WHERE access_key IS NOT NULL;
CREATE INDEX ct_events_issuer ON ct_events(issuer, time) WHERE issuer IS NOT NULL;
CREATE INDEX ct_events_name ON ct_events(name, time);
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

#define ISO(col) "strftime('%Y-%m-%dT%H:%M:%SZ', " col " / 1000, 'unixepoch')"
#define RAWJ(path) "json_extract(sentinel_raw(c.raw), '$." path "')"

constexpr const char* kViews =
    "CREATE VIEW cloudtrail AS SELECT "
    "c.id AS rowid_, "
    "sentinel_event_id(c.uid) AS eventID, " S("c.version") " AS eventVersion, " ISO("c.time") " AS eventTime, "
    "c.time AS eventTimeMs, " S("c.source") " AS eventSource, " S("c.name") " AS eventName, " S(
        "c.region") " AS awsRegion, " S("c.source_ip") " AS sourceIPAddress, " S("c.user_agent") " "
    "AS userAgent, " S("c.error_code") " AS errorCode, " S(
        "c.error_message") " AS errorMessage, " S("c.event_type") " AS eventType, " S("c."
                                                                                      "event_"
                                                                                      "category") " "
    "AS eventCategory, "
    "CASE c.read_only WHEN 1 THEN 'true' WHEN 0 THEN 'false' END AS readOnly, "
    "CASE c.management WHEN 1 THEN 'true' WHEN 0 THEN 'false' END AS managementEvent, " S(
        "c.account") " AS recipientAccountId, " S("c.identity_type") " AS userIdentity_type, " S("c."
                                                                                                "prin"
                                                                                                "cipa"
                                                                                                "l_"
                                                                                                "id") " "
    "AS userIdentity_principalId, " S("c.principal") " AS userIdentity_arn, " S(
        "c.identity_account") " AS userIdentity_accountId, " S("c.access_key") " AS "
    "userIdentity_accessKeyId, " S("c.user_name") " AS userIdentity_userName, " S(
        "c.issuer") " AS userIdentity_sessionIssuer_arn, "
    "CASE c.mfa WHEN 1 THEN 'true' WHEN 0 THEN 'false' END AS userIdentity_mfaAuthenticated, "
    "c.insight AS insight, " RAWJ("userIdentity.invokedBy") " AS userIdentity_invokedBy, " RAWJ(
        "requestID") " AS requestID, " RAWJ("sharedEventID") " AS sharedEventID, " RAWJ("vpcEndpoin"
                                                                                        "tId") " AS"
    " vpcEndpointId, " RAWJ("requestParameters") " AS requestParameters, " RAWJ(
        "responseElements") " AS responseElements, " RAWJ("additionalEventData") " AS "
    "additionalEventData, " RAWJ("resources") " AS resources, " RAWJ("tlsDetails") " AS "
    "tlsDetails, "
    "json(sentinel_raw(c.raw)) AS record, "
    "(SELECT path FROM files WHERE id = c.file_id) AS source_file "
    "FROM ct_events c;\n"
    "CREATE VIEW dns AS SELECT "
    "sentinel_hex(c.uid) AS event_id, " RAWJ("version") " AS version, " ISO(
        "c.time") " AS query_timestamp, c.time AS query_time_ms, " S("c.account") " AS account_id, " S("c.region") " AS region, " S(
        "c.vpc_id") " AS vpc_id, " S("c.query_name") " AS query_name, " S("c.query_type") " AS "
    "query_type, " RAWJ("query_class") " AS query_class, " S("c.rcode") " AS rcode, " RAWJ(
        "answers") " AS answers, " S("c.srcaddr") " AS srcaddr, "
    "c.srcport AS srcport, " S("c.transport") " AS transport, " S(
        "c.instance_id") " AS srcids_instance, " S("c.firewall_action") " AS "
    "firewall_rule_action, " RAWJ("firewall_rule_group_id") " AS firewall_rule_group_id, " RAWJ(
        "firewall_domain_list_id") " AS firewall_domain_list_id, "
    "json(sentinel_raw(c.raw)) AS record, "
    "(SELECT path FROM files WHERE id = c.file_id) AS source_file "
    "FROM dns_events c;\n"
    "CREATE VIEW findings AS SELECT "
    "'sentinel' AS product, f.id AS id, f.type AS type, f.severity AS severity, "
    "CASE WHEN f.severity >= 9 THEN 'Critical' WHEN f.severity >= 7 THEN 'High' WHEN f.severity "
    ">= 4 THEN 'Medium' ELSE 'Low' END AS severityLabel, "
    "f.title AS title, f.description AS description, f.account AS accountId, f.region AS region, "
    "json_extract(f.json, '$.resource.resourceType') AS resourceType, "
    "f.resource_role AS resourceRole, f.count AS count, " ISO("f.first_seen") " AS "
    "eventFirstSeen, " ISO("f.last_seen") " AS eventLastSeen, " ISO("f.created_at") " AS "
    "createdAt, " ISO("f.updated_at") " AS updatedAt, "
    "f.first_seen AS eventFirstSeenMs, f.last_seen AS eventLastSeenMs, "
    "CASE f.archived WHEN 1 THEN 'true' ELSE 'false' END AS archived, "
    "f.rule_id AS ruleId, f.evidence AS evidence, f.json AS record "
    "FROM sentinel_findings f "
    "UNION ALL SELECT "
    "'guardduty', c.finding_id, " S("c.type") ", c.severity, "
    "CASE WHEN c.severity >= 9 THEN 'Critical' WHEN c.severity >= 7 THEN 'High' WHEN c.severity "
    ">= 4 THEN 'Medium' ELSE 'Low' END, "
    "c.title, " RAWJ("description") ", " S("c.account") ", " S("c.region") ", " S(
        "c.resource_type") ", " RAWJ("service.resourceRole") ", c.count, " RAWJ("service."
                                                                                 "eventFirstSeen") ", " RAWJ("service.eventLastSeen") ", " ISO("c.created_at") ", " ISO("c.updated_at") ", NULL, NULL, "
    "CASE c.archived WHEN 1 THEN 'true' WHEN 0 THEN 'false' END, NULL, NULL, "
    "json(sentinel_raw(c.raw)) "
    "FROM gd_findings c;\n"
    "CREATE VIEW flows AS SELECT * FROM flow_records;\n";

#undef S
#undef ISO
#undef RAWJ

}  // namespace

bool apply_schema(sqlite3* db, std::string* error) {
  Stmt v(db, "PRAGMA user_version", error);
  if (!v.ok()) return false;
  int version = v.step() == SQLITE_ROW ? static_cast<int>(v.col_int(0)) : 0;
  v.reset();
  if (version == kSchemaVersion) return true;
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
  sql += kViews;
  sql += "INSERT INTO meta VALUES ('schema', '1'), ('created_by', 'sentinel');\n";
  sql += "PRAGMA user_version = " + std::to_string(kSchemaVersion) + ";\nCOMMIT;";
  if (!exec(db, sql, error)) {
    exec(db, "ROLLBACK", nullptr);
    return false;
  }
  return true;
}

}  // namespace sentinel::store
