/* SPDX-License-Identifier: ISC */
/* conf - placeholder, being written. */
#include "config.h"
#include "conf.h"
