package frameworks

import (
	"errors"
	"fmt"
)

// Errors wrapped by Detect when a configuration file exists but cannot be used.
var (
	// ErrSyntax means a configuration file is malformed (YAML, PHP, dotenv, URL).
	ErrSyntax = errors.New("frameworks: configuration file malformed")
	// ErrUnsupported means a value is computed in a way synco does not evaluate
	// (function calls, variables, …); pass the connection with --db instead.
	ErrUnsupported = errors.New("frameworks: configuration value not understood")
)

// errUndecided: a value was set under a condition synco cannot evaluate. Loaders
// turn it into Project.undetermined instead of returning it.
var errUndecided = errors.New("not determined")

// phpGet walks v by keys; nil when a key is missing. A pUnknown value on the way
// is returned itself, so the caller reports it.
func phpGet(v *phpValue, keys ...string) *phpValue {
	cond := ""
	for _, k := range keys {
		if v == nil || v.kind == pUnknown {
			break
		}
		if cond == "" {
			cond = v.cond
		}
		if v.kind != pArray {
			return nil
		}
		v = v.elems[k]
	}
	if v == nil {
		return nil
	}
	return v.with(cond)
}

// phpStr reads a scalar as a string. Missing and null give "", false. Arrays and
// values synco does not evaluate give an error naming file and key, not the value.
func phpStr(v *phpValue, file, key string) (string, bool, error) {
	if v == nil {
		return "", false, nil
	}
	if v.file != "" {
		file = v.file
	}
	if v.cond != "" {
		return "", false, fmt.Errorf("%s (%s line %d) depends on %s: %w", key, file, v.line, v.cond, errUndecided)
	}
	switch v.kind {
	case pNull:
		return "", false, nil
	case pString, pNumber:
		return v.s, true, nil
	case pBool:
		if v.s == "true" {
			return "1", true, nil
		}
		return "", true, nil
	case pUnknown:
		if v.unset {
			return "", false, fmt.Errorf("%s: %s reads %s (line %d): %w", file, key, v.why, v.line, ErrUnsupported)
		}
		return "", false, fmt.Errorf("%s: %s is %s (line %d), which synco does not evaluate: %w", file, key, v.why, v.line, ErrUnsupported)
	}
	return "", false, fmt.Errorf("%s: %s is an array, want a string: %w", file, key, ErrUnsupported)
}

// phpErr wraps a tokenizer or parser error of file.
func phpErr(file string, err error) error {
	var se *phpSyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("parse %s: %v: %w", file, se, ErrSyntax)
	}
	return fmt.Errorf("parse %s: %w", file, err)
}

// phpFields reads the named string fields of array v (path names it in messages).
func phpFields(v *phpValue, file, path string, names ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range names {
		s, _, err := phpStr(phpGet(v, n), file, path+"['"+n+"']")
		if err != nil {
			return nil, err
		}
		out[n] = s
	}
	return out, nil
}
