/* llmalpha's Lua sandbox: allocator, limits hook, whitelisted libraries, strict globals, guarded
 * library functions, the Series userdata and the trampoline into Swift.
 *
 * Rule of this file: every lua_error/luaL_error happens here, in C, with no Swift frame between
 * the raise and the lua_pcall that catches it. Functions exported to Swift either use only API
 * calls the manual marks as never raising, or run their work under lua_pcall. */
#define _POSIX_C_SOURCE 200809L
#include "LuaSandboxC.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <pthread.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Registry keys: addresses of these statics, used with lua_rawsetp/lua_rawgetp. */
static const char KEY_BUILTINS = 'B';     /* table of every builtin global */
static const char KEY_METHODS = 'M';      /* Series methods (s:last()) */
static const char KEY_SERIES_MT = 'S';    /* Series metatable */
static const char KEY_HOST = 'H';         /* host callbacks, handed to the prelude only */
static const char KEY_TRACEBACK = 'T';    /* traceback of the last failed llma_pcall */

/* Sizes above which a library call could stall the VM inside C, where the count hook cannot
 * reach it. Each limit refuses with a message instead of running for minutes. */
#define LLMA_MAX_SORT 5000000
#define LLMA_MAX_MOVE 10000000
#define LLMA_MAX_REP_COUNT 100000000
#define LLMA_MAX_PATTERN_COST 2e9
#define LLMA_MAX_VALUES 1000000

static llma_sandbox *sandbox_of(lua_State *L) { return *(llma_sandbox **)lua_getextraspace(L); }

double llma_monotonic_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------------------------------------ */
/* Capped allocator. Lua retries a failed allocation once after a full collection; only when the
 * retry of the same size fails too is the memory limit tripped (a script that merely makes
 * garbage near the cap is collected, not stopped). */
static void *llma_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    llma_sandbox *sb = (llma_sandbox *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        sb->memory_used -= old;
        return NULL;
    }
    if (nsize > old && sb->memory_limit > 0 && sb->memory_used - old + nsize > sb->memory_limit) {
        if (sb->last_refused == nsize && sb->tripped == LLMA_LIMIT_NONE) sb->tripped = LLMA_LIMIT_MEMORY;
        sb->last_refused = nsize;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) {
        if (sb->tripped == LLMA_LIMIT_NONE) sb->tripped = LLMA_LIMIT_MEMORY;
        return NULL;
    }
    sb->last_refused = 0;
    sb->memory_used = sb->memory_used - old + nsize;
    if (sb->memory_used > sb->memory_peak) sb->memory_peak = sb->memory_used;
    return p;
}

/* ------------------------------------------------------------------------------------------ */
/* The limits hook. Once a limit trips it stays tripped and the hook fires on every instruction,
 * so a script that catches the error with pcall is stopped again at once. */
static const char *limit_message(llma_sandbox *sb) {
    switch (sb->tripped) {
    case LLMA_LIMIT_INSTRUCTIONS: return "instruction limit exceeded";
    case LLMA_LIMIT_MEMORY: return "memory limit exceeded";
    case LLMA_LIMIT_TIME: return "time limit exceeded";
    case LLMA_LIMIT_INTERRUPT: return "interrupted";
    case LLMA_LIMIT_OUTPUT: return "output limit exceeded";
    default: return "limit exceeded";
    }
}

static void llma_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    llma_sandbox *sb = sandbox_of(L);
    if (sb->tripped == LLMA_LIMIT_NONE) {
        sb->instructions_used += LLMA_HOOK_INTERVAL;
        if (sb->instruction_limit > 0 && sb->instructions_used > sb->instruction_limit)
            sb->tripped = LLMA_LIMIT_INSTRUCTIONS;
        else if (atomic_load_explicit((_Atomic int *)&sb->interrupt_requested, memory_order_relaxed))
            sb->tripped = LLMA_LIMIT_INTERRUPT;
        else if (sb->deadline > 0 && llma_monotonic_seconds() > sb->deadline)
            sb->tripped = LLMA_LIMIT_TIME;
    }
    if (sb->tripped != LLMA_LIMIT_NONE) {
        lua_sethook(L, llma_hook, LUA_MASKCOUNT, 1);
        luaL_error(L, "%s", limit_message(sb));
    }
}

void llma_sandbox_rearm(lua_State *L, double deadline) {
    llma_sandbox *sb = sandbox_of(L);
    sb->tripped = LLMA_LIMIT_NONE;
    sb->instructions_used = 0;
    sb->output_used = 0;
    sb->last_refused = 0;
    sb->deadline = deadline;
    atomic_store_explicit((_Atomic int *)&sb->interrupt_requested, 0, memory_order_relaxed);
    lua_sethook(L, llma_hook, LUA_MASKCOUNT, LLMA_HOOK_INTERVAL);
}

void llma_sandbox_interrupt(llma_sandbox *sb) {
    atomic_store_explicit((_Atomic int *)&sb->interrupt_requested, 1, memory_order_relaxed);
}

/* A request refused up front because it is over a limit (string.rep of 2 GiB, table.move of 10^15
 * elements) trips that limit as running into it would: the run ends as a resource limit, and a
 * pcall that catches the error is stopped again at its next instruction. The message, with its
 * position, is on the stack. */
