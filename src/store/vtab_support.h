// What the store's table-valued modules (flow_vtab.cc: flow_records, ct_vtab.cc: ct_rows) have
// in common: the vtab that holds the connection, connect/disconnect, the cursor's close and
// eof, an open that failed, and the eponymous-only module struct. Each module keeps its own
// declaration, xBestIndex, cursor, xOpen, xFilter, xNext, xColumn and xRowid.
#pragma once

#include <sqlite3.h>

#include <string>

namespace sentinel::store {

// The vtab of a store module: SQLite's header, then the connection the cursors read through.
struct StoreVtab {
  sqlite3_vtab base{};
  sqlite3* db = nullptr;
};

// xConnect: declares the table (`declaration`, a CREATE TABLE statement) and makes a StoreVtab;
// on failure *err is "<name>: <SQLite's message>".
int connect_store_vtab(sqlite3* db, const char* declaration, const char* name, sqlite3_vtab** out,
                       char** err);

// xDisconnect and xDestroy.
int disconnect_store_vtab(sqlite3_vtab* vtab);

// xOpen's failure: sets the vtab's message to "<name>: <err>" and returns SQLITE_ERROR.
int store_vtab_open_failed(sqlite3_vtab* vtab, const char* name, const std::string& err);

// xClose of a cursor made with `new Cursor()` whose first member is its sqlite3_vtab_cursor.
template <class Cursor>
int close_store_cursor(sqlite3_vtab_cursor* cur) {
  delete reinterpret_cast<Cursor*>(cur);
  return SQLITE_OK;
}

// xEof of a cursor with a `bool eof`.
template <class Cursor>
int store_cursor_eof(sqlite3_vtab_cursor* cur) {
  return reinterpret_cast<Cursor*>(cur)->eof ? 1 : 0;
}

// The callbacks that differ between the modules.
struct StoreVtabCallbacks {
  int (*connect)(sqlite3*, void*, int, const char* const*, sqlite3_vtab**, char**);
  int (*best_index)(sqlite3_vtab*, sqlite3_index_info*);
  int (*open)(sqlite3_vtab*, sqlite3_vtab_cursor**);
  int (*filter)(sqlite3_vtab_cursor*, int, const char*, int, sqlite3_value**);
  int (*next)(sqlite3_vtab_cursor*);
  int (*column)(sqlite3_vtab_cursor*, sqlite3_context*, int);
  int (*rowid)(sqlite3_vtab_cursor*, sqlite3_int64*);
};

// An eponymous-only module (no xCreate: `SELECT ... FROM <name>` only) with the callbacks given,
// StoreVtab's disconnect as xDisconnect and xDestroy, and Cursor's close and eof.
template <class Cursor>
sqlite3_module eponymous_store_module(const StoreVtabCallbacks& cb) {
  sqlite3_module m{};
  m.iVersion = 0;
  m.xCreate = nullptr;
  m.xConnect = cb.connect;
  m.xBestIndex = cb.best_index;
  m.xDisconnect = disconnect_store_vtab;
  m.xDestroy = disconnect_store_vtab;
  m.xOpen = cb.open;
  m.xClose = close_store_cursor<Cursor>;
  m.xFilter = cb.filter;
  m.xNext = cb.next;
  m.xEof = store_cursor_eof<Cursor>;
  m.xColumn = cb.column;
  m.xRowid = cb.rowid;
  return m;
}

}  // namespace sentinel::store
