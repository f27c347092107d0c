/* SPDX-License-Identifier: ISC */
/* map - placeholder, being written. */
#include "config.h"
#include "map.h"
