/* SPDX-License-Identifier: ISC */
/* table - placeholder, being written. */
#include "config.h"
#include "table.h"
