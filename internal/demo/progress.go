package demo

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// ProgressBar returns an Options.Progress that draws one line on w, redrawn
// in place with \r: the stage, a bar, the percentage, the rate and the time
// left. A stage that reaches its total ends its line.
func ProgressBar(w io.Writer) func(done, total int64, stage string) {
	var (
		mu      sync.Mutex
		current string
		began   time.Time
		width   int
	)
	const barLen = 30
	return func(done, total int64, stage string) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if stage != current {
			if width > 0 {
				fmt.Fprintln(w)
			}
			current, began, width = stage, now, 0
		}
		frac := 1.0
		if total > 0 {
			frac = min(max(float64(done)/float64(total), 0), 1)
		}
		filled := int(frac * barLen)
		elapsed := now.Sub(began)
		line := fmt.Sprintf("%-8s [%s%s] %3.0f%%  %d/%d", stage,
			strings.Repeat("#", filled), strings.Repeat("-", barLen-filled), frac*100, done, total)
		if secs := elapsed.Seconds(); secs > 0 && done > 0 {
			line += fmt.Sprintf("  %.1f/s", float64(done)/secs)
			if done < total {
				left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
				line += "  ETA " + left.Round(time.Second).String()
			}
		}
		pad := ""
		if n := width - len([]rune(line)); n > 0 {
			pad = strings.Repeat(" ", n) // wipe what a longer previous line left
		}
		fmt.Fprint(w, "\r"+line+pad)
		width = len([]rune(line))
		if total > 0 && done >= total {
			fmt.Fprintln(w)
			current, width = "", 0
		}
	}
}