static int trip(lua_State *L, llma_limit limit) {
    llma_sandbox *sb = sandbox_of(L);
    if (sb->tripped == LLMA_LIMIT_NONE) sb->tripped = limit;
    lua_sethook(L, llma_hook, LUA_MASKCOUNT, 1);
    return lua_error(L);
}

/* A C function that is about to do work proportional to `units` checks the limits first. */
static void check_limits(lua_State *L) {
    llma_sandbox *sb = sandbox_of(L);
    if (sb->tripped == LLMA_LIMIT_NONE && sb->deadline > 0 && llma_monotonic_seconds() > sb->deadline)
        sb->tripped = LLMA_LIMIT_TIME;
    if (sb->tripped == LLMA_LIMIT_NONE &&
        atomic_load_explicit((_Atomic int *)&sb->interrupt_requested, memory_order_relaxed))
        sb->tripped = LLMA_LIMIT_INTERRUPT;
    if (sb->tripped != LLMA_LIMIT_NONE) {
        /* Tripped for good: a pcall that catches this is stopped at its next instruction. */
        lua_sethook(L, llma_hook, LUA_MASKCOUNT, 1);
        luaL_error(L, "%s", limit_message(sb));
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Series userdata */

llma_series *llma_toseries(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TUSERDATA) return NULL;
    if (lua_rawlen(L, idx) < sizeof(llma_series)) return NULL;
    llma_series *s = (llma_series *)lua_touserdata(L, idx);
    return (s != NULL && s->magic == LLMA_SERIES_MAGIC) ? s : NULL;
}

static llma_series *new_series(lua_State *L, int64_t length, int kind, const double *external) {
    if (length < 0) luaL_error(L, "negative Series length");
    size_t bytes = sizeof(llma_series) + (external ? 0 : (size_t)length * sizeof(double));
    llma_series *s = (llma_series *)lua_newuserdatauv(L, bytes, 0);
    s->magic = LLMA_SERIES_MAGIC;
    s->kind = (uint32_t)kind;
    s->length = length;
    s->data = external ? (double *)external : (double *)(s + 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_SERIES_MT);
    lua_setmetatable(L, -2);
    return s;
}

static int p_new_series(lua_State *L) {
    int64_t n = (int64_t)lua_tointeger(L, 1);
    int kind = (int)lua_tointeger(L, 2);
    new_series(L, n, kind, NULL);
    return 1;
}

double *llma_push_series(lua_State *L, int64_t length, int kind) {
    if (!lua_checkstack(L, 4)) return NULL;
    lua_pushcfunction(L, p_new_series);
    lua_pushinteger(L, (lua_Integer)length);
    lua_pushinteger(L, kind);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        lua_pop(L, 1);
        return NULL;
    }
    return ((llma_series *)lua_touserdata(L, -1))->data;
}

static int p_push_string(lua_State *L) {
    const char *s = (const char *)lua_touserdata(L, 1);
    size_t n = (size_t)lua_tointeger(L, 2);
    lua_pushlstring(L, s, n);
    return 1;
}

int llma_push_string(lua_State *L, const char *s, size_t length) {
    if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
    lua_pushcfunction(L, p_push_string);
    lua_pushlightuserdata(L, (void *)s);
    lua_pushinteger(L, (lua_Integer)length);
    int status = lua_pcall(L, 2, 1, 0);
    if (status != LUA_OK) lua_pop(L, 1);
    return status;
}

const char *llma_tostring_if_string(lua_State *L, int idx, size_t *length) {
    if (lua_type(L, idx) != LUA_TSTRING) return NULL;   /* a string converts without allocating */
    return lua_tolstring(L, idx, length);
}

static llma_series *check_series(lua_State *L, int idx) {
    llma_series *s = llma_toseries(L, idx);
    if (s == NULL) luaL_typeerror(L, idx, "Series");
    return s;
}

static int series_len(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)check_series(L, 1)->length);
    return 1;
}

static void push_element(lua_State *L, const llma_series *s, int64_t i) {
    double v = s->data[i];
    if (s->kind == LLMA_SERIES_MASK) lua_pushboolean(L, v != 0 && v == v);
    else lua_pushnumber(L, v);
}

static int series_index(lua_State *L) {
    llma_series *s = check_series(L, 1);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        int isint = 0;
        lua_Integer i = lua_tointegerx(L, 2, &isint);
        if (!isint) return luaL_error(L, "Series index must be an integer, got %s", lua_tostring(L, 2));
        if (i < 1 || i > s->length) { lua_pushnil(L); return 1; }
        push_element(L, s, i - 1);
        return 1;
    }
    if (lua_type(L, 2) == LUA_TSTRING) {
        lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_METHODS);
        lua_pushvalue(L, 2);
        if (lua_rawget(L, -2) != LUA_TNIL) return 1;
        return luaL_error(L, "Series has no method '%s' (hint: help() lists primitives; "
                             "methods are last, values, first_valid, count, sum, mean, min, max, std)",
                          lua_tostring(L, 2));
    }
    return luaL_error(L, "Series index must be an integer, got %s", luaL_typename(L, 2));
}

static int series_newindex(lua_State *L) {
    return luaL_error(L, "Series are read-only (hint: build a new one, e.g. where(mask, a, b))");
}

