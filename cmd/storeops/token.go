package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/storeops/storeops/internal/auth"
)

func tokenCommand() *command {
	return &command{name: "token", summary: "manage API tokens (create, list, revoke)", subs: []*command{tokenCreate(), tokenList(), tokenRevoke()}}
}

func tokenCreate() *command {
	var f dbFlags
	var username, name, scopes string
	var days int
	return &command{
		name: "create", summary: "create an API token for an operator and print its secret once",
		flags: func(fs *flag.FlagSet) {
			f.register(fs, "./storeops.db")
			fs.StringVar(&username, "username", "", "the operator the token acts as")
			fs.StringVar(&name, "name", "", "what the token is for, e.g. 'ERP sync'")
			fs.StringVar(&scopes, "scopes", "*", "comma-separated permissions such as products:read,orders:write, or * for all the operator's permissions")
			fs.IntVar(&days, "days", 0, "days until the token expires (0: never)")
		},
		run: func(ctx context.Context, e *cmdEnv) error {
			if username == "" {
				return errors.New("--username: say which operator the token acts as")
			}
			if days < 0 {
				return fmt.Errorf("--days: %d is negative", days)
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
			var list []string
			for _, s := range strings.Split(scopes, ",") {
				if s = strings.TrimSpace(s); s != "" {
					list = append(list, s)
				}
			}
			tok, secret, err := svc.CreateToken(cliActor(ctx), op.ID, name, list, time.Duration(days)*24*time.Hour)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "created token %d (%s) for %s with scopes %s; the secret is shown only now:\n", tok.ID, tok.Name, op.Username, strings.Join(tok.Scopes, ","))
			fmt.Fprintln(e.stdout, secret)
			return nil
		},
	}
}

func tokenList() *command {
	var f dbFlags
	var username string
	return &command{
		name: "list", summary: "list API tokens (secrets are never shown again)",
		flags: func(fs *flag.FlagSet) {
			f.register(fs, "./storeops.db")
			fs.StringVar(&username, "username", "", "only this operator's tokens")
		},
		run: func(ctx context.Context, e *cmdEnv) error {
			d, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			svc := &auth.Service{DB: d}
			var opID int64
			if username != "" {
				op, err := svc.GetOperatorByUsername(ctx, username)
				if err != nil {
					return fmt.Errorf("operator %q: %w", username, err)
				}
				opID = op.ID
			}
			toks, err := svc.ListTokens(ctx, opID)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tOPERATOR\tSCOPES\tSTATE\tEXPIRES")
			now := time.Now()
			for _, t := range toks {
				state := "active"
				if !t.Active(now) {
					state = "revoked/expired"
				}
				exp := "never"
				if !t.ExpiresAt.IsZero() {
					exp = t.ExpiresAt.Format(time.DateOnly)
				}
				fmt.Fprintf(tw, "%d\t%s\tso_%s…\t%d\t%s\t%s\t%s\n", t.ID, t.Name, t.Prefix, t.OperatorID, strings.Join(t.Scopes, ","), state, exp)
			}
			return tw.Flush()
		},
	}
}

func tokenRevoke() *command {
	var f dbFlags
	return &command{
		name: "revoke", summary: "revoke an API token by id", usage: "ID",
		flags: func(fs *flag.FlagSet) { f.register(fs, "./storeops.db") },
		run: func(ctx context.Context, e *cmdEnv) error {
			if len(e.args) != 1 {
				return errors.New("give the id of the token to revoke (see 'storeops token list')")
			}
			id, err := strconv.ParseInt(e.args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("%q is not a token id", e.args[0])
			}
			d, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := (&auth.Service{DB: d}).RevokeToken(cliActor(ctx), id); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "token %d revoked\n", id)
			return nil
		},
	}
}
