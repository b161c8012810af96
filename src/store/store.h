#pragma once
/// The embedded store: one SQLite file in WAL mode (docs/schema.md).
///
/// Open it through Store::open(), which also registers what the views need on the connection:
/// the functions sentinel_raw(raw_ref), sentinel_uuid(blob), sentinel_hex(blob),
/// sentinel_bloom_has(bloom, key) and the table-valued module flow_records behind the `flows`
/// view. A connection opened some other way can read the tables but not those views.
#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sentinel::store {

enum class OpenMode {
  kReadWrite,  ///< creates the file and the schema when missing
  kReadOnly,   ///< SQLITE_OPEN_READONLY, query_only, and an authorizer that refuses writes
};

/// Store settings (sentinel.yaml `store:`).
struct StoreOptions {
  int compression_level = 1;  ///< libdeflate level for raw record blocks (1..12; docs/schema.md)
  /// libdeflate level for flow blocks: flows are many and small, and level 1 keeps them near
  /// 1.3x their gzipped size at several times the speed of level 6.
  int flow_compression_level = 1;
  int cache_mb = 256;  ///< SQLite page cache per connection
};

class Store {
 public:
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  static Result<std::unique_ptr<Store>> open(const std::string& path, OpenMode mode,
                                             const StoreOptions& options = {});

  sqlite3* db() const { return db_; }
  const std::string& path() const { return path_; }
  OpenMode mode() const { return mode_; }

  /// The raw bytes of a record by its raw_ref (raw_blocks.id << 16 | index); false when absent
  /// or damaged.
  bool raw_record(int64_t raw_ref, std::string* out);

  /// Finds an event by id (a CloudTrail eventID, or the 32-hex id of a DNS query, GuardDuty
  /// finding or flow record) and returns its raw bytes and log type name; false when absent.
  bool find_raw(std::string_view event_id, std::string* raw, std::string* type);

  /// The saved detection state: false when there is none (or it is damaged: *error says so).
  bool load_engine_state(std::string* rules_fingerprint, std::string* snapshot, std::string* error);

  /// Why the last read-only refusal happened (set by the authorizer), empty when none.
  const std::string& refusal() const { return refusal_; }
  void clear_refusal() { refusal_.clear(); }

 private:
  Store() = default;
  struct BlockCache;
  sqlite3* db_ = nullptr;
  std::string path_;
  OpenMode mode_ = OpenMode::kReadWrite;
  std::unique_ptr<BlockCache> cache_;
  std::string refusal_;

  friend struct StoreAccess;
};

/// Registers the module behind the `flows` view on a connection (flow_vtab.cc).
bool register_flow_module(sqlite3* db);
/// Registers the module behind the `cloudtrail` view of a schema 3 store (ct_vtab.cc).
bool register_ct_module(sqlite3* db);

/// Packs a canonical lowercase UUID into 16 bytes; false when `s` is not one.
bool pack_uuid_text(std::string_view s, std::string* out);
/// The canonical text of a 16-byte UUID.
std::string unpack_uuid(std::string_view b);

}  // namespace sentinel::store