static int series_tostring(lua_State *L) {
    llma_series *s = check_series(L, 1);
    if (s->kind == LLMA_SERIES_MASK) {
        int64_t t = 0;
        for (int64_t i = 0; i < s->length; i++) t += (s->data[i] != 0 && s->data[i] == s->data[i]);
        lua_pushfstring(L, "Mask(len=%I, true=%I)", (lua_Integer)s->length, (lua_Integer)t);
    } else if (s->length == 0) {
        lua_pushstring(L, "Series(len=0)");
    } else {
        lua_pushfstring(L, "Series(len=%I, last=%f)", (lua_Integer)s->length, s->data[s->length - 1]);
    }
    return 1;
}

static int series_compare(lua_State *L) {
    return luaL_error(L, "attempt to compare Series with '<', '<=', '>' or '>=' "
                         "(hint: use lt(a, b), le, gt, ge for element-wise comparison)");
}

static int series_eq(lua_State *L) {
    return luaL_error(L, "attempt to compare two Series with '==' "
                         "(hint: use eq(a, b) or ne(a, b) for element-wise comparison)");
}

static int method_last(lua_State *L) {
    llma_series *s = check_series(L, 1);
    if (s->length == 0) { lua_pushnil(L); return 1; }
    push_element(L, s, s->length - 1);
    return 1;
}

/* s:values(a, b) and s:totable(a, b): one function, its name an upvalue for the messages. */
static int method_values(lua_State *L) {
    const char *name = lua_tostring(L, lua_upvalueindex(1));
    llma_series *s = check_series(L, 1);
    lua_Integer a = luaL_optinteger(L, 2, 1);
    lua_Integer b = luaL_optinteger(L, 3, s->length);
    if (a < 1) a = 1;
    if (b > s->length) b = s->length;
    if (b - a + 1 > LLMA_MAX_VALUES)
        return luaL_error(L, "%s: %I values asked, at most %d at once (hint: %s(a, b) takes a range)",
                          name, (lua_Integer)(b - a + 1), LLMA_MAX_VALUES, name);
    lua_createtable(L, b >= a ? (int)(b - a + 1) : 0, 0);
    for (lua_Integer i = a; i <= b; i++) {
        push_element(L, s, i - 1);
        lua_rawseti(L, -2, i - a + 1);
    }
    return 1;
}

/* series(t): a Series from a Lua array of numbers t[1] .. t[#t]. A hole or anything but a
 * number (a numeric string included) is refused with its index; the Series is allocated like any
 * other, so it counts against the memory cap. */
static int series_from_table(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
    llma_series *s = new_series(L, n, LLMA_SERIES_VALUES, NULL);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_rawgeti(L, 1, i) != LUA_TNUMBER)
            return luaL_error(L, "series: element %I is %s, not a number (hint: series{1.5, 2, ...} takes an array of numbers)",
                              i, luaL_typename(L, -1));
        s->data[i - 1] = (double)lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Trampoline into Swift: the Swift entry returns a status, and the raise happens here. */
static int llma_trampoline(lua_State *L) {
    llma_sandbox *sb = sandbox_of(L);
    int id = (int)lua_tointeger(L, lua_upvalueindex(1));
    char msg[LLMA_ERRMAX];
    msg[0] = '\0';
    check_limits(L);
    int n = sb->entry(L, sb->entry_context, id, msg, sizeof msg);
    if (n < 0) {
        if (sb->tripped != LLMA_LIMIT_NONE) return luaL_error(L, "%s", limit_message(sb));
        return luaL_error(L, "%s", msg);
    }
    return n;
}

/* ------------------------------------------------------------------------------------------ */
/* Strict globals with "did you mean" hints. */

static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 99;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t cost = (a[i - 1] == b[j - 1]) ? 0 : 1;
            size_t best = prev + cost;
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

/* Scans the string keys of the table at `t` for the closest name to `name`. */
static void closest_key(lua_State *L, int t, const char *name, const char **best, size_t *best_d) {
    t = lua_absindex(L, t);
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            const char *k = lua_tostring(L, -2);
            size_t d = edit_distance(name, k);
            if (d < *best_d) { *best_d = d; *best = k; }
        }
        lua_pop(L, 1);
    }
}

static void push_hint(lua_State *L, const char *name, int table1, int table2) {
    const char *best = NULL;
    size_t best_d = 99;
    closest_key(L, table1, name, &best, &best_d);
    if (table2 != 0) closest_key(L, table2, name, &best, &best_d);
    size_t limit = strlen(name) <= 4 ? 1 : (strlen(name) <= 8 ? 2 : 3);
    if (best != NULL && best_d <= limit) lua_pushfstring(L, " (did you mean '%s'?)", best);
    else lua_pushstring(L, "");
}

static int undefined_global(lua_State *L) {
    /* upvalue-free: arguments are (builtins, key) */
    if (lua_type(L, 2) != LUA_TSTRING) { lua_pushnil(L); return 1; }
    const char *name = lua_tostring(L, 2);
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    push_hint(L, name, 1, -1);
    return luaL_error(L, "undefined global '%s'%s", name, lua_tostring(L, -1));
}

static int assign_global(lua_State *L) {
    /* arguments: (globals, key, value) */
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_BUILTINS);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, -2) != LUA_TNIL && lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L, "cannot assign to built-in '%s' (hint: use another name, e.g. local my_%s = ...)",
                          lua_tostring(L, 2), lua_tostring(L, 2));
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 0;
}

/* Data tables (`d`) are strict too: a misspelt column is an error naming the closest one. Fields
 * that exist only for some data sets read as nil so scripts can test for them. */
