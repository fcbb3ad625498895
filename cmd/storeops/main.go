// Command storeops runs the store: the console, the API and the jobs, on a
// SQLite file or a PostgreSQL server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand of the CLI.
type command struct {
	name    string
	summary string
	usage   string // arguments after the flags, for the help text
	flags   func(fs *flag.FlagSet)
	run     func(ctx context.Context, env *cmdEnv) error
	subs    []*command
}

// cmdEnv is what a running command gets.
type cmdEnv struct {
	fs     *flag.FlagSet
	args   []string
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader
}

// errUsage means the command line was wrong; the usage text was printed.
var errUsage = errors.New("usage")

func commands() []*command {
	return []*command{
		serveCommand(),
		demoCommand(),
		migrateCommand(),
		userCommand(),
		tokenCommand(),
		importCommand(),
		exportCommand(),
		benchCommand(),
		briefCommand(),
		versionCommand(),
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runCLI(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runCLI runs the command line and returns the exit code: 0 done, 1 failed,
// 2 the command line was wrong.
func runCLI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := &command{name: "storeops", summary: "the operations platform for an online store", subs: commands()}
	err := dispatch(ctx, root, nil, args, stdin, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, flag.ErrHelp):
		return 0
	default:
		fmt.Fprintln(stderr, "storeops:", err)
		return 1
	}
}

func dispatch(ctx context.Context, c *command, path []string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	path = append(path, c.name)
	if len(c.subs) > 0 {
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			printGroupHelp(stdout, c, path)
			if len(args) == 0 {
				return errUsage
			}
			return nil
		}
		for _, s := range c.subs {
			if s.name == args[0] {
				return dispatch(ctx, s, path, args[1:], stdin, stdout, stderr)
			}
		}
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n", strings.Join(path, " "), args[0])
		printGroupHelp(stderr, c, path)
		return errUsage
	}
	fs := flag.NewFlagSet(strings.Join(path, " "), flag.ContinueOnError)
	fs.SetOutput(stderr)
	if c.flags != nil {
		c.flags(fs)
	}
	fs.Usage = func() { printCommandHelp(fs.Output(), c, path, fs) }
	// Flags may come before or after the arguments
	// (storeops import orders a.csv --preset taobao; storeops bench checkout --json).
	var positional []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return flag.ErrHelp
			}
			return errUsage
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		positional, rest = append(positional, rest[0]), rest[1:]
	}
	if err := applyEnv(fs); err != nil {
		fmt.Fprintln(stderr, err)
		return errUsage
	}
	return c.run(ctx, &cmdEnv{fs: fs, args: positional, stdout: stdout, stderr: stderr, stdin: stdin})
}

// envName is the environment variable that sets a flag: --db → STOREOPS_DB.
func envName(flagName string) string {
	return "STOREOPS_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its
// STOREOPS_* variable, so the command line always wins.
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %v", envName(f.Name), v, e)
			}
		}
	})
	return err
}

func printGroupHelp(w io.Writer, c *command, path []string) {
	fmt.Fprintf(w, "%s — %s\n\nUsage:\n  %s <command> [flags]\n\nCommands:\n", strings.Join(path, " "), c.summary, strings.Join(path, " "))
	for _, s := range c.subs {
		fmt.Fprintf(w, "  %-10s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags. Every flag can also be set\nwith an environment variable: --db is STOREOPS_DB, --addr is STOREOPS_ADDR.\n", strings.Join(path, " "))
}

func printCommandHelp(w io.Writer, c *command, path []string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "%s — %s\n\nUsage:\n  %s [flags] %s\n\nFlags:\n", strings.Join(path, " "), c.summary, strings.Join(path, " "), c.usage)
	fs.VisitAll(func(f *flag.Flag) {
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%-16s %s%s  [%s]\n", f.Name, f.Usage, def, envName(f.Name))
	})
}

func versionCommand() *command {
	return &command{name: "version", summary: "print the version", run: func(ctx context.Context, e *cmdEnv) error {
		fmt.Fprintf(e.stdout, "storeops %s (schema %d)\n", version, latestSchema())
		return nil
	}}
}
