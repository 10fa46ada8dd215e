package cli

import (
	"errors"
	"reflect"

	"github.com/alecthomas/kong"
)

// dirMapper is the flag type "dir": a path made absolute like kong's "path", except
// that an empty value is refused. kong's "path" turns "" into the current directory,
// so `--to ""` (an unset shell variable) wrote into wherever the command ran.
type dirMapper struct{}

func (dirMapper) Decode(ctx *kong.DecodeContext, target reflect.Value) error {
	var path string
	if err := ctx.Scan.PopValueInto("dir", &path); err != nil {
		return err
	}
	if path == "" {
		return errors.New(`empty directory (for the current directory, say ".")`)
	}
	target.SetString(kong.ExpandPath(path))
	return nil
}
