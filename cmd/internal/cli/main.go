package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
)

// Version is set at build time with -ldflags "-X synco/cmd/internal/cli.Version=…".
var Version = ""

// VersionString names the build: the release, else the VCS revision.
func VersionString() string {
	if Version != "" {
		return Version
	}
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "-" + s.Value[:12]
			}
		}
	}
	return v
}

// VersionCmd is `version`.
type VersionCmd struct{}

func (VersionCmd) Help() string {
	return `Prints the program's name and version on stdout, e.g. "synco v1.2.0"; --version
does the same.

Examples:
  synco version
  synco-lite --version
`
}

func (VersionCmd) Run(env *Env) error {
	fmt.Fprintf(env.Stdout, "%s %s\n", env.Prog, VersionString())
	return nil
}

// Globals are the flags of every command; embed them in a grammar.
type Globals struct {
	Version kong.VersionFlag `name:"version" help:"Print the version and exit."`
}

// HelpCmd is `help [COMMAND…]`, the same as `COMMAND… --help`.
type HelpCmd struct {
	Command []string `arg:"" optional:"" placeholder:"COMMAND" help:"The command to explain (default: all of them)."`
}

func (c *HelpCmd) Help() string {
	return `Shows the help of a command, with its flags and examples: "synco help fetch"
is "synco fetch --help".

Examples:
  synco help
  synco help fetch
  synco help cache gc
`
}

// Run parses the command line "COMMAND… --help": kong prints the help and calls
// the exit function. A command that does not exist is a *kong.ParseError.
func (c *HelpCmd) Run(kctx *kong.Context) error {
	_, err := kctx.Kong.Parse(append(slices.Clone(c.Command), "--help"))
	return err
}

// Env is what every command's Run receives.
type Env struct {
	Ctx            context.Context
	Prog           string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Main parses args into cli (a kong grammar), runs the selected command with a
// context cancelled by SIGINT/SIGTERM, reports errors and returns the exit code.
func Main(prog, description string, grammar any, args []string) int {
	env := &Env{Prog: prog, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	exit := -1
	parser, err := kong.New(grammar,
		kong.Name(prog),
		kong.Description(description),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Writers(os.Stdout, os.Stderr),
		kong.Exit(func(code int) { exit = code }),
		kong.Vars{"version": prog + " " + VersionString()},
		kong.NamedMapper("dir", dirMapper{}),
		kong.Bind(env),
	)
	if err != nil {
		panic(err) // a broken grammar is a programming error
	}
	kctx, err := parser.Parse(args)
	if exit >= 0 { // --help, --version
		return exit
	}
	if err != nil {
		return usage(prog, kctx, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env.Ctx = ctx
	err = kctx.Run(env)
	if exit >= 0 { // help COMMAND
		return exit
	}
	if err == nil {
		return ExitOK
	}
	var ue *UsageError
	var pe *kong.ParseError
	if errors.As(err, &ue) || errors.As(err, &pe) {
		return usage(prog, kctx, err)
	}
	cmd := commandPath(prog, kctx)
	if ctx.Err() != nil {
		// A signal arrived: whatever failed afterwards failed because of it.
		var pd *PartlyDone
		if errors.As(err, &pd) {
			fmt.Fprintf(os.Stderr, "%s: interrupted %s\n", prog, pd.Done)
		} else {
			fmt.Fprintf(os.Stderr, "%s: interrupted\n", prog)
		}
		if _, hint := Classify(cmd, context.Canceled); hint != "" {
			fmt.Fprintf(os.Stderr, "%s: hint: %s\n", prog, hint)
		}
		return ExitInterrupted
	}
	return Report(os.Stderr, prog, cmd, err)
}

// PartlyDone is the error of a command that a signal interrupted after part
// of its work took effect: Done says which ("after …"), and Main prints it
// with "interrupted".
type PartlyDone struct {
	Err  error
	Done string
}

func (e *PartlyDone) Error() string { return e.Err.Error() }
func (e *PartlyDone) Unwrap() error { return e.Err }

// usage reports a usage error (exit code 2): the error, and a hint that names the
// failing command's --help. kctx may be nil.
func usage(prog string, kctx *kong.Context, err error) int {
	var pe *kong.ParseError
	if errors.As(err, &pe) && pe.Context != nil {
		kctx = pe.Context // the command line that failed, for "help COMMAND"
	}
	help := commandPath(prog, kctx) + " --help"
	fmt.Fprintf(os.Stderr, "%s: error: %s\n", prog, Clean(err.Error()))
	var ue *UsageError
	if errors.As(err, &ue) && ue.Hint != "" {
		fmt.Fprintf(os.Stderr, "%s: hint: %s; see \"%s\"\n", prog, ue.Hint, help)
	} else {
		fmt.Fprintf(os.Stderr, "%s: hint: run \"%s\" for usage and examples\n", prog, help)
	}
	return ExitUsage
}

// commandPath names the command kctx selected, e.g. "synco cache gc"; prog when
// none was.
func commandPath(prog string, kctx *kong.Context) string {
	if kctx == nil {
		return prog
	}
	n := kctx.Selected()
	for n != nil && n.Type != kong.CommandNode {
		n = n.Parent
	}
	if n == nil {
		return prog
	}
	var path []string
	for ; n != nil && n.Type == kong.CommandNode; n = n.Parent {
		path = append([]string{n.Name}, path...)
	}
	return strings.Join(append([]string{prog}, path...), " ")
}
