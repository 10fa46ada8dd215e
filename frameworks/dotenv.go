package frameworks

import (
	"fmt"
	"strings"
)

// dotenv is the merged result of .env files: values and the file each came from.
type dotenv struct {
	vals map[string]string
	from map[string]string // key → file name, or "environment"
}

func newDotenv() *dotenv {
	return &dotenv{vals: map[string]string{}, from: map[string]string{}}
}

// get returns the value of key: the real environment wins over files.
func (d *dotenv) get(s *scan, key string) (val, from string) {
	if v := s.getenv(key); v != "" {
		return v, "environment"
	}
	return d.vals[key], d.from[key]
}

// load parses one file into d (later files override earlier ones). Missing files are
// skipped; ok reports whether the file existed.
func (d *dotenv) load(s *scan, name string) (ok bool, err error) {
	data, ok, err := s.read(name)
	if err != nil || !ok {
		return ok, err
	}
	kvs, err := parseDotenv(string(data), s.getenv, d.vals)
	if err != nil {
		return true, fmt.Errorf("parse %s: %w", name, err)
	}
	for _, kv := range kvs {
		d.vals[kv[0]] = kv[1]
		d.from[kv[0]] = name
	}
	return true, nil
}

// parseDotenv reads dotenv syntax as Symfony's Dotenv and phpdotenv accept it:
// KEY=value, "export KEY=value", # comments, 'single quotes' (literal), "double
// quotes" (escapes, may span lines), ${VAR}, $VAR and ${VAR:-default} expansion in
// unquoted and double-quoted values. A variable is looked up in the real environment
// (env), then in this file above, then in prev (earlier files). Errors name the line
// only.
func parseDotenv(src string, env func(string) string, prev map[string]string) ([][2]string, error) {
	var out [][2]string
	local := map[string]string{}
	get := func(k string) string {
		if env != nil {
			if v := env(k); v != "" {
				return v
			}
		}
		if v, ok := local[k]; ok {
			return v
		}
		return prev[k]
	}
	src = strings.ReplaceAll(src, "\r\n", "\n")
	i, line := 0, 1
	errAt := func(msg string) error { return fmt.Errorf("line %d: %s: %w", line, msg, ErrSyntax) }
	for i < len(src) {
		// start of a line
		for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
			i++
		}
		if i >= len(src) {
			break
		}
		if src[i] == '\n' {
			i, line = i+1, line+1
			continue
		}
		if src[i] == '#' {
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		}
		if strings.HasPrefix(src[i:], "export ") || strings.HasPrefix(src[i:], "export\t") {
			i += 7
			for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
				i++
			}
		}
		j := i
		for j < len(src) && (isIdentChar(src[j]) || src[j] == '.') {
			j++
		}
		key := src[i:j]
		if key == "" || j >= len(src) || src[j] != '=' {
			return nil, errAt("want NAME=value")
		}
		i = j + 1
		var b strings.Builder
	value:
		for i < len(src) {
			c := src[i]
			switch {
			case c == '\n':
				break value
			case c == ' ' || c == '\t':
				// whitespace ends an unquoted value; a comment may follow
				k := i
				for k < len(src) && (src[k] == ' ' || src[k] == '\t') {
					k++
				}
				if k >= len(src) || src[k] == '\n' || src[k] == '#' {
					i = k
					for i < len(src) && src[i] != '\n' {
						i++
					}
					break value
				}
				b.WriteString(src[i:k])
				i = k
			case c == '\'':
				k := strings.IndexByte(src[i+1:], '\'')
				if k < 0 {
					return nil, errAt("unterminated single-quoted value")
				}
				b.WriteString(src[i+1 : i+1+k])
				line += strings.Count(src[i:i+1+k], "\n")
				i += k + 2
			case c == '"':
				i++
				closed, start := false, line
				for i < len(src) {
					c := src[i]
					if c == '"' {
						i++
						closed = true
						break
					}
					if c == '\\' && i+1 < len(src) {
						switch src[i+1] {
						case 'n':
							b.WriteByte('\n')
						case 'r':
							b.WriteByte('\r')
						case 't':
							b.WriteByte('\t')
						case '"', '\\', '$':
							b.WriteByte(src[i+1])
						default:
							b.WriteByte('\\')
							b.WriteByte(src[i+1])
						}
						i += 2
						continue
					}
					if c == '$' {
						n, err := expandVar(src[i:], get, &b)
						if err != nil {
							return nil, errAt(err.Error())
						}
						i += n
						continue
					}
					if c == '\n' {
						line++
					}
					b.WriteByte(c)
					i++
				}
				if !closed {
					line = start
					return nil, errAt("unterminated double-quoted value")
				}
			case c == '\\' && i+1 < len(src) && src[i+1] == '$':
				b.WriteByte('$')
				i += 2
			case c == '$':
				n, err := expandVar(src[i:], get, &b)
				if err != nil {
					return nil, errAt(err.Error())
				}
				i += n
			default:
				b.WriteByte(c)
				i++
			}
		}
		local[key] = b.String()
		out = append(out, [2]string{key, b.String()})
	}
	return out, nil
}

// expandVar expands $NAME, ${NAME}, ${NAME:-default} or ${NAME:=default} at the
// start of s and returns the bytes used. A lone $ is kept.
func expandVar(s string, get func(string) string, b *strings.Builder) (int, error) {
	if len(s) > 1 && s[1] == '{' {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return 0, fmt.Errorf("unterminated ${")
		}
		expr := s[2:end]
		name, def, hasDef := expr, "", false
		if k := strings.Index(expr, ":-"); k >= 0 {
			name, def, hasDef = expr[:k], expr[k+2:], true
		} else if k := strings.Index(expr, ":="); k >= 0 {
			name, def, hasDef = expr[:k], expr[k+2:], true
		}
		v := get(name)
		if v == "" && hasDef {
			v = def
		}
		b.WriteString(v)
		return end + 1, nil
	}
	j := 1
	for j < len(s) && isIdentChar(s[j]) {
		j++
	}
	if j == 1 {
		b.WriteByte('$')
		return 1, nil
	}
	b.WriteString(get(s[1:j]))
	return j, nil
}
