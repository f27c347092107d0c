/* SPDX-License-Identifier: ISC */
/* addr - placeholder, being written. */
#include "config.h"
#include "addr.h"