static int strict_table_index(lua_State *L) {
    static const char *const optional[] = {"quote_volume", "trades", "taker_buy_volume", "funding",
                                           "open_interest", "open_interest_value", "mark_open", "mark_high",
                                           "mark_low", "mark_close", NULL};
    if (lua_type(L, 2) != LUA_TSTRING) { lua_pushnil(L); return 1; }
    const char *name = lua_tostring(L, 2);
    for (int i = 0; optional[i]; i++)
        if (strcmp(optional[i], name) == 0) { lua_pushnil(L); return 1; }
    push_hint(L, name, 1, 0);
    return luaL_error(L, "data has no field '%s'%s", name, lua_tostring(L, -1));
}

/* ------------------------------------------------------------------------------------------ */
/* Guarded library functions: checks first, then the original (upvalue 1). */

static int call_original(lua_State *L) {
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    /* A long C call the hook could not interrupt still ends the run if it outlasted the deadline. */
    check_limits(L);
    return lua_gettop(L);
}

static int guarded_rep(lua_State *L) {
    size_t l = 0, lsep = 0;
    luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (n > 0) {
        llma_sandbox *sb = sandbox_of(L);
        double bytes = (double)n * (double)(l + lsep);
        double cap = sb->memory_limit > 0 ? (double)sb->memory_limit : 1e9;
        if (n > LLMA_MAX_REP_COUNT || bytes >= cap) {
            luaL_where(L, 1);
            lua_pushfstring(L, "string.rep: %I repetitions of %I bytes is over the sandbox's %s",
                            (lua_Integer)n, (lua_Integer)(l + lsep), bytes >= cap ? "memory" : "instruction budget");
            lua_concat(L, 2);
            return trip(L, bytes >= cap ? LLMA_LIMIT_MEMORY : LLMA_LIMIT_INSTRUCTIONS);
        }
    }
    return call_original(L);
}

/* Lua patterns backtrack, all inside one C call the hook cannot interrupt: an unanchored pattern
 * with q quantifiers can cost about n^(q+1) steps on an n-byte subject, each step comparing up to
 * the pattern's length. Two shapes are linear in n and run whenever n times the pattern's length
 * fits the budget: an anchored pattern (find, match, gsub; gmatch reads '^' as a plain character)
 * with one quantifier, and a pattern whose only quantifier is on its last item, `$` aside
 * (`[^,\n]+`, `%d+`, `a%s*`): each start expands once and the empty rest matches, and
 * gmatch/gsub go on from the match's end. `%b` scans like a quantifier. Others are priced
 * n^(q+1) (n^q anchored) times the length and refused over the budget: the quadratic and worse.
 * A call that still runs past the deadline ends the run when it returns (call_original). */
static int guarded_pattern(lua_State *L) {
    size_t n = 0, plen = 0;
    luaL_checklstring(L, 1, &n);
    const char *p = luaL_checklstring(L, 2, &plen);
    int is_find = (int)lua_tointeger(L, lua_upvalueindex(2));
    if (is_find && lua_toboolean(L, 4)) return call_original(L);   /* plain find: no pattern */
    const char *fname = lua_tostring(L, lua_upvalueindex(3));
    int is_gmatch = fname != NULL && strcmp(fname, "gmatch") == 0;
    int quantifiers = 0, in_set = 0, items_after_quantifier = 0, anchored_end = 0;
    for (size_t i = 0; i < plen; i++) {
        char c = p[i];
        if (in_set) { if (c == '%') i++; else if (c == ']') in_set = 0; continue; }
        if (c == '*' || c == '+' || c == '-' || c == '?') {
            if (i > 0) { quantifiers++; items_after_quantifier = 0; }
            continue;
        }
        if (c == '(' || c == ')') continue;                       /* captures match nothing themselves */
        if (c == '$' && i + 1 == plen) { anchored_end = 1; continue; }
        if (c == '^' && i == 0 && !is_gmatch) continue;
        if (quantifiers > 0) items_after_quantifier++;
        if (c == '%') {
            i++;
            if (i < plen && p[i] == 'b') { quantifiers++; items_after_quantifier = 0; i += 2; }
            else if (i < plen && p[i] == 'f') { i++; if (i < plen && p[i] == '[') in_set = 1; }
            continue;
        }
        if (c == '[') { in_set = 1; if (i + 1 < plen && p[i + 1] == '^') i++; if (i + 1 < plen && p[i + 1] == ']') i++; continue; }
    }
    int anchored = plen > 0 && p[0] == '^' && !is_gmatch;
    int linear = quantifiers == 0 || (quantifiers == 1 && (anchored || (items_after_quantifier == 0 && !anchored_end)));
    double size = n > 0 ? (double)n : 1.0;
    double cost = (double)(plen > 0 ? plen : 1) * size;
    if (!linear) {
        if (anchored) cost /= size;
        for (int q = 0; q < quantifiers && q < 6; q++) cost *= size;
    }
    if (cost > LLMA_MAX_PATTERN_COST) {
        luaL_where(L, 1);
        lua_pushfstring(L, "string.%s: pattern with %d quantifiers on a %I-byte string could backtrack past the sandbox's "
                           "instruction budget (hint: anchor it with '^', match one field at a time, or split the string first)",
                        fname, quantifiers, (lua_Integer)n);
        lua_concat(L, 2);
        return trip(L, LLMA_LIMIT_INSTRUCTIONS);
    }
    return call_original(L);
}

