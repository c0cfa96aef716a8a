/* libedit (BSD editline) through its readline-compatible API, for the REPL's line editing,
 * history and tab completion. Swift cannot take the address of C globals it does not know, so
 * the few settings the REPL needs are wrapped here. */
#ifndef LLMA_CEDITLINE_SHIM_H
#define LLMA_CEDITLINE_SHIM_H
#include <stdio.h>
#include <stdlib.h>
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

/* The line being edited and the cursor position, for the completion generator. */
static inline const char *llma_editline_line(void) { return rl_line_buffer; }
static inline int llma_editline_point(void) { return rl_point; }
#endif
