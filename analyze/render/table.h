/*
 * table.h - aligned text tables for the report for people (render/text.c).
 *
 * Rows of strings are collected first and printed once every column width is
 * known, so columns line up whatever the numbers are. Widths count UTF-8
 * characters, not bytes, so "–" takes one column. Pure apart from the FILE
 * it prints to.
 */
#ifndef NW_TABLE_H
#define NW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS 12

/* The widest line table_print() writes, indent included. */
#define TABLE_WIDTH 100

typedef enum { TABLE_LEFT, TABLE_RIGHT } table_align_t;

typedef struct table table_t;

/* A table of ncols (1..TABLE_MAX_COLS) columns, all left-aligned; NULL when
 * out of memory or ncols is out of range. Free with table_free(). */
table_t *table_new(size_t ncols) __attribute__((warn_unused_result));
void table_free(table_t *table);

void table_align(table_t *table, size_t col, table_align_t align);

/* Appends a row of ncols strings (copied; NULL prints as empty). A header
 * row is followed by a rule of dashes. False when out of memory. */
bool table_add_row(table_t *table, const char *const *cells) __attribute__((warn_unused_result));
bool table_add_header(table_t *table, const char *const *cells) __attribute__((warn_unused_result));

/* The display width of a UTF-8 string (its number of characters). */
size_t table_text_width(const char *s);

/* Prints every row, each line starting with indent, columns separated by
 * two spaces, no trailing blanks, in at most TABLE_WIDTH columns: a table
 * that is wider is printed in parts, each with the first column and as many
 * of the next ones as fit, one part after the other; a cell that cannot fit
 * even so is cut with an ellipsis. Returns false on a write error. */
bool table_print(const table_t *table, FILE *out, const char *indent);

#endif