static int guarded_sort(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
    if (n > LLMA_MAX_SORT) {
        luaL_where(L, 1);
        lua_pushfstring(L, "table.sort: %I elements, at most %d (hint: use rank or quantile on a Series)", n, LLMA_MAX_SORT);
        lua_concat(L, 2);
        return trip(L, LLMA_LIMIT_INSTRUCTIONS);
    }
    check_limits(L);
    return call_original(L);
}

static int guarded_move(lua_State *L) {
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
    if (e >= f && (e - f) >= LLMA_MAX_MOVE) {
        luaL_where(L, 1);
        lua_pushfstring(L, "table.move: %I elements, at most %d", e - f + 1, LLMA_MAX_MOVE);
        lua_concat(L, 2);
        return trip(L, LLMA_LIMIT_MEMORY);
    }
    return call_original(L);
}

static int guarded_concat(lua_State *L) {
    check_limits(L);
    return call_original(L);
}

/* xpcall's message handler runs inside the failing frame. When the failure is a limit raised from
 * the count hook, Lua runs that handler with hooks still disabled, so a handler that loops would
 * never be stopped. Once a limit has tripped, the script's handler is skipped and the limit's
 * message passes through unchanged. */
static int guarded_message_handler(lua_State *L) {
    if (sandbox_of(L)->tripped != LLMA_LIMIT_NONE) return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int guarded_xpcall(lua_State *L) {
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guarded_message_handler, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

static void wrap_field(lua_State *L, int table, const char *field, lua_CFunction guard, int is_find) {
    table = lua_absindex(L, table);
    lua_getfield(L, table, field);
    lua_pushinteger(L, is_find);
    lua_pushfstring(L, "%s", field);
    lua_pushcclosure(L, guard, 3);
    lua_setfield(L, table, field);
}

/* print: writes to the host's sink with an output budget. */
static int sandbox_print(lua_State *L) {
    llma_sandbox *sb = sandbox_of(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    size_t len = 0;
    const char *text = lua_tolstring(L, -1, &len);
    if (sb->output_limit > 0 && sb->output_used + len > sb->output_limit) {
        if (sb->tripped == LLMA_LIMIT_NONE) sb->tripped = LLMA_LIMIT_OUTPUT;
        return luaL_error(L, "%s", limit_message(sb));
    }
    sb->output_used += len;
    if (sb->print_sink) sb->print_sink(sb->print_context, text, len);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* State construction */

static const char *const allowed_base[] = {
    "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen", "rawset",
    "select", "tonumber", "tostring", "type", "xpcall", "_VERSION", NULL};

static int p_setup(lua_State *L) {
    /* Libraries from our own list, not luaL_openlibs: no io, os, debug, package, coroutine.
     * Each opener is called directly (no package.loaded bookkeeping); base fills the global
     * table, from which only the allowed names move to the builtins. */
    lua_settop(L, 0);
    int G = 1, B = 2;
    lua_pushcfunction(L, luaopen_base);
    lua_call(L, 0, 1);                                      /* 1: the script's globals */
    lua_createtable(L, 0, 192);                             /* 2: builtins, sized for every primitive */
    for (int i = 0; allowed_base[i]; i++) {
        lua_getfield(L, G, allowed_base[i]);
        lua_setfield(L, B, allowed_base[i]);
    }
    static const struct { const char *name; lua_CFunction open; } libs[] = {
        {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table},
        {LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL}};
    for (int i = 0; libs[i].name; i++) {
        lua_pushcfunction(L, libs[i].open);
        lua_call(L, 0, 1);
        lua_setfield(L, B, libs[i].name);
    }
    /* string: no dump (bytecode out), guarded rep and pattern functions. The string metatable's
     * __index is this same table, so method calls ("x"):rep(...) are guarded too. */
    lua_getfield(L, B, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    wrap_field(L, -1, "rep", guarded_rep, 0);
    wrap_field(L, -1, "find", guarded_pattern, 1);
    wrap_field(L, -1, "match", guarded_pattern, 0);
    wrap_field(L, -1, "gmatch", guarded_pattern, 0);
    wrap_field(L, -1, "gsub", guarded_pattern, 0);
    lua_pop(L, 1);
    lua_getfield(L, B, LUA_TABLIBNAME);
    wrap_field(L, -1, "sort", guarded_sort, 0);
    wrap_field(L, -1, "move", guarded_move, 0);
    wrap_field(L, -1, "concat", guarded_concat, 0);
    lua_pop(L, 1);
    /* Reproducible math.random: the same script gives the same numbers on every run. */
    lua_getfield(L, B, LUA_MATHLIBNAME);
    lua_getfield(L, -1, "randomseed");
    lua_pushinteger(L, 20240101);
    lua_call(L, 1, 0);
    lua_pop(L, 1);
    lua_getfield(L, B, "xpcall");
    lua_pushcclosure(L, guarded_xpcall, 1);
    lua_setfield(L, B, "xpcall");
    lua_pushcfunction(L, sandbox_print);
    lua_setfield(L, B, "print");
    lua_pushcfunction(L, series_from_table);
    lua_setfield(L, B, "series");
    lua_pushvalue(L, G);
    lua_setfield(L, B, "_G");
    /* Empty the script's globals: everything builtin is reached through __index = builtins.
     * Clearing fields during a traversal is allowed by lua_next. */
    lua_pushnil(L);
    while (lua_next(L, G) != 0) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, G);
    }
    lua_pushvalue(L, B);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_BUILTINS);

    /* Series metatable, locked with __metatable. */
    lua_newtable(L);
    lua_pushcfunction(L, series_len); lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, series_index); lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, series_newindex); lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, series_tostring); lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, series_compare); lua_setfield(L, -2, "__lt");
    lua_pushcfunction(L, series_compare); lua_setfield(L, -2, "__le");
    lua_pushcfunction(L, series_eq); lua_setfield(L, -2, "__eq");
    lua_pushstring(L, "Series"); lua_setfield(L, -2, "__name");
    lua_pushstring(L, "Series"); lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_SERIES_MT);
    lua_createtable(L, 0, 16);
    lua_pushcfunction(L, method_last); lua_setfield(L, -2, "last");
    lua_pushliteral(L, "values"); lua_pushcclosure(L, method_values, 1); lua_setfield(L, -2, "values");
    lua_pushliteral(L, "totable"); lua_pushcclosure(L, method_values, 1); lua_setfield(L, -2, "totable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_METHODS);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_HOST);
    lua_pushliteral(L, "");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_TRACEBACK);
    return 0;
}

