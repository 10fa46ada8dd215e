package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"synco/dumpers/engines"
	"synco/dumpers/scrub"
	"synco/frameworks"
)

// ScrubFlags control the scrubbing of personal data at the source.
type ScrubFlags struct {
	Scrub   []string `name:"scrub" sep:"none" placeholder:"TABLE.COLUMN=RULE" help:"Replace the values of matching columns (globs) while dumping: RULE is email, username, name, first_name, last_name, phone, ip, address, text, hash, null, empty, const:VALUE, password or keep (repeatable; after the framework's defaults and .synco.yml's scrub:, so it overrides them). For key/value tables: TABLE.COLUMN[KEYCOLUMN=GLOB]=RULE."`
	NoScrub bool     `name:"no-scrub" help:"Publish personal data as it is: no framework defaults, no rules. The destination is told."`
}

// scrubPlan is what a publish scrubs: the specs in order (framework defaults,
// .synco.yml, --scrub) and where they came from.
type scrubPlan struct {
	framework string
	specs     []scrub.Spec
	sources   []string // "wordpress defaults", ".synco.yml", "--scrub"
	structure []string // tables published without rows for the framework (reset tokens)
	off       bool     // --no-scrub
}

// on reports whether the publish scrubs anything.
func (p *scrubPlan) on() bool { return !p.off && len(p.specs) > 0 }

// canonical is the plan as text for the store's selection: a change rotates keys.
func (p *scrubPlan) canonical() []string {
	if p.off {
		return []string{"off"}
	}
	out := make([]string, len(p.specs))
	for i, s := range p.specs {
		out[i] = s.String()
	}
	return out
}

// newScrubPlan puts together the framework's defaults (framework "" for none), the
// scrub: section of dir/.synco.yml and the --scrub flags.
func newScrubPlan(f ScrubFlags, framework, prefix, dir string) (*scrubPlan, error) {
	p := &scrubPlan{framework: framework, off: f.NoScrub}
	if f.NoScrub {
		if len(f.Scrub) > 0 {
			return nil, usageError("--no-scrub and --scrub contradict each other")
		}
		return p, nil
	}
	if framework != "" {
		specs, structure := scrub.Defaults(framework, prefix)
		if len(specs) > 0 {
			p.specs = append(p.specs, specs...)
			p.sources = append(p.sources, framework+" defaults")
		}
		p.structure = structure
	}
	if dir != "" {
		specs, err := scrubFile(filepath.Join(dir, ".synco.yml"))
		if err != nil {
			return nil, err
		}
		if len(specs) > 0 {
			p.specs = append(p.specs, specs...)
			p.sources = append(p.sources, ".synco.yml")
		}
	}
	for _, s := range f.Scrub {
		sp, err := scrub.ParseSpec(s)
		if err != nil {
			return nil, usageError("--scrub: " + err.Error())
		}
		p.specs = append(p.specs, sp)
	}
	if len(f.Scrub) > 0 {
		p.sources = append(p.sources, "--scrub")
	}
	return p, nil
}

