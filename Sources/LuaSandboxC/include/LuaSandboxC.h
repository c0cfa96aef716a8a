/* The C half of llmalpha's Lua sandbox: everything that may raise a Lua error lives here, so no
 * longjmp ever crosses a Swift frame. Swift drives it through the functions below, each of which
 * either never raises or runs its work under lua_pcall and reports a status.
 *
 * One llma_sandbox per lua_State. It is the allocator's userdata and sits in the state's extra
 * space, so every C function finds it without a global. */
#ifndef LLMA_SANDBOX_C_H
#define LLMA_SANDBOX_C_H

#include <stddef.h>
#include <stdint.h>
#include <lua.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which limit stopped the script. Decided by the host from these flags, never from a pcall status
 * the script could forge. */
typedef enum {
    LLMA_LIMIT_NONE = 0,
    LLMA_LIMIT_INSTRUCTIONS = 1,
    LLMA_LIMIT_MEMORY = 2,
    LLMA_LIMIT_TIME = 3,
    LLMA_LIMIT_INTERRUPT = 4,
    LLMA_LIMIT_OUTPUT = 5,
} llma_limit;

/* Swift entry for every Lua-callable host function (primitives, operators, host callbacks).
 * Returns the number of results pushed, or -1 after writing a one-line message into msg;
 * the C trampoline raises it once the Swift frame has returned. */
typedef int (*llma_entry)(lua_State *L, void *context, int function_id, char *msg, size_t cap);
/* Receives everything the script prints (already newline-terminated). */
typedef void (*llma_print_sink)(void *context, const char *text, size_t length);

typedef struct llma_sandbox {
    /* limits, set before running; 0 means unlimited */
    size_t memory_limit;
    long long instruction_limit;
    double deadline;              /* CLOCK_MONOTONIC seconds */
    size_t output_limit;          /* bytes of print output */
    /* accounting, read after running */
    size_t memory_used;
    size_t memory_peak;
    long long instructions_used;
    size_t output_used;
    int tripped;                  /* llma_limit; sticky once set */
    int interrupt_requested;      /* written from another thread via llma_sandbox_interrupt */
    size_t last_refused;          /* internal: size of the last refused allocation */
    /* host entry points */
    llma_entry entry;
    void *entry_context;
    llma_print_sink print_sink;
    void *print_context;
} llma_sandbox;

/* Series userdata: a header followed by the values (owned), or pointing at host memory
 * (external, read-only, kept alive by the host for the state's lifetime). */
#define LLMA_SERIES_MAGIC 0x4C4D5345u
#define LLMA_SERIES_VALUES 0
#define LLMA_SERIES_MASK 1
typedef struct llma_series {
    uint32_t magic;
    uint32_t kind;
    int64_t length;
    double *data;
} llma_series;

/* Number of instructions between two runs of the count hook. */
#define LLMA_HOOK_INTERVAL 10000
#define LLMA_ERRMAX 512

/* ---- lifetime (never raise) ---- */
/* Tunes glibc's malloc once per process so series-sized blocks are reused instead of returned to
 * the kernel and faulted back in (see sandbox.c). 1 when it took effect. */
int llma_keep_freed_series_memory(void);
lua_State *llma_sandbox_open(llma_sandbox *sb);   /* NULL if the state or its libraries cannot be built */
void llma_sandbox_close(lua_State *L);
void llma_sandbox_interrupt(llma_sandbox *sb);    /* async-safe: stops the script at its next hook */
/* Clears a tripped limit and the counters and sets a new deadline: each REPL line gets the full
 * limits again, and a runaway line leaves the session usable. */
void llma_sandbox_rearm(lua_State *L, double deadline);
double llma_monotonic_seconds(void);

/* ---- set-up, each under lua_pcall; return a Lua status (LUA_OK = 0) and leave an error message
 * on the stack otherwise ---- */
/* Installs a function `name` calling the entry with `function_id`: where 0 = builtin global,
 * 1 = Series method (s:name(...)), 2 = host callback, visible only to the prelude. */
int llma_install_function(lua_State *L, const char *name, int function_id, int where);
/* Installs the Series operator metamethods (__add ...) as calls of the entry with these ids,
 * in the order: add sub mul div mod pow unm idiv band bor bxor bnot. */
int llma_install_operators(lua_State *L, const int *function_ids);
/* Starts a builtin table `name` (like `d`), or adds to the table on the stack top. */
int llma_push_new_table(lua_State *L);
int llma_set_series_field(lua_State *L, const char *field, const double *data, int64_t length, int kind);
int llma_set_string_field(lua_State *L, const char *field, const char *value);
int llma_set_number_field(lua_State *L, const char *field, double value);
/* Pops the table on the stack top into the builtin global `name`. */
int llma_set_builtin(lua_State *L, const char *name);
/* Runs a prelude file with the builtins table as its _ENV and the host callbacks table (functions
 * installed with where = 2) as its argument. */
int llma_run_prelude(lua_State *L, const char *source, size_t length, const char *chunkname, int is_bytecode);
/* Installs many functions in one protected call (see llma_install_function for `wheres`). */
int llma_install_functions(lua_State *L, const char *const *names, const int *function_ids, const int *wheres, int count);
/* Compiles trusted host source (the prelude) to bytecode in a scratch state; malloc'd result the
 * caller frees, or NULL with a message in `error`. Never used for scripts. */
char *llma_compile_chunk(const char *source, size_t length, const char *chunkname, size_t *out_length,
                         char *error, size_t error_cap);
/* Marks the builtins complete: from now on reading an undefined global is an error and
 * assigning to a builtin is refused. */
int llma_seal_globals(lua_State *L);

/* ---- running ---- */
/* Compiles source text only (mode "t"); pushes the chunk or an error message. */
int llma_load(lua_State *L, const char *source, size_t length, const char *chunkname);
/* Calls the function below nargs arguments with a traceback handler; on error leaves the message
 * on the stack and the traceback in the registry (llma_traceback). */
int llma_pcall(lua_State *L, int nargs, int nresults);
/* Pushes the traceback of the last failed llma_pcall (or "") and returns a pointer to it. */
const char *llma_last_traceback(lua_State *L, size_t *length);
/* Pushes the user's global `name` without strict-globals errors (nil if undefined). */
int llma_get_user_global(lua_State *L, const char *name);
/* Pops the value on top into the table below it, as t[field] or t[index]; on failure pops the
 * value too and leaves the error message. */
int llma_set_field(lua_State *L, const char *field);
int llma_set_index(lua_State *L, int64_t index);
/* Pushes the host table's field `name` (a prelude helper such as evaluate_signal). */
int llma_get_host_field(lua_State *L, const char *name);
/* Pushes the builtin `name` (such as `d`), nil if there is none. */
int llma_get_builtin(lua_State *L, const char *name);

/* ---- reading and pushing values from Swift (never raise) ---- */
llma_series *llma_toseries(lua_State *L, int idx);
const char *llma_tostring_if_string(lua_State *L, int idx, size_t *length);
/* Allocates a result Series under lua_pcall and leaves it on the stack; NULL on failure
 * (memory limit), with nothing pushed. */
double *llma_push_series(lua_State *L, int64_t length, int kind);
/* Pushes a string under lua_pcall; 0 on success. */
int llma_push_string(lua_State *L, const char *s, size_t length);

#ifdef __cplusplus
}
#endif
#endif