/* A script allocates series of one size over and over (every primitive's result is n doubles).
 * glibc returns a freed block above its trim threshold (dynamically about twice the largest block
 * seen, at most 64 MiB) to the kernel, and the next series faults its pages back in, zeroed: for
 * three 1M-bar results that costs ten times the kernel that fills them. With these settings,
 * blocks up to 256 MiB (32M bars) come from the heap and up to 256 MiB of freed memory stays in
 * the process for the next series (on the main thread's heap; other threads' arenas still map
 * blocks over 64 MiB). Process-wide, so the llmalpha command opts in at start; a host application
 * decides for itself. 1 when both settings took (never on a C library without mallopt). */
static int keep_freed_memory_result = 0;

static void keep_freed_memory_once(void) {
#ifdef __GLIBC__
    /* The trim threshold first: had the mmap threshold been refused after it, glibc would keep
     * its dynamic mmap threshold, which is the default behaviour. */
    keep_freed_memory_result = mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1 && mallopt(M_MMAP_THRESHOLD, 256 << 20) == 1;
#endif
}

int llma_keep_freed_series_memory(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, keep_freed_memory_once);
    return keep_freed_memory_result;
}

lua_State *llma_sandbox_open(llma_sandbox *sb) {
    lua_State *L = lua_newstate(llma_alloc, sb);
    if (L == NULL) return NULL;
    *(llma_sandbox **)lua_getextraspace(L) = sb;
    /* No collection while the sandbox is built: nothing is garbage yet, and incremental steps
     * would cost more than the set-up itself. llma_seal_globals restarts it. */
    lua_gc(L, LUA_GCSTOP);
    lua_pushcfunction(L, p_setup);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        lua_close(L);
        return NULL;
    }
    lua_sethook(L, llma_hook, LUA_MASKCOUNT, LLMA_HOOK_INTERVAL);
    return L;
}

void llma_sandbox_close(lua_State *L) {
    if (L) lua_close(L);
}

/* ------------------------------------------------------------------------------------------ */
/* Protected set-up helpers called from Swift */

typedef struct {
    const char *name;
    const char *text;
    const double *data;
    int64_t length;
    double number;
    int id;
    int kind;
    const int *ids;
} setup_args;

static int run_protected(lua_State *L, lua_CFunction f, setup_args *a, int nresults) {
    if (!lua_checkstack(L, 8)) return LUA_ERRMEM;
    lua_pushcfunction(L, f);
    lua_pushlightuserdata(L, a);
    return lua_pcall(L, 1, nresults, 0);
}

static int p_install_function(lua_State *L) {
    setup_args *a = (setup_args *)lua_touserdata(L, 1);
    const void *key = a->kind == 1 ? (const void *)&KEY_METHODS
                    : a->kind == 2 ? (const void *)&KEY_HOST : (const void *)&KEY_BUILTINS;
    lua_rawgetp(L, LUA_REGISTRYINDEX, key);
    lua_pushinteger(L, a->id);
    lua_pushcclosure(L, llma_trampoline, 1);
    lua_setfield(L, -2, a->name);
    return 0;
}

int llma_install_function(lua_State *L, const char *name, int function_id, int where) {
    setup_args a = {.name = name, .id = function_id, .kind = where};
    return run_protected(L, p_install_function, &a, 0);
}

typedef struct {
    const char *const *names;
    const int *ids;
    const int *wheres;
    int count;
} install_list;

static int p_install_functions(lua_State *L) {
    install_list *list = (install_list *)lua_touserdata(L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_BUILTINS);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_METHODS);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_HOST);
    for (int i = 0; i < list->count; i++) {
        lua_pushinteger(L, list->ids[i]);
        lua_pushcclosure(L, llma_trampoline, 1);
        lua_setfield(L, 2 + list->wheres[i], list->names[i]);
    }
    return 0;
}

int llma_install_functions(lua_State *L, const char *const *names, const int *function_ids, const int *wheres, int count) {
    install_list list = {names, function_ids, wheres, count};
    if (!lua_checkstack(L, 8)) return LUA_ERRMEM;
    lua_pushcfunction(L, p_install_functions);
    lua_pushlightuserdata(L, &list);
    return lua_pcall(L, 1, 0, 0);
}

