/* SPDX-License-Identifier: ISC */
/*
 * mapreader - a reader for t/0110-postmap-concurrency.t.  It opens a table
 * once, then looks up a fixed set of keys over and over, for a number of
 * rounds or until a stop file exists, while the test rebuilds the table
 * beside it.  It counts the keys it missed (keys that every generation
 * holds, so any miss is a bug) and the generations it saw (the value of
 * the key "generation", so the test can tell that rebuilds were seen).
 *
 *	mapreader [-d usec] [-n rounds] [-s stopfile] table key...
 *
 * -d sleeps between rounds, so eight readers leave a 2-core machine some
 * room for the rebuilds.
 *
 * Prints "rounds R lookups L misses M generations G" and exits 0, 1 when
 * a key was missed or a lookup failed, 2 on a usage or open error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "exitcode.h"
#include "map.h"
#include "str.h"

static void
usage(void)
{
	fprintf(stderr, "usage: mapreader [-d usec] [-n rounds] [-s stopfile] "
	    "table key...\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct buf	 val = BUF_INIT(MAP_VALUE_MAX), gen = BUF_INIT(256);
	struct mail_err	 e;
	struct map	*m;
	const char	*stop = NULL;
	long long	 rounds = 1000000, r, lookups = 0, misses = 0;
	long long	 gens = 0, errors = 0, delay = 0;
	int		 c, i, rc;

	while ((c = getopt(argc, argv, "d:n:s:")) != -1)
		switch (c) {
		case 'd':
			if (str_tonum(optarg, 0, 1000000, &delay) == -1)
				usage();
			break;
		case 'n':
			if (str_tonum(optarg, 1, 1000000000, &rounds) == -1)
				usage();
			break;
		case 's':
			stop = optarg;
			break;
		default:
			usage();
		}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	if (map_open(&m, argv[0], 0, &e) != EX_OK) {
		fprintf(stderr, "mapreader: %s %s\n", e.enh, e.text);
		return 2;
	}
	for (r = 0; r < rounds; r++) {
		if (stop != NULL && access(stop, F_OK) == 0)
			break;
		for (i = 1; i < argc; i++) {
			lookups++;
			rc = map_get(m, argv[i], strlen(argv[i]), &val, &e);
			if (rc == 0) {
				misses++;
				fprintf(stderr, "mapreader: missed %s\n",
				    argv[i]);
			} else if (rc == -1) {
				errors++;
				fprintf(stderr, "mapreader: %s\n", e.text);
			}
		}
		rc = map_get(m, "generation", 10, &val, &e);
		if (rc == 1 && (gen.s == NULL || strcmp(gen.s, val.s) != 0)) {
			gens++;
			if (buf_set(&gen, val.s, val.len) == -1)
				errors++;
		}
		if (delay > 0)
			usleep((useconds_t)delay);
	}
	map_close(m);
	printf("rounds %lld lookups %lld misses %lld generations %lld\n", r,
	    lookups, misses, gens);
	buf_free(&val);
	buf_free(&gen);
	return misses == 0 && errors == 0 ? 0 : 1;
}
