/* libedit (BSD editline) through its readline-compatible API, for the REPL's line editing,
 * history and tab completion. Swift cannot take the address of C globals it does not know, so
 * the few settings the REPL needs are wrapped here. */
#ifndef LLMA_CEDITLINE_SHIM_H
#define LLMA_CEDITLINE_SHIM_H
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>
#include <editline/readline.h>

typedef char *(*llma_completion_generator)(const char *text, int state);

/* Completion: `generator` is called with state 0, 1, 2 ... and returns malloc'd candidates, NULL
 * when done. '.' and ':' break words too, so a completion never holds characters libedit would
 * escape; the generator reads the line (llma_editline_line) to see what the word follows. No
 * space is appended: the user goes on with '(' or ')'. */
static inline void llma_editline_setup(llma_completion_generator generator) {
    rl_completion_entry_function = (rl_compentry_func_t *)generator;
    rl_basic_word_break_characters = " \t\n\"'`@$><=;|&{}(),+-*/%^#~[].:";
    rl_completer_word_break_characters = rl_basic_word_break_characters;
    rl_completion_append_character = '\0';
}

/* Ctrl-C at the prompt. While libedit waits for a key, the terminal's ISIG is off, so Ctrl-C is
 * no signal but a key, bound to `interrupt`; the REPL's callback notes the key and ends the read
 * (llma_editline_end_read: readline returns NULL, as at Ctrl-D). Between reads the terminal is as
 * the user had it, ISIG on, so Ctrl-C on a running line is SIGINT and stops the Lua VM.
 * Deterministic, no signal races with libedit's or libdispatch's handlers.
 * readline() resets libedit's tty mode masks on every call (tty_init), so `setty -d -isig`
 * (ISIG off in the edit mode only) is re-applied in the pre-input hook, which runs after that
 * reset and before the terminal goes raw. Ctrl-Z, no signal either then, is bound to a suspend
 * that redraws the line on `fg`. The keys are the terminal's own intr and susp characters. */
static inline int llma_editline_pre_input(void) {
    rl_parse_and_bind("setty -d -isig");
    return 0;
}

static inline int llma_editline_suspend(int count, int key) {
    (void)count; (void)key;
    kill(0, SIGTSTP);               /* libedit's handler restores the terminal; we stop here */
    rl_forced_update_display();     /* after fg: the prompt and the line again */
    return 0;
}

static inline void llma_editline_end_read(void) { rl_done = 1; }

static inline void llma_editline_bind_interrupt(rl_command_func_t *interrupt) {
    int intr = 3, susp = 26;        /* ^C, ^Z */
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &t) == 0) {
        if (t.c_cc[VINTR] != _POSIX_VDISABLE) intr = t.c_cc[VINTR];
        if (t.c_cc[VSUSP] != _POSIX_VDISABLE) susp = t.c_cc[VSUSP];
    }
    if (rl_initialize() != 0) return;
    rl_pre_input_hook = llma_editline_pre_input;
    rl_add_defun("llma-interrupt", interrupt, intr);
    if (susp != intr) rl_add_defun("llma-suspend", llma_editline_suspend, susp);
}

/* The line being edited and the cursor position, for the completion generator. */
static inline const char *llma_editline_line(void) { return rl_line_buffer; }
static inline int llma_editline_point(void) { return rl_point; }
#endif