/* The prelude is host code: it is compiled once per process to bytecode (never from a script), and
 * each VM loads that, which is several times faster than parsing the text again. */
typedef struct {
    const char *source;
    size_t length;
    const char *name;
    char *out;
    size_t out_length;
    size_t capacity;
    int failed;
} compile_args;

static int dump_writer(lua_State *L, const void *p, size_t size, void *ud) {
    (void)L;
    compile_args *a = (compile_args *)ud;
    if (a->out_length + size > a->capacity) {
        size_t capacity = (a->capacity + size) * 2;
        char *grown = (char *)realloc(a->out, capacity);
        if (grown == NULL) { a->failed = 1; return 1; }
        a->out = grown;
        a->capacity = capacity;
    }
    memcpy(a->out + a->out_length, p, size);
    a->out_length += size;
    return 0;
}

static int p_compile(lua_State *L) {
    compile_args *a = (compile_args *)lua_touserdata(L, 1);
    if (luaL_loadbufferx(L, a->source, a->length, a->name, "t") != LUA_OK) return lua_error(L);
    /* stripped: the prelude raises at the script's lines, and undumping debug info costs a third of a fresh VM */
    if (lua_dump(L, dump_writer, a, 1) != 0 || a->failed) return luaL_error(L, "not enough memory");
    return 0;
}

char *llma_compile_chunk(const char *source, size_t length, const char *chunkname, size_t *out_length,
                         char *error, size_t error_cap) {
    lua_State *L = luaL_newstate();
    if (L == NULL) { snprintf(error, error_cap, "cannot create a Lua state"); return NULL; }
    compile_args a = {source, length, chunkname, NULL, 0, 0, 0};
    lua_pushcfunction(L, p_compile);
    lua_pushlightuserdata(L, &a);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        snprintf(error, error_cap, "%s", msg ? msg : "cannot compile");
        lua_close(L);
        free(a.out);
        return NULL;
    }
    lua_close(L);
    *out_length = a.out_length;
    return a.out;
}

static int p_install_operators(lua_State *L) {
    setup_args *a = (setup_args *)lua_touserdata(L, 1);
    static const char *const events[] = {"__add", "__sub", "__mul", "__div", "__mod", "__pow", "__unm",
                                         "__idiv", "__band", "__bor", "__bxor", "__bnot", NULL};
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_SERIES_MT);
    for (int i = 0; events[i]; i++) {
        lua_pushinteger(L, a->ids[i]);
        lua_pushcclosure(L, llma_trampoline, 1);
        lua_setfield(L, -2, events[i]);
    }
    return 0;
}

int llma_install_operators(lua_State *L, const int *function_ids) {
    setup_args a = {.ids = function_ids};
    return run_protected(L, p_install_operators, &a, 0);
}

static int p_new_table(lua_State *L) {
    lua_newtable(L);
    return 1;
}

int llma_push_new_table(lua_State *L) {
    if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
    lua_pushcfunction(L, p_new_table);
    int status = lua_pcall(L, 0, 1, 0);
    if (status != LUA_OK) lua_pop(L, 1);
    return status;
}

/* The field setters work on the table at the stack top and leave it there. */
static int set_field(lua_State *L, lua_CFunction f, setup_args *a) {
    if (!lua_checkstack(L, 8)) return LUA_ERRMEM;
    lua_pushcfunction(L, f);
    lua_pushlightuserdata(L, a);
    lua_pushvalue(L, -3);
    int status = lua_pcall(L, 2, 0, 0);
    if (status != LUA_OK) lua_pop(L, 1);
    return status;
}

static int p_set_series(lua_State *L) {
    setup_args *a = (setup_args *)lua_touserdata(L, 1);
    new_series(L, a->length, a->kind, a->data);
    lua_setfield(L, 2, a->name);
    return 0;
}

static int p_set_string(lua_State *L) {
    setup_args *a = (setup_args *)lua_touserdata(L, 1);
    lua_pushstring(L, a->text);
    lua_setfield(L, 2, a->name);
    return 0;
}

static int p_set_number(lua_State *L) {
    setup_args *a = (setup_args *)lua_touserdata(L, 1);
    lua_pushnumber(L, a->number);
    lua_setfield(L, 2, a->name);
    return 0;
}

int llma_set_series_field(lua_State *L, const char *field, const double *data, int64_t length, int kind) {
    setup_args a = {.name = field, .data = data, .length = length, .kind = kind};
    return set_field(L, p_set_series, &a);
}

int llma_set_string_field(lua_State *L, const char *field, const char *value) {
    setup_args a = {.name = field, .text = value};
    return set_field(L, p_set_string, &a);
}

int llma_set_number_field(lua_State *L, const char *field, double value) {
    setup_args a = {.name = field, .number = value};
    return set_field(L, p_set_number, &a);
}

static int p_set_builtin(lua_State *L) {
    setup_args *a = (setup_args *)lua_touserdata(L, 1);
    /* arg 2: the value. A table becomes strict on read (see strict_table_index). */
    if (lua_type(L, 2) == LUA_TTABLE && lua_getmetatable(L, 2) == 0) {
        lua_newtable(L);
        lua_pushcfunction(L, strict_table_index);
        lua_setfield(L, -2, "__index");
        lua_setmetatable(L, 2);
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_BUILTINS);
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, a->name);
    return 0;
}

