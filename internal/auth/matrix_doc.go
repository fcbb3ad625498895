package auth

import (
	"fmt"
	"strings"
)

// MatrixMarkdown renders the permission matrix as the table in
// docs/ROLES.md, so the document is generated from the rules it describes
// (a test fails when they drift apart).
func MatrixMarkdown() string {
	var b strings.Builder
	b.WriteString("| area |")
	for _, r := range roles {
		fmt.Fprintf(&b, " %s |", r)
	}
	b.WriteString("\n|---|")
	for range roles {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, a := range Areas() {
		fmt.Fprintf(&b, "| %s |", a)
		for _, r := range roles {
			cell := "—"
			switch {
			case Can(r, Write(a)):
				cell = "read, write"
			case Can(r, Read(a)):
				cell = "read"
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	return b.String()
}
