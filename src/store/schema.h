#pragma once
/// The store's schema (docs/schema.md): tables, indexes and the read-only views. Version 3 (2 +
/// CloudTrail rows found through ct_uid and per-segment postings instead of five B-tree
/// indexes; 2 = 1 + the resource index of CloudTrail blocks, ct_blocks).
#include <sqlite3.h>

#include <string>

namespace sentinel::store {

inline constexpr int kSchemaVersion = 3;
/// The oldest schema this build reads (read-only opens) and migrates (read-write opens).
inline constexpr int kOldestSchemaVersion = 1;

/// Creates the tables, indexes and views when they are missing (PRAGMA user_version = 0),
/// migrates a version 1 store (adds ct_blocks; blocks written before stay unindexed, see
/// meta 'ct_blocks_from') and a version 2 store (builds ct_uid and the postings from the rows,
/// drops the ct_events indexes, redefines the cloudtrail view), or checks the version; false
/// with *error when the file holds a newer or foreign schema.
bool apply_schema(sqlite3* db, std::string* error);

}  // namespace sentinel::store