int llma_set_builtin(lua_State *L, const char *name) {
    setup_args a = {.name = name};
    if (!lua_checkstack(L, 8)) return LUA_ERRMEM;
    lua_pushcfunction(L, p_set_builtin);
    lua_pushlightuserdata(L, &a);
    lua_pushvalue(L, -3);
    int status = lua_pcall(L, 2, 0, 0);
    if (status != LUA_OK) return status;   /* message on top, table below it */
    lua_pop(L, 1);
    return LUA_OK;
}

static int p_seal(lua_State *L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_BUILTINS);
    /* builtins' own metatable: a miss is an undefined global */
    lua_newtable(L);
    lua_pushcfunction(L, undefined_global);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    /* globals: reads fall through to builtins, writes may not replace one */
    lua_newtable(L);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, assign_global);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -3);
    return 0;
}

int llma_seal_globals(lua_State *L) {
    setup_args a = {0};
    int status = run_protected(L, p_seal, &a, 0);
    lua_gc(L, LUA_GCRESTART);
    return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Running */

int llma_load(lua_State *L, const char *source, size_t length, const char *chunkname) {
    if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
    return luaL_loadbufferx(L, source, length, chunkname, "t");
}

static int message_handler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) msg = lua_tostring(L, -1);
        else msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, NULL, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_TRACEBACK);
    lua_pushstring(L, msg);
    return 1;
}

int llma_pcall(lua_State *L, int nargs, int nresults) {
    if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, message_handler);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return status;
}

const char *llma_last_traceback(lua_State *L, size_t *length) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_TRACEBACK);
    if (lua_type(L, -1) != LUA_TSTRING) { *length = 0; return ""; }
    return lua_tolstring(L, -1, length);
}

static int p_get_user_global(lua_State *L) {
    setup_args *a = (setup_args *)lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_pushstring(L, a->name);
    lua_rawget(L, -2);
    return 1;
}

int llma_get_user_global(lua_State *L, const char *name) {
    setup_args a = {.name = name};
    return run_protected(L, p_get_user_global, &a, 1);
}

/* t[field] = v for the table just below the value on top; pops the value. */
static int p_set_field_from_top(lua_State *L) {
    setup_args *a = (setup_args *)lua_touserdata(L, 1);
    lua_pushvalue(L, 3);
    if (a->name) lua_setfield(L, 2, a->name);
    else lua_seti(L, 2, (lua_Integer)a->length);
    return 0;
}

static int set_from_top(lua_State *L, setup_args *a) {
    if (!lua_checkstack(L, 8)) return LUA_ERRMEM;
    lua_pushcfunction(L, p_set_field_from_top);
    lua_pushlightuserdata(L, a);
    lua_pushvalue(L, -4);   /* the table */
    lua_pushvalue(L, -4);   /* the value */
    int status = lua_pcall(L, 3, 0, 0);
    if (status != LUA_OK) { lua_pop(L, 2); return status; }   /* message and value */
    lua_pop(L, 1);
    return LUA_OK;
}

int llma_set_field(lua_State *L, const char *field) {
    setup_args a = {.name = field};
    return set_from_top(L, &a);
}

int llma_set_index(lua_State *L, int64_t index) {
    setup_args a = {.name = NULL, .length = index};
    return set_from_top(L, &a);
}

static int p_get_host_field(lua_State *L) {
    setup_args *a = (setup_args *)lua_touserdata(L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_HOST);
    lua_pushstring(L, a->name);
    lua_rawget(L, -2);
    return 1;
}

int llma_get_host_field(lua_State *L, const char *name) {
    setup_args a = {.name = name};
    return run_protected(L, p_get_host_field, &a, 1);
}

static int p_get_builtin(lua_State *L) {
    setup_args *a = (setup_args *)lua_touserdata(L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_BUILTINS);
    lua_pushstring(L, a->name);
    lua_rawget(L, -2);
    return 1;
}

int llma_get_builtin(lua_State *L, const char *name) {
    setup_args a = {.name = name};
    return run_protected(L, p_get_builtin, &a, 1);
}

static int p_run_prelude(lua_State *L) {
    setup_args *a = (setup_args *)lua_touserdata(L, 1);
    /* kind 1: bytecode from llma_compile_chunk (host-made, never a script's) */
    if (luaL_loadbufferx(L, a->text, (size_t)a->length, a->name, a->kind == 1 ? "b" : "t") != LUA_OK) return lua_error(L);
    /* The prelude defines builtins: its _ENV is the builtins table, and it alone receives the
     * host callbacks as its argument. */
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_BUILTINS);
    lua_setupvalue(L, -2, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_HOST);
    lua_call(L, 1, 0);
    return 0;
}

int llma_run_prelude(lua_State *L, const char *source, size_t length, const char *chunkname, int is_bytecode) {
    setup_args a = {.name = chunkname, .text = source, .length = (int64_t)length, .kind = is_bytecode};
    if (!lua_checkstack(L, 8)) return LUA_ERRMEM;
    lua_pushcfunction(L, message_handler);
    lua_pushcfunction(L, p_run_prelude);
    lua_pushlightuserdata(L, &a);
    int status = lua_pcall(L, 1, 0, -3);
    lua_remove(L, status == LUA_OK ? -1 : -2);
    return status;
}
