package install

import "strings"

// Answer is what the user said to "continue? [y]es, [s]elect what to sync, [N]o".
type Answer int

const (
	No     Answer = iota // anything else, also an empty answer
	Yes                  // y, yes
	Select               // s, select
)

// ParseAnswer reads the answer to the continue question (case and spaces
// ignored).
func ParseAnswer(a string) Answer {
	switch strings.ToLower(strings.TrimSpace(a)) {
	case "y", "yes":
		return Yes
	case "s", "select":
		return Select
	}
	return No
}

// Included reads the answer to a "[Y/n]" question: anything but n is yes.
func Included(a string) bool { return strings.ToLower(strings.TrimSpace(a)) != "n" }

// Choice is what the user selected at the prompt, as the flags would say it.
type Choice struct {
	Only   string   // "", "db" or "files"
	Sets   []string // file sets, when only some (nil: as before)
	Tables []string // table globs that take the published rows (nil: all)
}

// Choose turns the answers of a selection into a Choice: db says whether the
// database is synced, tables is the answer to the tables question (globs
// separated by spaces; "" for all), sets are the file sets asked about and
// chosen whether each was selected. ok is false when nothing was selected.
func Choose(db bool, tables string, sets []string, chosen []bool) (c Choice, ok bool) {
	if db {
		c.Tables = strings.Fields(tables)
		if len(c.Tables) == 0 {
			c.Tables = nil
		}
	}
	for i, name := range sets {
		if i < len(chosen) && chosen[i] {
			c.Sets = append(c.Sets, name)
		}
	}
	switch {
	case !db && len(c.Sets) == 0:
		return Choice{}, false
	case !db:
		c.Only = "files"
	case len(c.Sets) == 0:
		c.Only = "db"
	}
	return c, true
}
