// Package scrub replaces personal data in a database dump while it is written, at
// the source, before it leaves the server.
//
// A rule says what becomes of a column's values (ParseRule):
//
//	email        u<hash10>@example.invalid          unique per address (case-insensitive)
//	username     user<hash10>                       unique per login name
//	name         "First Last" from short lists       not unique
//	first_name   a first name                        not unique
//	last_name    a last name                         not unique
//	phone        same shape and length; digits and letters replaced (9 digits or more:
//	             leading 0/00 kept, "+49 17x…"-like head, last 8 digits keyed)
//	ip           IPv4 → 10.x.y.z, else 2001:db8:x:y:z::  24 / 48 keyed bits
//	address      "<n> <street>"                      not unique
//	text         lorem ipsum of the same length (line breaks kept)
//	hash         32 hex digits                       unique
//	null         NULL
//	empty        ''
//	const:VALUE  VALUE (also for NULL)
//	password     a hash of LocalPassword in the framework's format (PasswordHash)
//	keep         the value as it is (overrides an earlier rule)
//
// The fakes are deterministic: a keyed hash (SipHash-2-4, a PRF made for short
// inputs, keyed per rule with keys derived by BLAKE3 from a secret of the source's
// store) of the value picks them, so the same value gets the same fake in
// every table (joins by e-mail still match) and on every day (a scrubbed daily
// publish changes as little as an unscrubbed one), and nobody without the store's
// secret can tell which value a fake stands for or test a guess. Where a fake embeds
// the hash (email, username, hash) distinct values give distinct fakes, so unique
// indexes still load (collisions are as likely as for a 50-bit random number).
//
// NULL stays NULL and an empty string stays empty (except null, empty, const and password). A value
// that is a PHP-serialized or JSON array or object keeps its structure: the rule
// applies to each string value in it (not to keys), and serialized string lengths
// are recomputed. A numeric column gets digits: each digit of the value replaced by
// a keyed one. A fake longer than the column's declared length is cut to it.
//
// Specs (ParseSpec) say where a rule applies: TABLE.COLUMN=RULE with globs (path.Match;
// columns case-insensitive), or TABLE.COLUMN[KEYCOLUMN=GLOB]=RULE for key/value
// tables: only in rows whose KEYCOLUMN matches GLOB (WordPress usermeta:
// wp_usermeta.meta_value[meta_key=billing_phone]=phone). The last spec that applies
// to a value wins, so user rules given after the framework's Defaults override them
// (keep turns one off).
//
// Columns without a rule whose name looks personal, or whose values in the first
// rows look like e-mail addresses, are reported by Warnings; the package never prints.
package scrub
