#include "store/vtab_support.h"

namespace sentinel::store {

int connect_store_vtab(sqlite3 *db, const char *declaration, const char *name,
                       sqlite3_vtab **out, char **err) {
  int rc = sqlite3_declare_vtab(db, declaration);
  if (rc != SQLITE_OK) {
    *err = sqlite3_mprintf("%s: %s", name, sqlite3_errmsg(db));
    return rc;
  }
  auto *v = new StoreVtab();
  v->db = db;
  *out = &v->base;
  return SQLITE_OK;
}

int disconnect_store_vtab(sqlite3_vtab *vtab) {
  delete reinterpret_cast<StoreVtab *>(vtab);
  return SQLITE_OK;
}

int store_vtab_open_failed(sqlite3_vtab *vtab, const char *name,
                           const std::string &err) {
  vtab->zErrMsg = sqlite3_mprintf("%s: %s", name, err.c_str());
  return SQLITE_ERROR;
}

} // namespace sentinel::store
