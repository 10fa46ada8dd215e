package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
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

func (VersionCmd) Run(env *Env) error {
	fmt.Fprintf(env.Stdout, "%s %s\n", env.Prog, VersionString())
	return nil
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
		kong.Bind(env),
	)
	if err != nil {
		panic(err) // a broken grammar is a programming error
	}
	kctx, err := parser.Parse(args)
	if exit >= 0 { // --help
		return exit
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", prog, err)
		fmt.Fprintf(os.Stderr, "%s: hint: run \"%s --help\" for usage and examples\n", prog, prog)
		return ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env.Ctx = ctx
	err = kctx.Run(env)
	if err == nil {
		return ExitOK
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", prog, err)
		fmt.Fprintf(os.Stderr, "%s: hint: run \"%s --help\" for usage and examples\n", prog, prog)
		return ExitUsage
	}
	if ctx.Err() != nil {
		// A signal arrived: whatever failed afterwards failed because of it.
		fmt.Fprintf(os.Stderr, "%s: interrupted\n", prog)
		if _, hint := Classify(context.Canceled); prog == "synco" {
			fmt.Fprintf(os.Stderr, "%s: hint: %s\n", prog, hint)
		}
		return ExitInterrupted
	}
	return Report(os.Stderr, prog, err)
}