// scrubFile reads the scrub: mapping of a .synco.yml (TABLE.COLUMN: RULE, in
// order); a missing file has none.
func scrubFile(name string) ([]scrub.Spec, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	var doc struct {
		Scrub yaml.Node `yaml:"scrub"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("%s: %v", name, err)}
	}
	n := &doc.Scrub
	if n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, &UsageError{Msg: fmt.Sprintf("%s: scrub: wants a mapping of TABLE.COLUMN: RULE (line %d)", name, n.Line)}
	}
	var specs []scrub.Spec
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		r, err := scrub.ParseRule(v.Value)
		if err == nil {
			var sp scrub.Spec
			if sp, err = scrub.ParseTarget(k.Value, r); err == nil {
				specs = append(specs, sp)
				continue
			}
		}
		return nil, &UsageError{Msg: fmt.Sprintf("%s: scrub: line %d: %v", name, k.Line, err)}
	}
	return specs, nil
}

// describeScrub tells the user on stderr what the publish scrubs.
func describeScrub(w io.Writer, prog string, p *scrubPlan) {
	switch {
	case p.off:
		fmt.Fprintf(w, "%s: WARNING: --no-scrub: personal data (e-mail addresses, names, IP addresses, password hashes) is published as it is; the destination is told\n", prog)
	case len(p.specs) == 0:
		fmt.Fprintf(w, "%s: no scrub rules (no framework detected): personal data is published as it is unless you add --scrub TABLE.COLUMN=RULE or scrub: in .synco.yml\n", prog)
	default:
		fmt.Fprintf(w, "%s: scrubbing personal data while dumping (%s; --no-scrub to turn off); passwords become %q\n",
			prog, strings.Join(p.sources, ", "), scrub.LocalPassword)
	}
}

// reportScrub prints, after a publish, what was scrubbed and what looked personal
// but was published as it is.
func reportScrub(w io.Writer, prog string, rules *scrub.Rules) {
	if rules == nil {
		return
	}
	if s := rules.Scrubbed(); len(s) > 0 {
		n := ScrubbedColumns(s)
		if n == len(s) {
			fmt.Fprintf(w, "%s: scrubbed %s:\n", prog, Plural(n, "column"))
		} else {
			fmt.Fprintf(w, "%s: scrubbed %s, by %s:\n", prog, Plural(n, "column"), Plural(len(s), "rule"))
		}
		for _, c := range s {
			fmt.Fprintf(w, "%s:   %s\n", prog, c)
		}
	}
	writeWarnings(w, prog+": ", rules.Warnings())
}

// ScrubbedColumns is how many columns a list of scrub rules
// (TABLE.COLUMN=RULE, TABLE.COLUMN[KEY=GLOB]=RULE: scrub.Rules.Scrubbed) is
// about: the rules of a key-value table's value column are one column.
func ScrubbedColumns(rules []string) int {
	cols := map[string]bool{}
	for _, r := range rules {
		c, _, _ := strings.Cut(r, "=")
		c, _, _ = strings.Cut(c, "[")
		cols[c] = true
	}
	return len(cols)
}

func writeWarnings(w io.Writer, prefix string, warnings []scrub.Warning) {
	if len(warnings) == 0 {
		return
	}
	n := len(warnings)
	fmt.Fprintf(w, "%swarning: %s %s personal but %s no scrub rule (add --scrub TABLE.COLUMN=RULE or scrub: in .synco.yml; RULE keep silences this):\n",
		prefix, Plural(n, "column"), Verb(n, "looks", "look"), Verb(n, "has", "have"))
	for _, x := range warnings {
		fmt.Fprintf(w, "%s  %s.%s: %s\n", prefix, x.Table, x.Column, x.Why)
	}
}

// ScrubPreview is what a publish of the detected project p would scrub, and the
// columns that look personal by name but have no rule, from the database's column
// list (no rows are read). It is for synco detect.
type ScrubPreview struct {
	Sources  []string        `json:"sources"`
	Scrubbed []string        `json:"scrubbed"`
	Warnings []scrub.Warning `json:"warnings"`
	Error    string          `json:"error,omitempty"` // the database could not be read
}

// PreviewScrub connects to p's database and lists its columns to preview the
// scrubbing of a publish.
func PreviewScrub(ctx context.Context, p *frameworks.Project) (*ScrubPreview, error) {
	plan, err := newScrubPlan(ScrubFlags{}, p.Framework, p.TablePrefix, p.Root)
	if err != nil {
		return nil, err
	}
	pv := &ScrubPreview{Sources: plan.sources, Scrubbed: []string{}, Warnings: []scrub.Warning{}}
	if p.DB == nil {
		return pv, nil
	}
	columns := map[string]string{ // table, column and type of every column, tab-separated
		"mysql": `SELECT CONCAT(TABLE_NAME, '\t', COLUMN_NAME, '\t', DATA_TYPE)
				FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
		"postgres": `SELECT table_schema || '.' || table_name || E'\t' || column_name || E'\t' || data_type
				FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
				ORDER BY table_schema, table_name, ordinal_position`,
	}
	var rows []string
	e, err := engines.Open(p.DB.DSN)
	if err == nil {
		rows, err = e.Column(ctx, columns[e.Name()])
	}
	if err != nil {
		pv.Error = err.Error()
		return pv, nil
	}
	rules := scrub.New([32]byte{}, plan.framework, plan.specs)
	skip := append(append(append([]string{}, p.StructureOnly...), p.Exclude...), plan.structure...)
	var table string
	var cols []scrub.Column
	flush := func() {
		if table == "" {
			return
		}
		names := []string{table}
		if p.DB.Engine == "postgres" {
			_, bare, _ := strings.Cut(table, ".")
			names = append(names, bare)
		}
		for _, g := range skip {
			for _, n := range names {
				if ok, _ := path.Match(g, n); ok {
					return
				}
			}
		}
		rules.Table(names, cols)
	}
	for _, r := range rows {
		f := strings.Split(r, "\t")
		if len(f) != 3 {
			continue
		}
		if f[0] != table {
			flush()
			table, cols = f[0], nil
		}
		t := strings.ToLower(f[2])
		numeric := strings.Contains(t, "int") || t == "decimal" || t == "numeric" || t == "float" || t == "double" || t == "real" || t == "double precision"
		cols = append(cols, scrub.Column{Name: f[1], Numeric: numeric})
	}
	flush()
	pv.Scrubbed = append(pv.Scrubbed, rules.Scrubbed()...)
	pv.Warnings = append(pv.Warnings, rules.Warnings()...)
	return pv, nil
}
