// Command hubprofiles lets JupyterHub admins manage KubeSpawner's
// profile_list. Each subcommand lives in a file of its own; this one parses
// the command line and dispatches.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// version is the release, set at build time with
// -ldflags "-X main.version=v1.2.3"; empty, hubprofiles_build_info takes the
// module version Go recorded.
var version string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		memoryDefaults(os.LookupEnv)
	}
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// defaultMemoryLimit is serve's soft memory limit when GOMEMLIMIT is not
// set. The sidecar shares the hub pod, so its heap must not grow without
// bound: near the limit the garbage collector runs more often (Go caps it at
// half the CPU) instead of letting the heap grow to twice what is live. It is
// soft: the process never fails for crossing it, it only collects more; the
// pod's own memory limit, if any, is what can stop a container. 64 MiB is
// above the working set of a 500-profile catalog, so ordinary work never
// meets it (a 20 MiB limit saved 1 MiB under the feed's load, but would keep
// a big hub's sidecar collecting all the time). GOMEMLIMIT (for example
// GOMEMLIMIT=32MiB, or off) replaces it.
const defaultMemoryLimit = 64 << 20

// defaultGCPercent is serve's GOGC when GOGC is not set: the heap may grow
// to 1.5 times what is live between collections, not twice. What is live is
// a few MiB (the templates, the catalogs, the slug tables), and the feed's
// garbage is a kilobyte per request, so the extra collections cost little
// CPU; the peak under the feed's load is about 3 MiB lower
// (docs/benchmarks.md). GOGC replaces it.
const defaultGCPercent = 50

// memoryDefaults sets defaultMemoryLimit unless GOMEMLIMIT is set, and
// defaultGCPercent unless GOGC is (the Go runtime applied those already).
func memoryDefaults(lookup func(string) (string, bool)) {
	if _, set := lookup("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if _, set := lookup("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// exitError carries a specific exit status; its message, if any, has been
// printed already or is printed by main.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "hubprofiles:", ee.msg)
		}
		return ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "hubprofiles:", err)
	return 1
}

// env is how the process environment reaches the commands (a function, so
// tests can give their own).
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the server (the default command)", runServe},
		{"validate", "check profile lists the way KubeSpawner reads them", runValidate},
		{"normalize", "import a profile list and render it again: its canonical form", runNormalize},
		{"import", "write a profile list, values file or document into the database as a revision", runImport},
		{"export", "print a revision as a profile list, values fragment or document", runExport},
		{"promote", "compare with a peer hub (staging) and take images, profiles or defaults as a draft", runPromote},
		{"usage", "read the hub's servers once and print who uses which profile, choice and image", runUsage},
		{"verify", "check the revision hash chain and the database", runVerify},
		{"nodegroups", "draft: print node groups for the infrastructure config from the node selectors lists use", runNodeGroups},
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		usage(stdout)
		return nil
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return runServe(ctx, e, args) // serve is the default command
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	usage(stderr)
	return &exitError{code: 2, msg: fmt.Sprintf("unknown command %q", args[0])}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: hubprofiles [COMMAND] [flags] [args]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery flag can also be set as HUBPROFILES_<FLAG> (e.g. HUBPROFILES_FORMAT=json).")
	fmt.Fprintln(w, "Run 'hubprofiles COMMAND -h' for a command's flags.")
}

// parseFlags parses flags given before, between or after the positional
// arguments (hubprofiles validate a.yaml --format json), then fills flags not
// given on the command line from HUBPROFILES_<FLAG> variables.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err // -h asked for the usage: exit 0
			}
			return nil, &exitError{code: 2}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		name := "HUBPROFILES_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = &exitError{code: 2, msg: fmt.Sprintf("%s=%q: %v", name, v, e)}
			}
		}
	})
	return pos, err
}

// choiceFlag is a string flag restricted to a few values.
type choiceFlag struct {
	value   string
	allowed []string
}

func (c *choiceFlag) String() string { return c.value }

func (c *choiceFlag) Set(s string) error {
	for _, a := range c.allowed {
		if s == a {
			c.value = s
			return nil
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(c.allowed, ", "))
}
