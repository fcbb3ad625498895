package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/brief"
	"github.com/storeops/storeops/internal/settings"
)

func briefCommand() *command {
	var f dbFlags
	var date, lang, format string
	var weekly, regenerate bool
	return &command{
		name:    "brief",
		summary: "print the data brief (数据简报) of a day, or the weekly review of the 7 days ending on it",
		flags: func(fs *flag.FlagSet) {
			f.register(fs, "./storeops.db")
			fs.StringVar(&date, "date", "", "the day as YYYY-MM-DD in the store's zone (default yesterday); with --weekly the last day of the week")
			fs.StringVar(&lang, "lang", "zh-CN", "language: zh-CN or en")
			fs.StringVar(&format, "format", "md", "md (Markdown) or html")
			fs.BoolVar(&weekly, "weekly", false, "the weekly review of the 7 days ending on --date")
			fs.BoolVar(&regenerate, "regenerate", false, "compute the brief again even if one is stored (it replaces the stored one)")
		},
		run: func(ctx context.Context, e *cmdEnv) error {
			if len(e.args) > 0 {
				return fmt.Errorf("brief takes no arguments, got %q", e.args)
			}
			if format != brief.FormatMarkdown && format != brief.FormatHTML {
				return fmt.Errorf("--format: %q is not md or html", format)
			}
			if lang != "zh-CN" && lang != "en" {
				return fmt.Errorf("--lang: %q is not zh-CN or en", lang)
			}
			d, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			st, err := settings.Load(ctx, d)
			if err != nil {
				return err
			}
			now := time.Now()
			day := settings.Day(now.In(st.Location()).AddDate(0, 0, -1), st.Location())
			if date != "" {
				t, err := time.ParseInLocation("2006-01-02", date, st.Location())
				if err != nil {
					return fmt.Errorf("--date: %q is not a date as YYYY-MM-DD", date)
				}
				day = settings.Day(t, st.Location())
			}
			kind := brief.Daily
			if weekly {
				kind = brief.Weekly
			}
			b, err := brief.Find(ctx, d, kind, day)
			if regenerate || errors.Is(err, apperr.ErrNotFound) {
				b, err = brief.Generate(ctx, d, kind, day, now)
			}
			if err != nil {
				return err
			}
			out, err := brief.Render(b, lang, format)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(e.stdout, out)
			return err
		},
	}
}
