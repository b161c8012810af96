#pragma once
/// The store's schema (docs/schema.md): tables, indexes and the read-only views. Version 1.
#include <sqlite3.h>

#include <string>

namespace sentinel::store {

inline constexpr int kSchemaVersion = 1;

/// Creates the tables, indexes and views when they are missing (PRAGMA user_version = 0), or
/// checks the version; false with *error when the file holds a newer or foreign schema.
bool apply_schema(sqlite3* db, std::string* error);

}  // namespace sentinel::store
