/* liblua5.4 for Swift. Lua's API is partly macros, which Swift cannot call; the ones the host
 * needs are wrapped here as fixed-argument static inline functions. Only wrap functions the Lua
 * manual marks as never raising ("-") unless the wrapper is called from C: Swift frames must never
 * be crossed by a longjmp. */
#ifndef LLMA_CLUA_SHIM_H
#define LLMA_CLUA_SHIM_H
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

static inline int llma_lua_isnil(lua_State *L, int idx) { return lua_type(L, idx) == LUA_TNIL; }
static inline void llma_lua_pop(lua_State *L, int n) { lua_settop(L, -(n) - 1); }
static inline double llma_lua_tonumber(lua_State *L, int idx) { return lua_tonumberx(L, idx, NULL); }
static inline lua_Integer llma_lua_tointeger(lua_State *L, int idx, int *isnum) { return lua_tointegerx(L, idx, isnum); }
#endif
