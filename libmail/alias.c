/* SPDX-License-Identifier: ISC */
/* alias - placeholder, being written. */
#include "config.h"
#include "alias.h"
