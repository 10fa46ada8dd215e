package install

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"synco/frameworks"
)

// UnknownSetError names a file set the project does not have.
type UnknownSetError struct{ Name string }

func (e *UnknownSetError) Error() string {
	return fmt.Sprintf("install: the local project has no file set %s", e.Name)
}

// FileSets maps the file sets of project p to their directories relative to
// its root (slash paths): all of them, or those named in only
// (*UnknownSetError for a name p does not have). The sets the framework
// places by convention that do not exist here (p.Missing) are mapped too,
// where they would be: a published one is written there. A file set outside
// the project's root is an error.
func FileSets(p *frameworks.Project, only []string) (map[string]string, error) {
	sets := map[string]string{}
	for _, fs := range slices.Concat(p.FileSets, p.Missing) {
		rel, err := filepath.Rel(p.Root, fs.Dir)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, fmt.Errorf("file set %s (%s) is outside the project", fs.Name, fs.Dir)
		}
		if len(only) == 0 || slices.Contains(only, fs.Name) {
			sets[fs.Name] = filepath.ToSlash(rel)
		}
	}
	for _, want := range only {
		if _, ok := sets[want]; !ok {
			return nil, &UnknownSetError{Name: want}
		}
	}
	return sets, nil
}

// Map is the fetch.Selection.Map that puts each published file set in sets
// (name → directory, as FileSets returns) into its directory, and leaves out
// everything else (with nil: everything).
func Map(sets map[string]string) func(top string) (string, bool) {
	return func(top string) (string, bool) { dst, ok := sets[top]; return dst, ok }
}

// SetNames are the names of p's file sets, in the project's order: all of
// them, or those in only.
func SetNames(p *frameworks.Project, only []string) []string {
	var names []string
	for _, fs := range p.FileSets {
		if len(only) == 0 || slices.Contains(only, fs.Name) {
			names = append(names, fs.Name)
		}
	}
	return names
}
