package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
)

// cliActor marks changes made from the command line in the audit log.
func cliActor(ctx context.Context) context.Context {
	return audit.WithActor(ctx, audit.Actor{Kind: "system", Name: "cli"})
}

// readPassword takes the password from the flag, or from the first line of
// standard input with --password-stdin, so it need not sit in shell history.
func readPassword(e *cmdEnv, flagValue string, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", errors.New("--password-stdin: no password on standard input")
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	if flagValue == "" {
		return "", errors.New("give the password with --password, or on standard input with --password-stdin")
	}
	return flagValue, nil
}

func userCommand() *command {
	return &command{name: "user", summary: "manage operator accounts (add, list, passwd)", subs: []*command{userAdd(), userList(), userPasswd()}}
}

func userAdd() *command {
	var f dbFlags
	var username, name, role, password, lang string
	var stdin bool
	return &command{
		name: "add", summary: "create an operator account",
		flags: func(fs *flag.FlagSet) {
			f.register(fs, "./storeops.db")
			fs.StringVar(&username, "username", "", "login name (3–32 letters, digits, . _ -)")
			fs.StringVar(&name, "name", "", "display name")
			fs.StringVar(&role, "role", "operator", "role: "+rolesList())
			fs.StringVar(&password, "password", "", "password (at least 8 characters, not only digits)")
			fs.BoolVar(&stdin, "password-stdin", false, "read the password from standard input")
			fs.StringVar(&lang, "lang", "", "console language: zh-CN or en (empty: the browser's)")
		},
		run: func(ctx context.Context, e *cmdEnv) error {
			pw, err := readPassword(e, password, stdin)
			if err != nil {
				return err
			}
			d, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			svc := &auth.Service{DB: d}
			op, err := svc.CreateOperator(cliActor(ctx), auth.NewOperator{Username: username, DisplayName: name, Role: auth.Role(role), Password: pw, Lang: lang})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "created operator %s (id %d, role %s)\n", op.Username, op.ID, op.Role)
			return nil
		},
	}
}

func userList() *command {
	var f dbFlags
	return &command{
		name: "list", summary: "list operator accounts",
		flags: func(fs *flag.FlagSet) { f.register(fs, "./storeops.db") },
		run: func(ctx context.Context, e *cmdEnv) error {
			d, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			ops, err := (&auth.Service{DB: d}).ListOperators(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tUSERNAME\tNAME\tROLE\tSTATUS\tCREATED")
			for _, o := range ops {
				status := "active"
				if o.Disabled {
					status = "disabled"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.Username, o.DisplayName, o.Role, status, o.CreatedAt.Format(time.DateOnly))
			}
			return tw.Flush()
		},
	}
}

func userPasswd() *command {
	var f dbFlags
	var username, password string
	var stdin bool
	return &command{
		name: "passwd", summary: "set an operator's password",
		flags: func(fs *flag.FlagSet) {
			f.register(fs, "./storeops.db")
			fs.StringVar(&username, "username", "", "the operator's login name")
			fs.StringVar(&password, "password", "", "the new password")
			fs.BoolVar(&stdin, "password-stdin", false, "read the new password from standard input")
		},
		run: func(ctx context.Context, e *cmdEnv) error {
			if username == "" {
				return errors.New("--username: say whose password to set")
			}
			pw, err := readPassword(e, password, stdin)
			if err != nil {
				return err
			}
			d, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			svc := &auth.Service{DB: d}
			op, err := svc.GetOperatorByUsername(ctx, username)
			if err != nil {
				return fmt.Errorf("operator %q: %w", username, err)
			}
			if err := svc.SetPassword(cliActor(ctx), op.ID, pw); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "password of %s changed; their sessions were signed out\n", op.Username)
			return nil
		},
	}
}

func rolesList() string {
	var s []string
	for _, r := range auth.Roles() {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}
