/*
 * render_text_sv.h - the surveillance sections of the text report.
 */
#ifndef NW_RENDER_TEXT_SV_H
#define NW_RENDER_TEXT_SV_H

#include <stdbool.h>
#include <stdio.h>

#include "analysis.h"
#include "surveil.h"

/* Writes sections 4-7; false when out of memory. Nothing when analysis->sv
 * is NULL. */
bool render_text_sv(FILE *out, const analysis_t *analysis);

#endif
